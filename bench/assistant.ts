/**
 * Assistant benchmark (issue 14): "show my appointments" through POST /api/v1/chat/patient on
 * PostgreSQL — replies/s and p50/p99 under load (autocannon, keep-alive, BENCH_CONNECTIONS,
 * BENCH_SECONDS after a 2 s warm-up) — and the understanding step alone (no I/O), p50/p99.
 *
 *   npm run bench -- assistant
 *
 * Each request is a full turn: authentication, conversation state written (a new
 * conversation row per request, as a client without conversation_id causes), the
 * appointments read through the scheduling service with audit, and the exchange copied into
 * the patient's assistant chat room (two chat messages). The server (the real app, NODE_ENV
 * production, a fresh schema, rate limits raised) runs in a child process; autocannon here.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadResult, machine, table } from './lib.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

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
}

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
  const child = fork(fileURLToPath(import.meta.url), ['server'], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const { port, token } = await new Promise<{ port: number; token: string }>((resolve) => child.once('message', (m) => resolve(m as never)));
  const options = {
    url: `http://127.0.0.1:${port}/api/v1/chat/patient`,
    method: 'POST' as const,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'show my appointments' }),
    connections: CONNECTIONS,
  };
  await autocannon({ ...options, duration: 2 });
  const probe = await fetch(options.url, { method: 'POST', headers: options.headers, body: options.body });
  if (probe.status !== 200) throw new Error(`probe: ${probe.status} ${await probe.text()}`);
  const raw = await autocannon({ ...options, duration: SECONDS });
  const result = loadResult('POST /chat/patient "show my appointments"', raw);
  // The same data through the plain REST read, same connections and duration: the assistant's cost relative to it.
  const plain = { url: `http://127.0.0.1:${port}/api/v1/appointments?limit=20`, headers: { authorization: `Bearer ${token}` }, connections: CONNECTIONS };
  await autocannon({ ...plain, duration: 2 });
  const reference = loadResult('GET /appointments?limit=20 (reference)', await autocannon({ ...plain, duration: SECONDS }));
  child.kill('SIGTERM');
  console.log(
    `## Assistant\n\n${machine()}; load average before the run ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; PostgreSQL, no Redis; ${CONNECTIONS} connections, ${SECONDS} s.\n`,
  );
  console.log(table([result, reference]));
  console.log(`\n${raw.requests.total} requests, ${raw.timeouts} timeouts; the replies are a full turn (see the header of bench/assistant.ts).`);
  console.log(`\nUnderstanding alone (intent + entities, no I/O): p50 ${times[2500]!.toFixed(3)} ms, p99 ${times[4950]!.toFixed(3)} ms.`);
  process.exit(result.non2xx || result.errors ? 1 : 0);
}

if (process.argv[2] === 'server') void server();
else void main();
