/**
 * Booking benchmark (issue 4) on PostgreSQL.
 *
 *   npx tsx bench/booking.ts            # DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/test
 *
 * The server runs in a child process (the real app: buildApp + loadConfig, a fresh schema,
 * a random port); this process generates load with autocannon, so the two don't share an
 * event loop. Phases:
 *  1. 500 concurrent requests (500 connections, 500 different patients) for ONE slot:
 *     expect exactly 1 × 201, 499 × 409, 0 × 5xx.
 *  2. Sustained booking over many slots for BENCH_SECONDS (default 10): every request books
 *     a different free slot. Reports bookings/s, latency, and where the CPU went.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { postgresCpuSeconds } from './lib.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const DOCTORS = Number(process.env.BENCH_DOCTORS ?? 50);
const SLOTS_PER_DOCTOR = Number(process.env.BENCH_SLOTS_PER_DOCTOR ?? 600);
const RACERS = 500;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

interface Fixture {
  port: number;
  raceSlotId: string;
  racerTokens: string[];
  /** slots[d][s]: doctor d's s-th slot; patientTokens[d] books only doctor d's slots (never overlapping). */
  slots: string[][];
  patientTokens: string[];
}

// ---------------------------------------------------------------- server (child)
async function server(): Promise<void> {
  const { loadConfig } = await import('../src/platform/config.js');
  const { buildApp } = await import('../src/app.js');
  const { sql } = await import('kysely');
  const schema = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const config = loadConfig(
    {
      ...process.env,
      DATABASE_URL,
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      SEED_DEMO: 'false',
      RATE_LIMIT_API_PER_MIN: '10000000',
      RATE_LIMIT_AUTH_PER_MIN: '1000000',
      DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '20',
      DATA_DIR: `/tmp/carebridge-bench/${schema}`,
    },
    { databaseSchema: schema, argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
  );
  const built = await buildApp(config);
  const { app, ctx } = built;
  const register = async (role: 'doctor' | 'patient', i: number) => {
    const email = `${role}-${i}-${randomBytes(3).toString('hex')}@bench.test`;
    const password = 'correct horse battery staple';
    const reg = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email, password, full_name: `Bench ${role} ${i}`, role } });
    if (reg.statusCode !== 201) throw new Error(reg.body);
    if (role === 'doctor') await ctx.db.updateTable('users').set({ status: 'active', approved_at: new Date() }).where('email', '=', email).execute();
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    return { id: reg.json().id as string, token: login.json().access_token as string };
  };
  const doctors = [];
  for (let i = 0; i < DOCTORS; i++) doctors.push(await register('doctor', i));
  const racers = [];
  for (let i = 0; i < RACERS; i++) racers.push(await register('patient', i));
  // Patients for the sustained phase: the first DOCTORS racers, one per doctor.
  const base = new Date(Date.now() + 7 * 86_400_000);
  base.setUTCMinutes(0, 0, 0);
  const race = await sql<{
    id: string;
  }>`insert into slots (doctor_id, start_at, end_at) values (${doctors[0]!.id}, ${new Date(base.getTime() - 86_400_000)}, ${new Date(base.getTime() - 86_400_000 + 1_800_000)}) returning id`.execute(
    ctx.db,
  );
  const slots: string[][] = [];
  for (const d of doctors) {
    const rows = await sql<{ id: string }>`
      insert into slots (doctor_id, start_at, end_at)
      select ${d.id}, ${base}::timestamptz + make_interval(mins => 30 * g), ${base}::timestamptz + make_interval(mins => 30 * g + 30)
      from generate_series(0, ${SLOTS_PER_DOCTOR - 1}) g
      order by g
      returning id`.execute(ctx.db);
    slots.push(rows.rows.map((r) => r.id));
  }
  await sql`analyze`.execute(ctx.db);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let cpuMark = process.cpuUsage();
  process.on('message', async (msg: { type: string }) => {
    if (msg.type === 'cpu-mark') {
      cpuMark = process.cpuUsage();
      process.send!({ type: 'cpu-marked' });
    } else if (msg.type === 'cpu-read') {
      const used = process.cpuUsage(cpuMark);
      const counts = await sql<{ status: string; n: number }>`select status, count(*)::int as n from appointments group by status`.execute(ctx.db);
      process.send!({ type: 'cpu', user: used.user, system: used.system, appointments: counts.rows, pool: ctx.database.poolStats() });
    } else if (msg.type === 'stop') {
      await built.close();
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      process.exit(0);
    }
  });
  process.send!({
    type: 'ready',
    fixture: {
      port,
      raceSlotId: race.rows[0]!.id,
      racerTokens: racers.map((r) => r.token),
      slots,
      patientTokens: racers.slice(0, DOCTORS).map((r) => r.token),
    } satisfies Fixture,
  });
}

// ---------------------------------------------------------------- load generator (parent)
function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

function request(child: ChildProcess, message: { type: string }, reply: string): Promise<any> {
  return new Promise((resolve) => {
    const on = (msg: any) => {
      if (msg.type === reply) {
        child.off('message', on);
        resolve(msg);
      }
    };
    child.on('message', on);
    child.send(message);
  });
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  console.log(`setting up: ${DOCTORS} doctors × ${SLOTS_PER_DOCTOR} slots, ${RACERS} patients on ${DATABASE_URL.replace(/\/\/[^@]*@/, '//…@')} …`);
  const ready = await new Promise<{ fixture: Fixture }>((resolve) => child.on('message', (m: any) => m.type === 'ready' && resolve(m)));
  const f = ready.fixture;
  const url = `http://127.0.0.1:${f.port}`;

  // Phase 1: 500 concurrent requests for one slot.
  const raceCodes: Record<number, number> = {};
  let racer = 0;
  const race = await autocannon({
    url,
    connections: RACERS,
    amount: RACERS,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/appointments',
        setupRequest: (req: any) => ({
          ...req,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${f.racerTokens[racer++ % RACERS]}` },
          body: JSON.stringify({ slot_id: f.raceSlotId, type: 'video' }),
        }),
        onResponse: (status: number) => {
          raceCodes[status] = (raceCodes[status] ?? 0) + 1;
        },
      },
    ],
  } as any);
  const r201 = raceCodes[201] ?? 0;
  const r409 = raceCodes[409] ?? 0;
  const r5xx = Object.entries(raceCodes)
    .filter(([c]) => Number(c) >= 500)
    .reduce((a, [, n]) => a + n, 0);
  console.log(`\n## race: ${RACERS} concurrent requests for one slot`);
  console.log(
    `status codes: ${JSON.stringify(raceCodes)}  (errors/timeouts: ${race.errors}/${race.timeouts})  → ${r201 === 1 && r409 === RACERS - 1 && r5xx === 0 ? 'PASS' : 'FAIL'}`,
  );
  console.log(`latency p50 ${race.latency.p50} ms, p99 ${race.latency.p99} ms, wall ${race.duration.toFixed(2)} s`);

  // Phase 2: sustained booking over many slots.
  const next = new Array(DOCTORS).fill(0);
  let k = 0;
  const codes: Record<number, number> = {};
  await request(child, { type: 'cpu-mark' }, 'cpu-marked');
  const cpuStart = cpuTimes();
  const pgStart = postgresCpuSeconds();
  const selfStart = process.cpuUsage();
  const sustained = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/appointments',
        setupRequest: (req: any) => {
          const d = k++ % DOCTORS;
          const s = next[d]++;
          return {
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${f.patientTokens[d]}` },
            body: JSON.stringify({ slot_id: f.slots[d]![s % SLOTS_PER_DOCTOR], type: 'video' }),
          };
        },
        onResponse: (status: number) => {
          codes[status] = (codes[status] ?? 0) + 1;
        },
      },
    ],
  } as any);
  const cpuEnd = cpuTimes();
  const pgS = postgresCpuSeconds() - pgStart;
  const self = process.cpuUsage(selfStart);
  const serverCpu = await request(child, { type: 'cpu-read' }, 'cpu');
  const booked = codes[201] ?? 0;
  const seconds = sustained.duration;
  const ticks = 100; // USER_HZ
  const machineBusyS = (cpuEnd.busy - cpuStart.busy) / ticks;
  const serverS = (serverCpu.user + serverCpu.system) / 1e6;
  const loadS = (self.user + self.system) / 1e6;
  console.log(`\n## sustained: ${CONNECTIONS} connections, ${SECONDS} s, each request books a different slot`);
  console.log(`status codes: ${JSON.stringify(codes)}  (errors/timeouts: ${sustained.errors}/${sustained.timeouts})`);
  console.log(`bookings/s: ${(booked / seconds).toFixed(0)}  (requests/s avg ${sustained.requests.average}, total 201s ${booked} in ${seconds.toFixed(1)} s)`);
  console.log(`latency p50 ${sustained.latency.p50} ms, p90 ${sustained.latency.p90} ms, p99 ${sustained.latency.p99} ms`);
  console.log(`CPU over the run (2 cores = ${(2 * seconds).toFixed(1)} core-s): machine busy ${machineBusyS.toFixed(1)} core-s;`);
  console.log(`  app server (Node) ${serverS.toFixed(1)} core-s = ${((serverS / Math.max(booked, 1)) * 1e6).toFixed(0)} µs/booking;`);
  console.log(
    `  PostgreSQL processes ${pgS.toFixed(1)} core-s = ${((pgS / Math.max(booked, 1)) * 1e6).toFixed(0)} µs/booking (backends that ended during the run are not counted);`,
  );
  console.log(
    `  load generator (autocannon) ${loadS.toFixed(1)} core-s; everything else on the shared machine ${(machineBusyS - serverS - loadS - pgS).toFixed(1)} core-s`,
  );
  console.log(`appointments in DB: ${JSON.stringify(serverCpu.appointments)}; pool ${JSON.stringify(serverCpu.pool)}`);
  child.send({ type: 'stop' });
  await new Promise((resolve) => child.on('exit', resolve));
}

if (process.argv.includes('--server')) await server();
else await main();
