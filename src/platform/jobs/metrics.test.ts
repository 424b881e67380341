import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { build } from '../../../test/helpers/build.js';
import { enqueueJob, JobQueue, PermanentJobError } from './index.js';

/**
 * Issue 13: the job queue in the /metrics exposition — jobs per queue and state, the pickup lag —
 * and the reminder lag the notifications area adds (src/modules/notifications/metrics.ts), read
 * from the shared table on every scrape. The app's own worker is not started here (build()
 * does not call start), so the jobs below stay where the test puts them.
 */
const built = await build({ after });
const { db, log } = built.ctx;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scrape(): Promise<string> {
  const res = await built.app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  return res.body;
}
/** The value of one sample, by metric name and labels (in any order); undefined when absent. */
function sample(body: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of body.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(m[3]);
  }
  return undefined;
}
async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(50);
  }
}

test('/metrics: jobs per queue and state (queued, delayed, running, failed, dead) and the pickup lag', async (t) => {
  // Nobody works on this queue: two jobs due (the oldest 30 s overdue) and one for later.
  await enqueueJob(db, { queue: 'x.backlog', runAt: new Date(Date.now() - 30_000) });
  await enqueueJob(db, { queue: 'x.backlog', runAt: new Date(Date.now() - 5_000) });
  await enqueueJob(db, { queue: 'x.backlog', runAt: new Date(Date.now() + 3_600_000) });

  // A real worker: one job held running, one failing once (its retry an hour away), one dead letter.
  const worker = new JobQueue(db, log, { pollMs: 20, leaseMs: 5000, backoffBaseMs: 3_600_000, backoffMaxMs: 7_200_000, drainMs: 300 });
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  worker.define('x.slow', () => held);
  worker.define('x.flaky', async () => {
    throw new Error('SMTP down');
  });
  worker.define('x.dead', async () => {
    throw new PermanentJobError('cannot succeed');
  });
  worker.start();
  t.after(async () => {
    release();
    await worker.stop();
  });
  await worker.enqueue(db, { queue: 'x.slow' });
  await worker.enqueue(db, { queue: 'x.flaky', maxAttempts: 5 });
  await worker.enqueue(db, { queue: 'x.dead' });

  let body = '';
  await until(async () => {
    body = await scrape();
    return (
      sample(body, 'job_queue_jobs', { queue: 'x.slow', state: 'running' }) === 1 &&
      sample(body, 'job_queue_jobs', { queue: 'x.flaky', state: 'failed' }) === 1 &&
      sample(body, 'job_queue_jobs', { queue: 'x.dead', state: 'dead' }) === 1
    );
  });
  assert.match(body, /# TYPE job_queue_jobs gauge/);
  assert.equal(sample(body, 'job_queue_jobs', { queue: 'x.backlog', state: 'queued' }), 2);
  assert.equal(sample(body, 'job_queue_jobs', { queue: 'x.backlog', state: 'delayed' }), 1);
  assert.equal(sample(body, 'job_queue_jobs', { queue: 'x.backlog', state: 'running' }), 0);
  assert.equal(sample(body, 'job_queue_jobs', { queue: 'x.flaky', state: 'queued' }), 0, 'a job waiting for its retry is failed, not queued');
  assert.equal(sample(body, 'job_queue_jobs', { queue: 'x.flaky', state: 'delayed' }), 0);
  assert.equal(sample(body, 'job_queue_jobs', { queue: 'x.dead', state: 'failed' }), 0);
  const lag = sample(body, 'job_queue_oldest_due_lag_seconds', { queue: 'x.backlog' })!;
  assert.ok(lag >= 30 && lag < 3600, String(lag));
  assert.equal(sample(body, 'job_queue_oldest_due_lag_seconds', { queue: 'x.slow' }), 0);

  // Emptied queues keep reporting, as zeros (an alert sees 0, not a gap).
  await db.deleteFrom('jobs').where('queue', '=', 'x.backlog').execute();
  await sleep(1100); // one read serves a scrape's gauges for a second
  body = await scrape();
  for (const state of ['queued', 'delayed', 'running', 'failed', 'dead']) assert.equal(sample(body, 'job_queue_jobs', { queue: 'x.backlog', state }), 0, state);
  assert.equal(sample(body, 'job_queue_oldest_due_lag_seconds', { queue: 'x.backlog' }), 0);
});

test('/metrics: reminder lag from each reminder’s own due time (start − offset), pending and of the last 15 minutes', async () => {
  const before = await scrape();
  assert.equal(sample(before, 'reminder_lag_seconds', { window: 'pending' }), 0);
  assert.equal(sample(before, 'reminder_lag_seconds', { window: '15m' }), 0);

  // Due 90 s ago (appointment in 30 s, 2-minute reminder) and still waiting, its run_at moved on by a retry.
  const start = new Date(Date.now() + 30_000).toISOString();
  const late = (await enqueueJob(db, {
    queue: 'notify.reminder',
    runAt: new Date(Date.now() + 60_000),
    payload: { appointment_id: '00000000-0000-0000-0000-000000000001', start, offset_seconds: 120 },
  }))!;
  await sql`update jobs set last_error = 'Error: SMTP down', attempts = 1 where id = ${late}`.execute(db);
  // Sent 12 s after its due time, a minute ago.
  const sentStart = new Date(Date.now() - 72_000 + 3600_000).toISOString();
  const done = (await enqueueJob(db, {
    queue: 'notify.reminder',
    runAt: new Date(Date.now() - 72_000),
    payload: { appointment_id: '00000000-0000-0000-0000-000000000002', start: sentStart, offset_seconds: 3600 },
  }))!;
  await sql`update jobs set state = 'completed', finished_at = now() - interval '60 seconds' where id = ${done}`.execute(db);

  await sleep(1100);
  const body = await scrape();
  const pending = sample(body, 'reminder_lag_seconds', { window: 'pending' })!;
  assert.ok(pending >= 90 && pending < 120, `pending ${pending}`);
  const recent = sample(body, 'reminder_lag_seconds', { window: '15m' })!;
  assert.ok(recent >= 11.5 && recent < 13, `recent ${recent}`);
  assert.equal(sample(body, 'job_queue_jobs', { queue: 'notify.reminder', state: 'failed' }), 1);
});
