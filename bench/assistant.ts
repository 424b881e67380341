/**
 * Assistant benchmark (issue 14): "show my appointments" through POST /api/v1/chat/patient on
 * PostgreSQL — replies/s and p50/p99 under load (autocannon, keep-alive, BENCH_CONNECTIONS,
 * BENCH_SECONDS after a 2 s warm-up) — and the understanding step alone (no I/O), p50/p99.
 *
 *   npm run bench -- assistant
 *   BENCH_CONNECTIONS=1,8,20 BENCH_SECONDS=8 npx tsx bench/assistant.ts   (levels against one server)
 *   BENCH_CPU_PROF=/tmp/prof ...   (the server writes a V8 CPU profile on exit)
 *
 * Each request is a full turn: authentication, conversation state written (a new
 * conversation row per request, as a client without conversation_id causes), the
 * appointments read through the scheduling service with audit, and the exchange copied into
 * the patient's assistant chat room (two chat messages). The server (the real app, NODE_ENV
 * production, a fresh schema, rate limits raised) runs in a child process; autocannon here.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadResult, machine } from './lib.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const LEVELS = (process.env.BENCH_CONNECTIONS ?? '50').split(',').map(Number);

/** All CPUs' busy and total ticks (/proc/stat), to say how busy the whole machine was during a level. */
function machineTicks(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - fields[3]! - (fields[4] ?? 0), total };
  } catch {
    return { busy: 0, total: 0 };
  }
}
const machineBusy = (a: { busy: number; total: number }, b: { busy: number; total: number }) =>
  b.total > a.total ? Math.round((100 * (b.busy - a.busy)) / (b.total - a.total)) : NaN;

async function server(): Promise<void> {
  const { loadConfig } = await import('../src/platform/config.js');
  const { buildApp } = await import('../src/app.js');
  const schema = `bench_assistant_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const config = loadConfig(
    {
      ...process.env,
      DATABASE_URL,
      REDIS_URL: undefined,
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      SEED_DEMO: 'false',
      RATE_LIMIT_API_PER_MIN: '10000000',
      RATE_LIMIT_AUTH_PER_MIN: '1000000',
      DATA_DIR: `/tmp/carebridge-bench/${schema}`,
    },
    { databaseSchema: schema, argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
  );
  const { app, ctx } = await buildApp(config);
  const call = async (url: string, token: string | null, payload: unknown) => {
    const res = await app.inject({ method: 'POST', url, payload: payload as object, headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const register = async (role: 'doctor' | 'patient', name: string) => {
    const email = `${role}-${randomBytes(4).toString('hex')}@bench.test`;
    const password = 'correct horse battery staple';
    const user = await call('/api/v1/auth/register', null, { email, password, full_name: name, role });
    if (role === 'doctor') await ctx.db.updateTable('users').set({ status: 'active', approved_at: new Date() }).where('id', '=', user.id).execute();
    return { id: user.id as string, token: (await call('/api/v1/auth/login', null, { email, password })).access_token as string };
  };
  const doctor = await register('doctor', 'Gregory Hause');
  const patient = await register('patient', 'Jane Doe');
  for (let i = 0; i < 5; i++) {
    const slot = await call('/api/v1/doctors/me/slots', doctor.token, {
      start: new Date(Date.now() + (i + 1) * 86_400_000).toISOString(),
      duration_minutes: 30,
    });
    await call('/api/v1/appointments', patient.token, { slot_id: slot.id });
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  process.send!({ port, token: patient.token });
  // The server's own CPU (user + system µs) on request, so a run reports CPU per reply, which the
  // machine's load (other processes on the 2 cores) does not change as much as throughput.
  // Also: how long the event loop was blocked, and how many queries waited for a pool connection
  // (sampled every 10 ms), between the two requests: what a run spends other than CPU.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  // A normal exit on SIGTERM, so --cpu-prof (BENCH_CPU_PROF) writes its profile.
  process.once('SIGTERM', () => process.exit(0));
  let waiting = { samples: 0, sum: 0, max: 0 };
  const sampler = setInterval(() => {
    const w = ctx.database.poolStats().waiting;
    waiting = { samples: waiting.samples + 1, sum: waiting.sum + w, max: Math.max(waiting.max, w) };
  }, 10);
  sampler.unref();
  process.on('message', (m) => {
    if (m !== 'cpu') return;
    const stats = {
      loopP99Ms: loop.percentile(99) / 1e6,
      loopMaxMs: loop.max / 1e6,
      poolWaitingMean: waiting.sum / Math.max(1, waiting.samples),
      poolWaitingMax: waiting.max,
    };
    loop.reset();
    loop.enable();
    waiting = { samples: 0, sum: 0, max: 0 };
    process.send!({ cpu: process.cpuUsage(), stats });
  });
}

type ServerStats = { loopP99Ms: number; loopMaxMs: number; poolWaitingMean: number; poolWaitingMax: number };
let lastStats: ServerStats | undefined;
const serverCpu = (child: ReturnType<typeof fork>) =>
  new Promise<number>((resolve) => {
    child.once('message', (m) => {
      const { cpu, stats } = m as { cpu: NodeJS.CpuUsage; stats: ServerStats };
      lastStats = stats;
      resolve(cpu.user + cpu.system);
    });
    child.send('cpu');
  });

async function main(): Promise<void> {
  // The understanding step alone, in this process.
  const { understand } = await import('../src/modules/assistants/nlu/index.js');
  const texts = [
    'show my appointments',
    'I want to book a skin doctor next Tuesday afternoon',
    'cancle my appointmnet tomorrow',
    'what does my high cholesterol mean',
    'tell me a joke',
  ];
  for (let i = 0; i < 500; i++) understand(texts[i % texts.length]!, { role: 'patient', zone: 'Europe/London' });
  const times: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const t0 = performance.now();
    understand(texts[i % texts.length]!, { role: 'patient', zone: 'Europe/London' });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  // BENCH_CPU_PROF=dir: the server writes a V8 CPU profile there when it exits (node --cpu-prof).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // The server's PostgreSQL sessions carry this application_name (node-postgres reads PGAPPNAME), so
  // their backends' CPU can be read from /proc: the database's share of a reply.
  const appName = `bench-assistant-${process.pid}`;
  const child = fork(fileURLToPath(import.meta.url), ['server'], {
    execArgv: ['--import', 'tsx', ...profile],
    stdio: 'inherit',
    env: { ...process.env, PGAPPNAME: appName },
  });
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  const databaseCpu = async () => {
    const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [appName]);
    let ticks = 0;
    for (const { pid } of rows) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // The backend ended (idle timeout); its CPU is not counted.
      }
    }
    return { ticks, backends: rows.length };
  };
  const { port, token } = await new Promise<{ port: number; token: string }>((resolve) => child.once('message', (m) => resolve(m as never)));
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const chatUrl = `http://127.0.0.1:${port}/api/v1/chat/patient`;
  const body = JSON.stringify({ message: 'show my appointments' });
  const probe = await fetch(chatUrl, { method: 'POST', headers, body });
  if (probe.status !== 200) throw new Error(`probe: ${probe.status} ${await probe.text()}`);
  // Several connection counts against the same server, one after another (BENCH_CONNECTIONS=1,8,20):
  // the shape across counts from one run, with the server's CPU per reply and its share of a core,
  // so a fall in throughput can be told apart from the machine giving the server less CPU.
  const rows: string[] = [];
  let failed = false;
  // The server with nothing to do: what its timers and pollers cost when no request comes.
  const idle0 = await serverCpu(child);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const idleCpuMsPerS = ((await serverCpu(child)) - idle0) / 3000;
  for (const connections of LEVELS) {
    const options = { url: chatUrl, method: 'POST' as const, headers, body, connections };
    await autocannon({ ...options, duration: 2 });
    const machine0 = machineTicks();
    const wall0 = performance.now();
    const cpu0 = await serverCpu(child);
    const db0 = await databaseCpu();
    const raw = await autocannon({ ...options, duration: SECONDS });
    const cpu = (await serverCpu(child)) - cpu0;
    const db1 = await databaseCpu();
    // Clock ticks (100 per second on Linux) → µs per reply; backends opened during the level count from zero.
    const dbPerReply = Math.round(((db1.ticks - db0.ticks) * 10_000) / Math.max(1, raw.requests.total));
    const wall = performance.now() - wall0;
    const busy = machineBusy(machine0, machineTicks());
    const during = lastStats!;
    const result = loadResult('chat', raw);
    failed ||= Boolean(result.non2xx || result.errors);
    // The same data through the plain REST read, same connections: the assistant's cost relative to it.
    const plain = { url: `http://127.0.0.1:${port}/api/v1/appointments?limit=20`, headers: { authorization: `Bearer ${token}` }, connections };
    await autocannon({ ...plain, duration: 1 });
    const reference = loadResult('plain', await autocannon({ ...plain, duration: Math.max(2, Math.round(SECONDS / 2)) }));
    rows.push(
      `| ${connections} | ${result.requestsPerSecond} | ${result.latencyP50Ms} | ${result.latencyP99Ms} | ${Math.round(cpu / Math.max(1, raw.requests.total))} | ${dbPerReply} (${db1.backends}) | ${Math.round(cpu / 10 / wall)} % | ${busy} % | ${during.loopP99Ms.toFixed(1)} | ${during.poolWaitingMean.toFixed(1)} (${during.poolWaitingMax}) | ${reference.requestsPerSecond} (${reference.latencyP99Ms}) | ${loadavg()[0]!.toFixed(1)} |`,
    );
  }
  child.kill('SIGTERM');
  console.log(
    `## Assistant\n\n${machine()}; load average before the run ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}; PostgreSQL, no Redis; ${SECONDS} s per level; POST /chat/patient "show my appointments" (a full turn, see the header), GET /appointments?limit=20 as the plain reference.\n`,
  );
  console.log(
    '| connections | replies/s | p50 ms | p99 ms | server CPU µs/reply | PostgreSQL CPU µs/reply (backends) | server CPU (of one core) | machine CPU busy | event-loop delay p99 ms | pool waiters mean (max) | plain read req/s (p99 ms) | load (1 min) after |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
  console.log(`\nServer idle (3 s, no requests): ${idleCpuMsPerS.toFixed(1)} ms CPU per second.`);
  await admin.end();
  console.log(`\nUnderstanding alone (intent + entities, no I/O): p50 ${times[2500]!.toFixed(3)} ms, p99 ${times[4950]!.toFixed(3)} ms.`);
  process.exit(failed ? 1 : 0);
}

if (process.argv[2] === 'server') void server();
else void main();
