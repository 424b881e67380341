/**
 * Read-path benchmark (issue 12): what users wait for most, measured against a bare Fastify
 * hello route in the same run, on PostgreSQL.
 *
 *   npm run bench -- reads                       # PostgreSQL + Redis (defaults below)
 *   BENCH_PROFILE=/tmp/prof npm run bench -- reads   # also writes one .cpuprofile per scenario
 *   npx tsx bench/profile-top.ts /tmp/prof/appointments.cpuprofile   # top self-time functions
 *
 * The server (the real app: buildApp + loadConfig, NODE_ENV=production, LOG_LEVEL=info as in
 * production with its output discarded, a fresh schema, rate limits raised so they count but
 * never refuse) and the hello server run in a child process; autocannon (keep-alive, 50
 * connections, BENCH_SECONDS each, after a 2 s warm-up per scenario) runs in this process.
 * Both share the machine's cores, which is why every figure is also given as % of hello, and
 * why the CPU each request cost is reported too: the app process's (process.cpuUsage in the
 * server) and its own PostgreSQL backends' (/proc; found by application_name), per request
 * served — steadier than req/s when other work shares the machine.
 *
 *   BENCH_CALLGRIND=500 npm run bench -- reads
 *
 * runs the server under `valgrind --tool=callgrind` instead and counts the instructions the
 * app process executes for exactly that many requests per scenario (hello included), after an
 * uninstrumented warm-up, for comparing two versions of the code (PostgreSQL's own work is not
 * counted). Caveat: it counts everything the process runs meanwhile, including the app's
 * timers and background work, which grows with wall time; on the machine at load 20–38 the
 * identical hello route counted 0.5–2.4 M instructions per request between runs, so the mode
 * only separates versions when the machine is reasonably quiet (docs/BENCHMARKS.md, Read paths).
 *
 *   BENCH_ROUNDS=5 BENCH_SECONDS=3 npm run bench -- reads
 *
 * interleaves short blocks of every scenario, 5 rounds, and reports the median CPU per request
 * (app process + its PostgreSQL backends) and its ratio to hello's within each round: the
 * figure to compare on a machine shared with other work, where req/s swing with the load.
 *
 * Scenarios: /auth/me; a patient's GET /appointments?limit=20 (20 appointments); the same
 * patient's GET /medical/records?limit=20 (20 records); the doctor's GET /medical/records?limit=20
 * (`doctorRecords`: every patient in their care, so the care relationship decides each row);
 * GET /chat/rooms/{id}/history?limit=50 (the contract's history route) in a room of 60 messages.
 * Besides CPU, each scenario reports the statements the app sent to PostgreSQL per request
 * (round trips; the audit group commit's share included), which the load does not move.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadResult, machine, postgresCpuSeconds, table, type LoadResult } from './lib.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// REDIS_URL=none measures a single instance without Redis (in-memory rate limits and pub/sub).
const REDIS_URL = process.env.REDIS_URL === 'none' ? undefined : (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const PROFILE_DIR = process.env.BENCH_PROFILE;
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const CALLGRIND = Number(process.env.BENCH_CALLGRIND ?? 0);
// BENCH_ROUNDS=N: N rounds of short blocks (BENCH_SECONDS each) over every scenario in turn,
// reporting the median CPU per request and its ratio to hello within each round — what to
// compare when other work shares the machine (the load moves less within one round).
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 0);

interface Fixture {
  app: number;
  hello: number;
  patientToken: string;
  doctorToken: string;
  roomId: string;
  sizes: Record<string, number>;
}

// ---------------------------------------------------------------- server (child)
async function server(): Promise<void> {
  const Fastify = (await import('fastify')).default;
  const { loadConfig } = await import('../src/platform/config.js');
  const { buildApp } = await import('../src/app.js');
  const { sql } = await import('kysely');
  const schema = `bench_reads_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const config = loadConfig(
    {
      ...process.env,
      // Names the app's PostgreSQL sessions, so their CPU can be told from other work's.
      DATABASE_URL: `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}application_name=${schema}`,
      REDIS_URL,
      REDIS_PREFIX: `${schema}:`,
      NODE_ENV: 'production',
      LOG_LEVEL,
      SEED_DEMO: 'false',
      RATE_LIMIT_API_PER_MIN: '10000000',
      RATE_LIMIT_AUTH_PER_MIN: '1000000',
      DATA_DIR: `/tmp/carebridge-bench/${schema}`,
    },
    { databaseSchema: schema, argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
  );
  const built = await buildApp(config);
  const { app, ctx } = built;
  const call = async (method: 'GET' | 'POST', url: string, token: string | null, payload?: unknown, expect = [200, 201]) => {
    const res = await app.inject({ method, url, payload: payload as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!expect.includes(res.statusCode)) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const register = async (role: 'doctor' | 'patient', name: string) => {
    const email = `${role}-${randomBytes(4).toString('hex')}@bench.test`;
    const password = 'correct horse battery staple';
    const user = await call('POST', '/api/v1/auth/register', null, { email, password, full_name: name, role });
    if (role === 'doctor') await ctx.db.updateTable('users').set({ status: 'active', approved_at: new Date() }).where('id', '=', user.id).execute();
    const login = await call('POST', '/api/v1/auth/login', null, { email, password });
    return { id: user.id as string, token: login.access_token as string };
  };
  const doctor = await register('doctor', 'Dr Benchmark Example-Longname');
  const patient = await register('patient', 'Patricia Benchmark Patient');

  // 20 appointments: one slot a day, from tomorrow, booked through the API.
  const base = new Date(Date.now() + 86_400_000);
  base.setUTCHours(9, 0, 0, 0);
  const slots = await sql<{ id: string }>`
    insert into slots (doctor_id, start_at, end_at)
    select ${doctor.id}, ${base}::timestamptz + make_interval(days => g), ${base}::timestamptz + make_interval(days => g, mins => 30)
    from generate_series(0, 19) g order by g returning id`.execute(ctx.db);
  for (const [i, slot] of slots.rows.entries()) {
    await call('POST', '/api/v1/appointments', patient.token, {
      slot_id: slot.id,
      type: i % 2 ? 'video' : 'in_person',
      reason: `Follow-up visit ${i + 1}: persistent cough for two weeks, mild fever in the evenings, asks about inhaler use and sleep.`,
    });
  }
  // 20 medical records written by the doctor (who now has a care relationship).
  for (let i = 0; i < 20; i++) {
    await call('POST', '/api/v1/medical/records', doctor.token, {
      patient_id: patient.id,
      record_type: 'consultation',
      title: `Consultation ${i + 1}`,
      content: `Subjective: cough for two weeks, worse at night. Objective: temperature 37.8 °C, chest clear on auscultation, SpO2 98 %. Assessment: likely viral bronchitis. Plan: fluids, rest, review in one week or sooner if breathless. (${i + 1})`,
      diagnoses: [{ code: 'J20.9', text: 'Acute bronchitis, unspecified' }],
    });
  }
  // A direct room with 60 messages, alternating senders.
  const room = await call('POST', '/api/v1/chat/rooms', patient.token, { kind: 'direct', participant_ids: [doctor.id] });
  for (let i = 0; i < 60; i++) {
    const sender = i % 2 ? doctor : patient;
    await call('POST', `/api/v1/chat/rooms/${room.id}/messages`, sender.token, {
      content: `Message ${i + 1}: how is the cough today? Any fever overnight?`,
      client_msg_id: `bench-${i}`,
    });
  }
  await sql`analyze`.execute(ctx.db);

  // What one reply weighs (bytes), so the doc can say what was served.
  const sizes: Record<string, number> = {};
  for (const [name, url] of Object.entries(PATHS(room.id))) {
    const token = name === 'doctorRecords' ? doctor.token : patient.token;
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    sizes[name] = res.rawPayload.length;
  }

  await app.listen({ host: '127.0.0.1', port: 0 });
  const hello = Fastify({ logger: false });
  hello.get('/hello', async () => ({ hello: 'world' }));
  await hello.listen({ host: '127.0.0.1', port: 0 });
  const portOf = (server: { address(): unknown }) => {
    const address = server.address() as { port: number } | null;
    return address?.port ?? 0;
  };

  // Statements the app sends to PostgreSQL (pg's Client.query, which every pooled query and the
  // audit group commit go through): round trips per request, a figure the load does not move.
  const pg = (await import('pg')).default;
  let statements = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    statements++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;

  const inspector = await import('node:inspector/promises');
  const session = new inspector.Session();
  session.connect();
  let cpuMark = process.cpuUsage();
  process.on('message', async (msg: { type: string; name?: string }) => {
    if (msg.type === 'cpu-mark') {
      const backends = await sql<{ pid: number }>`select pid from pg_stat_activity where application_name = ${schema}`.execute(ctx.db);
      cpuMark = process.cpuUsage();
      statements = 0;
      process.send!({ type: 'cpu-marked', pids: backends.rows.map((r) => r.pid) });
    } else if (msg.type === 'cpu-read') {
      const used = process.cpuUsage(cpuMark);
      process.send!({ type: 'cpu', us: used.user + used.system, sys: used.system, statements });
    } else if (msg.type === 'profile-start') {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
      process.send!({ type: 'profile-started' });
    } else if (msg.type === 'profile-stop') {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(PROFILE_DIR!, { recursive: true });
      writeFileSync(`${PROFILE_DIR}/${msg.name}.cpuprofile`, JSON.stringify(profile));
      process.send!({ type: 'profile-stopped' });
    } else if (msg.type === 'stop') {
      await hello.close();
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
      app: portOf(app.server),
      hello: portOf(hello.server),
      patientToken: patient.token,
      doctorToken: doctor.token,
      roomId: room.id,
      sizes,
    } satisfies Fixture,
  });
}

function PATHS(roomId: string): Record<string, string> {
  return {
    me: '/api/v1/auth/me',
    appointments: '/api/v1/appointments?limit=20',
    records: '/api/v1/medical/records?limit=20',
    doctorRecords: '/api/v1/medical/records?limit=20',
    chat: `/api/v1/chat/rooms/${roomId}/history?limit=50`,
  };
}

// ---------------------------------------------------------------- load generator (parent)
function ask<T = unknown>(child: ChildProcess, message: object, reply: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (msg: { type: string }) => {
      if (msg.type === reply) {
        child.off('message', on);
        resolve(msg as T);
      }
    };
    child.on('message', on);
    child.send(message);
  });
}

type Measured = LoadResult & { cpuUsPerRequest: number; pgUsPerRequest: number; statementsPerRequest: number };

async function measure(child: ChildProcess, name: string, url: string, headers: Record<string, string>): Promise<Measured> {
  await autocannon({ url, connections: CONNECTIONS, duration: 2, headers });
  const { pids } = await ask<{ pids: number[] }>(child, { type: 'cpu-mark' }, 'cpu-marked');
  const pgStart = postgresCpuSeconds(pids);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, pipelining: 1, headers });
  const cpu = await ask<{ us: number; statements: number }>(child, { type: 'cpu-read' }, 'cpu');
  const pgSeconds = postgresCpuSeconds(pids) - pgStart;
  return {
    statementsPerRequest: cpu.statements / Math.max(1, result.requests.total),
    pgUsPerRequest: Math.round((pgSeconds * 1e6) / Math.max(1, result.requests.total)),
    cpuUsPerRequest: Math.round(cpu.us / Math.max(1, result.requests.total)),
    ...loadResult(name, result),
  };
}

function loadLine(): string {
  const [one, five] = loadavg();
  const busy = readFileSync('/proc/loadavg', 'utf8').split(' ')[3];
  return `load average ${one!.toFixed(2)} (1 min) / ${five!.toFixed(2)} (5 min), running/total tasks ${busy}`;
}

/** Instructions the app process executed for `CALLGRIND` requests (callgrind counts only while they run). */
async function countInstructions(pid: number, dir: string, name: string, url: string, headers: Record<string, string>): Promise<number> {
  // As many requests again uninstrumented first, so the JIT tiers and the serializers compiled in
  // the background after start-up (platform/http/serializers.ts) are done before counting.
  await autocannon({ url, connections: 10, amount: CALLGRIND, headers, timeout: 120 });
  execFileSync('callgrind_control', ['--zero', String(pid)], { stdio: 'ignore' });
  execFileSync('callgrind_control', ['--instr=on', String(pid)], { stdio: 'ignore' });
  const result = await autocannon({ url, connections: 10, amount: CALLGRIND, headers, timeout: 120 });
  execFileSync('callgrind_control', ['--instr=off', String(pid)], { stdio: 'ignore' });
  if (result.non2xx || result.errors) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors under callgrind`);
  execFileSync('callgrind_control', [`--dump=${name}`, String(pid)], { stdio: 'ignore' });
  const dumps = readdirSync(dir).filter((f) => f.startsWith(`callgrind.${pid}.`));
  const latest = dumps.sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).at(-1)!;
  const totals = /^totals: (\d+)/m.exec(readFileSync(`${dir}/${latest}`, 'utf8'));
  return Number(totals?.[1] ?? 0) / CALLGRIND;
}

async function main(): Promise<void> {
  const execArgv = ['--import', 'tsx'];
  const cgDir = `/tmp/carebridge-bench/callgrind-${Date.now().toString(36)}`;
  if (CALLGRIND) mkdirSync(cgDir, { recursive: true });
  const child = CALLGRIND
    ? spawn(
        'valgrind',
        [
          '--tool=callgrind',
          '--instr-atstart=no',
          `--callgrind-out-file=${cgDir}/callgrind.%p`,
          process.execPath,
          ...execArgv,
          fileURLToPath(import.meta.url),
          '--server',
        ],
        { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] },
      )
    : fork(fileURLToPath(import.meta.url), ['--server'], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`))));
  const ready = await Promise.race([
    exited,
    new Promise<{ fixture: Fixture }>((resolve) =>
      child.on('message', (m: { type: string; fixture?: Fixture }) => m.type === 'ready' && resolve(m as { fixture: Fixture })),
    ),
  ]);
  const f = ready.fixture;
  const base = `http://127.0.0.1:${f.app}`;
  const auth = { authorization: `Bearer ${f.patientToken}` };
  const doctorAuth = { authorization: `Bearer ${f.doctorToken}` };
  const paths = PATHS(f.roomId);
  const before = loadLine();
  const scenarios: Array<[key: string, name: string, url: string, headers: Record<string, string>]> = [
    ['hello', 'bare Fastify `GET /hello`', `http://127.0.0.1:${f.hello}/hello`, {}],
    ['me', '`GET /api/v1/auth/me`', base + paths.me, auth],
    ['appointments', "a patient's `GET /api/v1/appointments?limit=20` (20 rows)", base + paths.appointments, auth],
    ['records', "the patient's `GET /api/v1/medical/records?limit=20` (20 rows)", base + paths.records, auth],
    // The doctor's list of all their patients' records: the care relationship decides each row.
    ['doctorRecords', "the doctor's `GET /api/v1/medical/records?limit=20` (care relationship, 20 rows)", base + paths.doctorRecords, doctorAuth],
    ['chat', '`GET /api/v1/chat/rooms/{id}/history?limit=50` (50 of 60 messages)', base + paths.chat, auth],
  ];
  const results: Array<Measured & { key: string }> = [];
  if (ROUNDS) {
    try {
      await interleaved(
        child,
        scenarios.filter(([key]) => !ONLY.length || key === 'hello' || ONLY.includes(key)),
        before,
      );
    } finally {
      exited.catch(() => {});
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await gone;
    }
    return;
  }
  if (CALLGRIND) {
    try {
      const counts: Array<[string, string, number]> = [];
      for (const [key, name, url, headers] of scenarios) {
        if (ONLY.length && key !== 'hello' && !ONLY.includes(key)) continue;
        const perRequest = await countInstructions(child.pid!, cgDir, key, url, headers);
        counts.push([key, name, perRequest]);
        console.error(`${name}: ${Math.round(perRequest).toLocaleString('en-US')} instructions per request`);
      }
      const hello = counts[0]![2];
      console.log(`\n## Read paths: instructions per request (callgrind, ${CALLGRIND} requests per scenario, 10 connections)\n`);
      console.log('| scenario | app process instructions / request | × hello |\n|---|---:|---:|');
      for (const [, name, n] of counts) console.log(`| ${name} | ${Math.round(n).toLocaleString('en-US')} | ${(n / hello).toFixed(1)} |`);
    } finally {
      exited.catch(() => {});
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await gone;
    }
    return;
  }
  try {
    for (const [key, name, url, headers] of scenarios) {
      if (ONLY.length && key !== 'hello' && !ONLY.includes(key)) continue;
      if (PROFILE_DIR && key !== 'hello') await ask(child, { type: 'profile-start' }, 'profile-started');
      const r = await measure(child, name, url, headers);
      if (PROFILE_DIR && key !== 'hello') await ask(child, { type: 'profile-stop', name: key }, 'profile-stopped');
      results.push({ ...r, key });
      console.error(
        `${name}: ${r.requestsPerSecond} req/s, p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms, non-2xx ${r.non2xx}, server CPU ${r.cpuUsPerRequest} µs/request, PostgreSQL ${r.pgUsPerRequest} µs/request, ${r.statementsPerRequest.toFixed(2)} statements/request`,
      );
    }
  } finally {
    exited.catch(() => {});
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.send({ type: 'stop' });
    await gone;
  }
  const hello = results[0]!.requestsPerSecond;
  const goals: Record<string, string> = { me: '≥ 50 %', appointments: '≥ 40 %, p99 < 20 ms' };
  console.log(`\n## Read paths (PostgreSQL${REDIS_URL ? ' + Redis' : ''})\n`);
  console.log(
    `Machine: ${machine()}; ${before} at the start, ${loadLine()} at the end. ${SECONDS} s per scenario after a 2 s warm-up, ${CONNECTIONS} keep-alive connections, LOG_LEVEL=${LOG_LEVEL}${PROFILE_DIR ? ', **CPU profiler on (figures not comparable)**' : ''}.\n`,
  );
  console.log(table(results));
  // Issue 12's goals, judged on this run's figures.
  const met: Record<string, (r: Measured) => boolean> = {
    me: (r) => r.requestsPerSecond / hello >= 0.5,
    appointments: (r) => r.requestsPerSecond / hello >= 0.4 && r.latencyP99Ms < 20,
  };
  console.log(
    '\n| scenario | % of hello | goal | met | app process CPU µs/request | PostgreSQL CPU µs/request | statements to PostgreSQL per request | reply bytes |\n|---|---:|---|---|---:|---:|---:|---:|',
  );
  for (const r of results)
    console.log(
      `| ${r.name} | ${((r.requestsPerSecond / hello) * 100).toFixed(1)} % | ${goals[r.key] ?? '—'} | ${met[r.key] ? (met[r.key]!(r) ? 'yes' : '**no**') : '—'} | ${r.cpuUsPerRequest} | ${r.pgUsPerRequest} | ${r.statementsPerRequest.toFixed(2)} | ${f.sizes[r.key] ?? '—'} |`,
    );
}

/** One block: requests served and the CPU they cost the app process and its PostgreSQL backends. */
async function cpuBlock(child: ChildProcess, url: string, headers: Record<string, string>, seconds: number) {
  const { pids } = await ask<{ pids: number[] }>(child, { type: 'cpu-mark' }, 'cpu-marked');
  const pgStart = postgresCpuSeconds(pids);
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, pipelining: 1, headers });
  const cpu = await ask<{ us: number; statements: number }>(child, { type: 'cpu-read' }, 'cpu');
  const n = Math.max(1, result.requests.total);
  if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return {
    app: cpu.us / n,
    pg: ((postgresCpuSeconds(pids) - pgStart) * 1e6) / n,
    statements: cpu.statements / n,
    rps: result.requests.average,
    p99: result.latency.p99,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function interleaved(child: ChildProcess, scenarios: Array<[string, string, string, Record<string, string>]>, before: string): Promise<void> {
  for (const [, , url, headers] of scenarios) await autocannon({ url, connections: CONNECTIONS, duration: 2, headers });
  const blocks = new Map<string, Array<Awaited<ReturnType<typeof cpuBlock>>>>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [key, , url, headers] of scenarios) {
      const block = await cpuBlock(child, url, headers, SECONDS);
      blocks.set(key, [...(blocks.get(key) ?? []), block]);
    }
    console.error(`round ${round + 1}/${ROUNDS}: ${scenarios.map(([key]) => `${key} ${Math.round(blocks.get(key)!.at(-1)!.app)} µs`).join(', ')}`);
  }
  const hello = blocks.get('hello')!;
  console.log(`\n## Read paths: CPU per request (PostgreSQL${REDIS_URL ? ' + Redis' : ''}; ${ROUNDS} rounds × ${SECONDS} s per scenario, interleaved)\n`);
  console.log(`Machine: ${machine()}; ${before} at the start, ${loadLine()} at the end. ${CONNECTIONS} keep-alive connections, LOG_LEVEL=${LOG_LEVEL}.\n`);
  console.log(
    '| scenario | app CPU µs/req (median) | PostgreSQL CPU µs/req | hello CPU ÷ this CPU (median of rounds) | goal | req/s (median) | p99 ms (median) | statements / request |\n|---|---:|---:|---:|---|---:|---:|---:|',
  );
  const goals: Record<string, string> = { me: '≥ 50 %', appointments: '≥ 40 %, p99 < 20 ms' };
  for (const [key, name] of scenarios) {
    const b = blocks.get(key)!;
    const ratio = median(b.map((x, i) => (hello[i]!.app + hello[i]!.pg) / (x.app + x.pg)));
    console.log(
      `| ${name} | ${Math.round(median(b.map((x) => x.app)))} | ${Math.round(median(b.map((x) => x.pg)))} | ${(ratio * 100).toFixed(1)} % | ${goals[key] ?? '—'} | ${Math.round(median(b.map((x) => x.rps))).toLocaleString('en-US')} | ${median(b.map((x) => x.p99))} | ${median(b.map((x) => x.statements)).toFixed(2)} |`,
    );
  }
}

if (process.argv.includes('--server')) await server();
else await main();
