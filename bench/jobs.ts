/**
 * Job queue benchmark (issue 13 item 1: ≥ 1,000 jobs/s on PostgreSQL, p95 pickup < 1 s).
 * `npm run bench jobs` (PostgreSQL: DATABASE_URL, default the local test database; a schema of
 * its own, dropped afterwards).
 *
 * 1. Throughput: a backlog of BENCH_JOBS no-op jobs, drained by BENCH_WORKERS queue workers
 *    (each an instance's worker with its own pool), jobs/s from the first claim to the last completion.
 * 2. Pickup: jobs enqueued one by one at BENCH_RATE per second for BENCH_SECONDS, each
 *    measuring enqueue → handler start; p50/p95/p99 and the worst.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/platform/config.js';
import { openDatabase } from '../src/platform/database/index.js';
import { migrateToLatest } from '../src/platform/database/migrator.js';
import { enqueueJob, JobQueue } from '../src/platform/jobs/index.js';
import { machine } from './lib.js';

const total = Number(process.env.BENCH_JOBS ?? 20_000);
const workers = Number(process.env.BENCH_WORKERS ?? 3);
const rate = Number(process.env.BENCH_RATE ?? 500);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `bench_jobs_${randomBytes(3).toString('hex')}`;
const silent = { level: 'silent', info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => silent } as never;

const config = loadConfig({
  ...process.env,
  NODE_ENV: 'production',
  DATA_DIR: '/tmp/carebridge-bench-jobs',
  DATABASE_URL: databaseUrl,
  DATABASE_SCHEMA: schema,
  DATABASE_POOL_SIZE: '10',
  LOG_LEVEL: 'silent',
});
const main = await openDatabase(config);
try {
  await migrateToLatest(main.db, schema);
  const handles = await Promise.all(Array.from({ length: workers }, () => openDatabase(config)));
  const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

  // 1. Throughput on a backlog.
  await sql`insert into jobs (queue, payload) select 'bench.noop', '{}'::jsonb from generate_series(1, ${total})`.execute(main.db);
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const queues = handles.map((h) => {
    const q = new JobQueue(h.db, silent, { concurrency: 64, pollMs: 50 });
    q.define('bench.noop', async () => {
      if (++done === total) finished();
    });
    q.define('bench.pickup', async () => {});
    return q;
  });
  const t0 = performance.now();
  for (const q of queues) q.start();
  await allDone;
  const elapsed = (performance.now() - t0) / 1000;
  // Wait for the last completions to be recorded before the next phase.
  while (Number((await sql<{ n: number }>`select count(*)::int as n from jobs where state <> 'completed'`.execute(main.db)).rows[0]!.n) > 0)
    await new Promise((r) => setTimeout(r, 50));
  const recorded = (performance.now() - t0) / 1000;

  // 2. Pickup latency at a steady rate.
  const latencies: number[] = [];
  for (const q of queues) await q.stop();
  const pickupQueues = handles.map((h) => {
    const q = new JobQueue(h.db, silent, { concurrency: 64, pollMs: Number(process.env.JOBS_POLL_MS ?? 250) });
    q.define('bench.pickup', async (payload) => {
      latencies.push(Date.now() - Number(payload.t));
    });
    return q;
  });
  for (const q of pickupQueues) q.start();
  const count = rate * seconds;
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // The enqueuer is another instance (its own pool), as a request handler would be.
    void enqueueJob(main.db, { queue: 'bench.pickup', payload: { t: Date.now() } });
  }
  while (latencies.length < count) await new Promise((r) => setTimeout(r, 50));
  for (const q of pickupQueues) await q.stop();
  await Promise.all(handles.map((h) => h.close()));
  latencies.sort((a, b) => a - b);

  console.log(`\n## Job queue (PostgreSQL)\n\nMachine: ${machine()}.\n`);
  console.log('| scenario | result |');
  console.log('|---|---|');
  console.log(
    `| backlog of ${total} no-op jobs, ${workers} workers × concurrency 64 | ${Math.round(total / elapsed)} jobs/s handled (${Math.round(total / recorded)} jobs/s to the last completion recorded) |`,
  );
  console.log(
    `| pickup at ${rate} jobs/s for ${seconds} s, poll ${process.env.JOBS_POLL_MS ?? 250} ms | p50 ${percentile(latencies, 0.5)} ms, p95 ${percentile(latencies, 0.95)} ms, p99 ${percentile(latencies, 0.99)} ms, max ${latencies.at(-1)} ms |`,
  );
} finally {
  await main.close();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
}
