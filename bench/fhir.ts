/**
 * FHIR search benchmark (issue 17): an Observation search by patient and code over 1,000,000
 * lab observations on PostgreSQL, the query a clinician's FHIR app runs for a trend.
 *
 *   npm run bench -- fhir                 # BENCH_FHIR_ROWS=1000000 (default), PostgreSQL
 *
 * A child process builds the real app (NODE_ENV=production) on a fresh PostgreSQL schema and
 * seeds, with set-based SQL (generate_series), 1,000 patients × 20 lab reports × 50 results =
 * 1,000,000 observations spread over five years and the 37 coded analytes, then listens. The
 * parent measures (1) latency of one request at a time over keep-alive, 1,000 requests after
 * 100 warm-up, exact p50/p95/p99, and (2) throughput with autocannon (10 connections, 10 s).
 * The patient searched is a real registered user with the same 1,000 observations as the others.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadResult, machine, table } from './lib.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROWS = Number(process.env.BENCH_FHIR_ROWS ?? 1_000_000);
const PATIENTS = 1000;
const REPORTS_PER_PATIENT = 20;
const PER_REPORT = Math.max(1, Math.round(ROWS / PATIENTS / REPORTS_PER_PATIENT));

async function server(): Promise<void> {
  const { loadConfig } = await import('../src/platform/config.js');
  const { buildApp } = await import('../src/app.js');
  const { ANALYTES } = await import('../src/modules/reports/index.js');
  const { sql } = await import('kysely');
  const schema = `bench_fhir_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const config = loadConfig(
    {
      ...process.env,
      DATABASE_URL,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
      RATE_LIMIT_API_PER_MIN: '10000000',
      RATE_LIMIT_AUTH_PER_MIN: '1000000',
      DATA_DIR: `/tmp/carebridge-bench/${schema}`,
    },
    { databaseSchema: schema, argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } },
  );
  const built = await buildApp(config);
  const { app, ctx } = built;
  const email = `fhir-${randomBytes(4).toString('hex')}@bench.test`;
  const password = 'correct horse battery staple';
  const reg = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password, full_name: 'Fhir Benchmark Patient', role: 'patient' },
  });
  const patientId = reg.json().id as string;
  const token = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } })).json().access_token as string;
  // One real upload gives a file row the synthetic reports can point at.
  const csv = 'Test,Result,Units,Reference Range\nHemoglobin,13.1,g/dL,12.0-15.5\n';
  const boundary = 'benchboundary';
  const payload = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="seed.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`;
  const up = await app.inject({
    method: 'POST',
    url: '/api/v1/reports',
    payload,
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
  });
  if (up.statusCode !== 201) throw new Error(`seed upload: ${up.statusCode} ${up.body}`);
  const fileId = up.json().file.id as string;

  const t0 = performance.now();
  await sql`
    insert into users (email, password_hash, full_name, role, status)
    select 'synthetic-' || g || '@bench.test', 'x', 'Synthetic Patient ' || g, 'patient', 'active' from generate_series(1, ${PATIENTS - 1}) g`.execute(ctx.db);
  await sql`
    insert into lab_reports (patient_id, uploaded_by, file_id, format, status, collected_at, observation_count)
    select u.id, u.id, ${fileId}, 'csv', 'parsed', now() - make_interval(days => r * 90), ${PER_REPORT}
    from users u cross join generate_series(1, ${REPORTS_PER_PATIENT}) r
    where u.role = 'patient' and (u.email like 'synthetic-%' or u.id = ${patientId})`.execute(ctx.db);
  const analytes = ANALYTES.filter((a) => a.loinc);
  const keys = analytes.map((a) => a.key);
  const names = analytes.map((a) => a.name);
  const units = analytes.map((a) => a.unit);
  await sql`
    insert into observations (report_id, patient_id, position, name, code, value, unit, ref_low, ref_high, flag, observed_at)
    select r.id, r.patient_id, p,
      (${names}::text[])[1 + (p % ${analytes.length})], (${keys}::text[])[1 + (p % ${analytes.length})],
      round((random() * 100)::numeric, 1), (${units}::text[])[1 + (p % ${analytes.length})], 10, 90,
      case when random() < 0.1 then 'high' else 'normal' end, r.collected_at
    from lab_reports r cross join generate_series(1, ${PER_REPORT}) p
    where r.file_id = ${fileId} and r.observation_count = ${PER_REPORT}`.execute(ctx.db);
  await sql`analyze`.execute(ctx.db);
  const seeded = Number((await sql<{ n: string }>`select count(*) as n from observations`.execute(ctx.db)).rows[0]!.n);
  const seedSeconds = (performance.now() - t0) / 1000;

  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  process.on('message', async (msg: { type: string }) => {
    if (msg.type !== 'stop') return;
    await built.close();
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
    process.exit(0);
  });
  process.send!({ type: 'ready', port, token, patientId, seeded, seedSeconds });
}

async function sequential(url: string, headers: Record<string, string>, count: number): Promise<{ p50: number; p95: number; p99: number; entries: number }> {
  const times: number[] = [];
  let entries = 0;
  for (let i = 0; i < count + 100; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    const body = (await res.json()) as { entry?: unknown[] };
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
    if (i >= 100) times.push(performance.now() - t);
    entries = body.entry?.length ?? 0;
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 10) / 10;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), entries };
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<{ port: number; token: string; patientId: string; seeded: number; seedSeconds: number }>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.on('message', (msg: { type: string }) => msg.type === 'ready' && resolve(msg as never));
  });
  const headers = { authorization: `Bearer ${ready.token}` };
  const base = `http://127.0.0.1:${ready.port}/fhir/R4/Observation?patient=Patient/${ready.patientId}`;
  const scenarios: [string, string][] = [
    ['Observation?patient&code (hemoglobin, 20 newest)', `${base}&code=http://loinc.org|718-7`],
    [
      'Observation?patient&code&date=ge (last 2 years)',
      `${base}&code=http://loinc.org|718-7&date=ge${new Date(Date.now() - 2 * 365 * 86_400_000).toISOString().slice(0, 10)}`,
    ],
    ['Observation?patient (20 newest, any code)', base],
  ];
  const lines: string[] = [];
  const loads = [];
  for (const [name, url] of scenarios) {
    const s = await sequential(url, headers, 1000);
    lines.push(`| ${name} | ${s.entries} | ${s.p50} | ${s.p95} | ${s.p99} |`);
    loads.push(loadResult(name, await autocannon({ url, connections: 10, duration: 10, headers })));
  }
  child.send({ type: 'stop' });
  console.log(`\n## FHIR Observation search over ${ready.seeded.toLocaleString('en-US')} observations (PostgreSQL)\n`);
  console.log(
    `Machine: ${machine()}; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}. Seeded in ${ready.seedSeconds.toFixed(1)} s. Command: \`npm run bench -- fhir\`.\n`,
  );
  console.log('One request at a time (keep-alive, 1,000 requests after 100 warm-up):\n');
  console.log('| search | entries | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|\n' + lines.join('\n'));
  console.log('\nUnder load (autocannon, 10 connections, 10 s):\n');
  console.log(table(loads));
}

if (process.argv.includes('--server')) await server();
else await main();
