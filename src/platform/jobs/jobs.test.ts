import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { isAllowedPushHost, notificationsConfig } from './config.js';
import { backoffMs, cancelJobs, enqueueJob, enqueueJobs, JobQueue, PermanentJobError, type JobQueueOptions } from './index.js';

// One app (one database) for the file: each test uses queues of its own names.
const built = await build({ after });

const FAST: Partial<JobQueueOptions> = { pollMs: 20, leaseMs: 5000, backoffBaseMs: 30, backoffMaxMs: 200, drainMs: 300 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

async function stateOf(db: Parameters<typeof enqueueJob>[0], id: string) {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

test('backoff grows exponentially, with jitter, capped', () => {
  assert.equal(
    backoffMs(1, 1000, 60_000, () => 0),
    500,
  );
  assert.equal(
    backoffMs(1, 1000, 60_000, () => 1),
    1000,
  );
  assert.equal(
    backoffMs(4, 1000, 60_000, () => 1),
    8000,
  );
  assert.equal(
    backoffMs(30, 1000, 60_000, () => 1),
    60_000,
  );
  const spread = new Set(Array.from({ length: 20 }, () => backoffMs(3, 1000, 60_000)));
  assert.ok(spread.size > 1, 'jitter varies the delay');
});

test('job queue: delayed jobs, keys (replace/keep), retries with backoff, dead letter and the admin routes', async (t) => {
  const { db, log } = built.ctx;
  const queue = new JobQueue(db, log, FAST);
  const runs: { name: string; at: number; attempt: number }[] = [];
  queue.define('t.ok', async (payload, job) => {
    runs.push({ name: String(payload.name), at: Date.now(), attempt: job.attempt });
  });
  let flaky = 0;
  queue.define('t.flaky', async () => {
    flaky++;
    if (flaky < 3) throw new Error('temporary');
  });
  queue.define('t.broken', async () => {
    throw new Error('always broken');
  });
  queue.define('t.permanent', async () => {
    throw new PermanentJobError('bad payload');
  });
  queue.start();
  t.after(() => queue.stop());

  // Delayed: not before its time.
  const t0 = Date.now();
  await queue.enqueue(db, { queue: 't.ok', payload: { name: 'delayed' }, runAt: new Date(t0 + 400) });
  await queue.enqueue(db, { queue: 't.ok', payload: { name: 'now' } });
  await until(() => runs.length === 2);
  const delayed = runs.find((r) => r.name === 'delayed')!;
  assert.ok(delayed.at - t0 >= 390, `the delayed job ran after ${delayed.at - t0} ms, before its time`);

  // Keys: replace moves the waiting job (one run, with the new payload); keep leaves the first.
  const far = new Date(Date.now() + 60_000);
  const a = await queue.enqueue(db, { queue: 't.ok', payload: { name: 'r1' }, runAt: far, key: 'k-replace' });
  const b = await queue.enqueue(db, { queue: 't.ok', payload: { name: 'r2' }, runAt: new Date(Date.now() + 100), key: 'k-replace', onKey: 'replace' });
  assert.equal(a, b, 'replace updates the waiting job in place');
  // (k1 waits far ahead so that it is surely still waiting when k2 comes, however slow the machine; then it is made due.)
  const k1 = await queue.enqueue(db, { queue: 't.ok', payload: { name: 'k1' }, runAt: far, key: 'k-keep', onKey: 'keep' });
  const k2 = await queue.enqueue(db, { queue: 't.ok', payload: { name: 'k2' }, key: 'k-keep', onKey: 'keep' });
  assert.ok(k1);
  assert.equal(k2, null, 'keep leaves the waiting job');
  await db.updateTable('jobs').set({ run_at: new Date() }).where('id', '=', k1).execute();
  queue.wake();
  await until(() => runs.some((r) => r.name === 'r2') && runs.some((r) => r.name === 'k1'));
  await sleep(100);
  assert.deepEqual(
    runs
      .map((r) => r.name)
      .filter((n) => /^r|^k/.test(n))
      .sort(),
    ['k1', 'r2'],
  );
  // Cancelled by key before it ran: never runs.
  await queue.enqueue(db, { queue: 't.ok', payload: { name: 'cancelled' }, runAt: new Date(Date.now() + 200), key: 'k-cancel' });
  assert.equal(await cancelJobs(db, ['k-cancel']), 1);

  // Retries with backoff, then success.
  const flakyId = (await queue.enqueue(db, { queue: 't.flaky', maxAttempts: 5 }))!;
  await until(async () => (await stateOf(db, flakyId)).state === 'completed');
  assert.equal((await stateOf(db, flakyId)).attempts, 3);

  // Out of attempts → failed (dead letter), with the last error; a permanent error fails at once.
  const brokenId = (await queue.enqueue(db, { queue: 't.broken', maxAttempts: 3 }))!;
  const permanentId = (await queue.enqueue(db, { queue: 't.permanent', maxAttempts: 5 }))!;
  await until(async () => (await stateOf(db, brokenId)).state === 'failed' && (await stateOf(db, permanentId)).state === 'failed');
  assert.equal((await stateOf(db, brokenId)).attempts, 3);
  assert.match((await stateOf(db, brokenId)).last_error ?? '', /always broken/);
  assert.equal((await stateOf(db, permanentId)).attempts, 1);
  assert.ok(!runs.some((r) => r.name === 'cancelled'));

  // Admin view: the dead-letter list, retry and discard; others get 403.
  const [admin, patient] = await Promise.all([createUser(built, 'admin'), createUser(built, 'patient')]);
  const failed = await built.app.inject({ method: 'GET', url: '/api/v1/admin/jobs?state=failed', headers: admin.auth });
  assert.equal(failed.statusCode, 200, failed.body);
  const ids = failed.json().items.map((j: { id: string }) => j.id);
  assert.deepEqual(ids.sort(), [brokenId, permanentId].sort());
  assert.equal(failed.json().items[0].payload, undefined, 'payloads are not shown');
  const page = await built.app.inject({ method: 'GET', url: '/api/v1/admin/jobs?state=failed&limit=1', headers: admin.auth });
  const next = await built.app.inject({ method: 'GET', url: `/api/v1/admin/jobs?state=failed&limit=1&cursor=${page.json().next_cursor}`, headers: admin.auth });
  assert.equal(next.json().items.length, 1);
  assert.notEqual(next.json().items[0].id, page.json().items[0].id);
  assert.equal((await built.app.inject({ method: 'GET', url: '/api/v1/admin/jobs?state=failed', headers: patient.auth })).statusCode, 403);
  assert.equal((await built.app.inject({ method: 'GET', url: '/api/v1/admin/jobs?state=bogus', headers: admin.auth })).statusCode, 422);

  flaky = 0;
  queue.define('t.fixed', async () => {});
  await db.updateTable('jobs').set({ queue: 't.fixed' }).where('id', '=', brokenId).execute();
  const retried = await built.app.inject({ method: 'POST', url: `/api/v1/admin/jobs/${brokenId}/retry`, headers: admin.auth });
  assert.equal(retried.statusCode, 200, retried.body);
  assert.equal(retried.json().state, 'scheduled');
  await until(async () => (await stateOf(db, brokenId)).state === 'completed');
  const again = await built.app.inject({ method: 'POST', url: `/api/v1/admin/jobs/${flakyId}/retry`, headers: admin.auth });
  assert.equal(again.statusCode, 200, 'a completed job may be run again');
  const del = await built.app.inject({ method: 'DELETE', url: `/api/v1/admin/jobs/${permanentId}`, headers: admin.auth });
  assert.equal(del.statusCode, 204);
  assert.equal((await built.app.inject({ method: 'DELETE', url: `/api/v1/admin/jobs/${permanentId}`, headers: admin.auth })).statusCode, 404);
  assert.equal((await built.app.inject({ method: 'POST', url: `/api/v1/admin/jobs/${permanentId}/retry`, headers: admin.auth })).statusCode, 404);
});

test('job queue: a stalled worker’s job is taken over after its lease, and its late outcome is ignored', async (t) => {
  const { db, log } = built.ctx;
  const id = (await enqueueJob(db, { queue: 't.lease' }))!;
  // A worker claimed it and died: active, lease already expired, its token is not ours.
  await sql`update jobs set state = 'active', attempts = 1, lease_token = gen_random_uuid(), locked_until = now() - interval '1 second' where id = ${id}`.execute(
    db,
  );
  const stale = await stateOf(db, id);
  let ran = 0;
  const queue = new JobQueue(db, log, FAST);
  queue.define('t.lease', async () => {
    ran++;
  });
  queue.start();
  t.after(() => queue.stop());
  await until(async () => (await stateOf(db, id)).state === 'completed');
  assert.equal(ran, 1);
  assert.equal((await stateOf(db, id)).attempts, 2, 'the lost run counts as an attempt');
  // The dead worker wakes up and tries to record a failure with its old token: no effect.
  await sql`update jobs set state = 'failed' where id = ${id} and lease_token = ${stale.lease_token}`.execute(db);
  assert.equal((await stateOf(db, id)).state, 'completed');
});

test('job queue: a long handler keeps its lease (renewal) and runs once', async (t) => {
  const { db, log } = built.ctx;
  let runs = 0;
  const mk = () => {
    const q = new JobQueue(db, log, { ...FAST, leaseMs: 800 });
    q.define('t.long', async () => {
      runs++;
      await sleep(3000); // several leases long
    });
    q.start();
    t.after(() => q.stop());
    return q;
  };
  mk();
  mk();
  const id = (await enqueueJob(db, { queue: 't.long' }))!;
  await until(async () => (await stateOf(db, id)).state === 'completed');
  assert.equal(runs, 1);
});

test('job queue: several workers share the queue; each job runs once; stop() drains and hands back', async () => {
  const { db, log } = built.ctx;
  const seen = new Map<string, number>();
  const workers = [0, 1, 2].map(() => {
    const q = new JobQueue(db, log, { ...FAST, concurrency: 4 });
    q.define('t.many', async (payload) => {
      await sleep(Math.random() * 5);
      seen.set(String(payload.n), (seen.get(String(payload.n)) ?? 0) + 1);
    });
    return q;
  });
  for (let i = 0; i < 150; i++) await enqueueJob(db, { queue: 't.many', payload: { n: i } });
  for (const w of workers) w.start();
  await until(() => seen.size === 150, 30_000);
  await Promise.all(workers.map((w) => w.stop()));
  assert.equal([...seen.values()].filter((n) => n !== 1).length, 0, 'no job ran twice');
  assert.ok(workers.every((w) => w.stats.completed > 0) || built.ctx.database.kind === 'pglite', 'every worker took part');

  // Drain: a running handler finishes before stop() returns; one that outlasts drainMs is handed back.
  const q = new JobQueue(db, log, { ...FAST, drainMs: 200 });
  let finished = false;
  q.define('t.drain', async (payload, job) => {
    if (payload.slow) await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
    else {
      await sleep(100);
      finished = true;
    }
  });
  const quick = (await enqueueJob(db, { queue: 't.drain' }))!;
  const slow = (await enqueueJob(db, { queue: 't.drain', payload: { slow: true } }))!;
  q.start();
  await until(async () => (await stateOf(db, slow)).state === 'active' && (await stateOf(db, quick)).state === 'active');
  await q.stop();
  assert.ok(finished);
  assert.equal((await stateOf(db, quick)).state, 'completed');
  const handedBack = await stateOf(db, slow);
  assert.equal(handedBack.state, 'scheduled');
  assert.equal(handedBack.attempts, 0, 'a handed-back job does not use up an attempt');
});

test('push endpoints: only the configured push services (and their subdomains) are allowed', () => {
  const hosts = ['fcm.googleapis.com', 'push.services.mozilla.com'];
  assert.equal(isAllowedPushHost('fcm.googleapis.com', hosts), true);
  assert.equal(isAllowedPushHost('updates.push.services.mozilla.com', hosts), true);
  assert.equal(isAllowedPushHost('FCM.googleapis.com.', hosts), true);
  assert.equal(isAllowedPushHost('evilfcm.googleapis.com.attacker.example', hosts), false);
  assert.equal(isAllowedPushHost('googleapis.com', hosts), false);
  assert.equal(isAllowedPushHost('169.254.169.254', hosts), false);
});

test('queue metrics: per-queue depth (due, delayed), in flight, dead letters and the oldest due job’s lag (admin only)', async (t) => {
  const { db, log } = built.ctx;
  const [admin, doctor] = await Promise.all([createUser(built, 'admin'), createUser(built, 'doctor')]);
  const stats = async () => {
    const res = await built.app.inject({ method: 'GET', url: '/api/v1/admin/jobs/stats', headers: admin.auth });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { queues: { queue: string; [k: string]: number | string }[]; instance: Record<string, unknown>; measured_at: string };
  };
  const of = async (queue: string) => (await stats()).queues.find((q) => q.queue === queue);

  // A backlog nobody works on: two jobs due (the oldest 30 s overdue) and one for later.
  await enqueueJob(db, { queue: 'm.backlog', runAt: new Date(Date.now() - 30_000) });
  await enqueueJob(db, { queue: 'm.backlog', runAt: new Date(Date.now() - 5_000) });
  await enqueueJob(db, { queue: 'm.backlog', runAt: new Date(Date.now() + 3_600_000) });
  const backlog = await of('m.backlog');
  assert.ok(backlog);
  assert.equal(backlog.due, 2);
  assert.equal(backlog.delayed, 1);
  assert.equal(backlog.active, 0);
  assert.ok(Number(backlog.oldest_due_lag_seconds) >= 30 && Number(backlog.oldest_due_lag_seconds) < 3600, String(backlog.oldest_due_lag_seconds));

  // In flight and dead letters, from a real worker.
  const queue = new JobQueue(db, log, FAST);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  queue.define('m.slow', () => held);
  queue.define('m.dead', async () => {
    throw new PermanentJobError('cannot succeed');
  });
  queue.start();
  t.after(async () => {
    release();
    await queue.stop();
  });
  await queue.enqueue(db, { queue: 'm.slow' });
  await queue.enqueue(db, { queue: 'm.dead' });
  await until(async () => (await of('m.slow'))?.active === 1 && (await of('m.dead'))?.failed === 1);
  const slow = (await of('m.slow'))!;
  assert.equal(slow.due, 0);
  assert.ok(Number(slow.oldest_active_seconds) >= 0);
  release();
  await until(async () => (await of('m.slow'))?.completed === 1 && (await of('m.slow'))?.active === 0);
  const body = await stats();
  assert.equal(typeof body.instance.running, 'boolean');
  assert.ok(!Number.isNaN(Date.parse(body.measured_at)));
  // Emptied queues report zero lag, not null.
  assert.equal((await of('m.slow'))!.oldest_due_lag_seconds, 0);

  assert.equal((await built.app.inject({ method: 'GET', url: '/api/v1/admin/jobs/stats', headers: doctor.auth })).statusCode, 403);
  assert.equal((await built.app.inject({ method: 'GET', url: '/api/v1/admin/jobs/stats' })).statusCode, 401);
});

test('NOTIFICATION_EMAIL_DETAIL: minimal by default, names on request, anything else refused at start-up', () => {
  const fail = (variable: string, message: string) => new Error(`${variable} ${message}`);
  assert.equal(notificationsConfig({}, fail).outsideDetail, 'minimal');
  assert.equal(notificationsConfig({ NOTIFICATION_EMAIL_DETAIL: 'names' }, fail).outsideDetail, 'names');
  assert.throws(() => notificationsConfig({ NOTIFICATION_EMAIL_DETAIL: 'everything' }, fail), /NOTIFICATION_EMAIL_DETAIL/);
});

test('job queue: batches — one claim runs as one call; per-job outcomes (done, retried, dead); a taken-over job keeps its new owner; enqueueJobs keeps key semantics', async (t) => {
  const { db, log } = built.ctx;
  const queue = new JobQueue(db, log, { ...FAST, concurrency: 16 });
  const calls: string[][] = [];
  const attempts = new Map<string, number>();
  queue.defineBatch('t.batch', async (jobs) => {
    calls.push(jobs.map((j) => String(j.payload.name)));
    return jobs.map(({ payload, job }) => {
      attempts.set(String(payload.name), job.attempt);
      if (payload.name === 'flaky' && job.attempt < 2) return new Error('temporary');
      if (payload.name === 'bad') return new PermanentJobError('bad payload');
      return undefined;
    });
  });
  // Ten due jobs written together (one INSERT), before the worker starts: one claim takes them all.
  await enqueueJobs(db, [
    ...Array.from({ length: 8 }, (_, i) => ({ queue: 't.batch', payload: { name: `ok${i}` } })),
    { queue: 't.batch', payload: { name: 'flaky' } },
    { queue: 't.batch', payload: { name: 'bad' } },
  ]);
  queue.start();
  t.after(() => queue.stop());
  const rows = () => db.selectFrom('jobs').selectAll().where('queue', '=', 't.batch').execute();
  await until(async () => (await rows()).every((r) => r.state === 'completed' || r.state === 'failed'));
  assert.equal(calls[0]!.length, 10, 'the first call had the whole claim');
  const byName = new Map((await rows()).map((r) => [String((r.payload as Record<string, unknown>).name), r]));
  for (let i = 0; i < 8; i++) assert.equal(byName.get(`ok${i}`)!.state, 'completed');
  assert.equal(byName.get('flaky')!.state, 'completed', 'a failed job of a batch is retried alone');
  assert.equal(attempts.get('flaky'), 2);
  assert.equal(byName.get('bad')!.state, 'failed', 'a permanent error dead-letters only that job');
  assert.match(byName.get('bad')!.last_error!, /bad payload/);
  assert.equal(queue.stats.completed, 9);

  // Fencing: a job whose lease was taken over while its batch ran is not marked completed by the old batch.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const slow = new JobQueue(db, log, { ...FAST, leaseMs: 60_000 });
  slow.defineBatch('t.batch.fenced', async () => {
    await held;
  });
  const id = await enqueueJob(db, { queue: 't.batch.fenced' });
  slow.start();
  t.after(() => slow.stop());
  await until(async () => (await stateOf(db, id!)).state === 'active');
  await sql`update jobs set lease_token = gen_random_uuid() where id = ${id}`.execute(db); // another worker's claim now
  release();
  await until(() => slow.inFlightCount === 0);
  assert.equal((await stateOf(db, id!)).state, 'active', "the stale batch did not overwrite the new owner's job");

  // enqueueJobs: `keep` leaves a waiting job with the key, `replace` moves it (last spec wins).
  const later = new Date(Date.now() + 3_600_000);
  await enqueueJobs(db, [
    { queue: 't.batch.keys', key: 'bk-keep', onKey: 'keep', runAt: later, payload: { v: 1 } },
    { queue: 't.batch.keys', key: 'bk-repl', runAt: later, payload: { v: 1 } },
  ]);
  await enqueueJobs(db, [
    { queue: 't.batch.keys', key: 'bk-keep', onKey: 'keep', runAt: later, payload: { v: 2 } },
    { queue: 't.batch.keys', key: 'bk-repl', runAt: later, payload: { v: 2 } },
    { queue: 't.batch.keys', key: 'bk-repl', runAt: later, payload: { v: 3 } },
  ]);
  const keyed = await db.selectFrom('jobs').select(['key', 'payload']).where('queue', '=', 't.batch.keys').execute();
  assert.deepEqual(Object.fromEntries(keyed.map((r) => [r.key, (r.payload as Record<string, unknown>).v])), { 'bk-keep': 1, 'bk-repl': 3 });
});
