import { sql } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import type { Db, Executor } from '../database/index.js';
import type { JobState } from './jobs.tables.js';
import './jobs.tables.js';

export { JOB_STATES, type JobState } from './jobs.tables.js';

/**
 * A durable job queue on the application database (docs/NOTIFICATIONS.md, "Jobs").
 *
 * - One table, one implementation for PGlite and PostgreSQL. Workers claim due rows with
 *   `FOR UPDATE SKIP LOCKED`, so several instances share the queue without taking the same
 *   job; on PGlite (one session) the same statement simply runs alone.
 * - Enqueueing is a plain INSERT on any executor, so a job is created in the same
 *   transaction as the change that causes it (a rolled-back booking leaves no reminder).
 * - A claimed job is held under a lease (`locked_until`) that the worker renews while the
 *   handler runs; a worker that stalls or dies stops renewing, and any instance puts the job
 *   back once the lease has expired. Completion and failure are fenced by the claim's
 *   `lease_token`, so a stalled worker that wakes up late cannot overwrite the new owner's
 *   outcome. Jobs are therefore run at least once: handlers make their effects exactly-once
 *   themselves (the notifications delivery ledger).
 * - Failures retry with exponential backoff and jitter; after `max_attempts`, or on a
 *   PermanentJobError, the job is `failed` (the dead-letter list admins see).
 * - `key` gives at most one waiting job per key: `replace` moves/overwrites it, `keep`
 *   leaves the first. Reminders use it so a reschedule moves the reminder in place.
 */

export interface JobSpec {
  queue: string;
  payload?: Record<string, unknown>;
  /** When the job becomes due (default: now). */
  runAt?: Date;
  key?: string;
  /** What an enqueue with the key of a waiting job does (default `replace`). */
  onKey?: 'replace' | 'keep';
  maxAttempts?: number;
}

/** Adds a job; in a transaction when `db` is one. Returns the id, or null when `keep` found a waiting job. */
export async function enqueueJob(db: Executor, spec: JobSpec): Promise<string | null> {
  const payload = JSON.stringify(spec.payload ?? {});
  const runAt = spec.runAt ? sql`${spec.runAt.toISOString()}::timestamptz` : sql`now()`;
  const maxAttempts = spec.maxAttempts ?? 8;
  const base = sql`insert into jobs (queue, payload, key, run_at, max_attempts) values (${spec.queue}, ${payload}::jsonb, ${spec.key ?? null}, ${runAt}, ${maxAttempts})`;
  if (!spec.key) {
    const { rows } = await sql<{ id: string }>`${base} returning id`.execute(db);
    return rows[0]!.id;
  }
  const conflict =
    spec.onKey === 'keep'
      ? sql`on conflict (key) where state = 'scheduled' and key is not null do nothing`
      : sql`on conflict (key) where state = 'scheduled' and key is not null do update set queue = excluded.queue, payload = excluded.payload, run_at = excluded.run_at, max_attempts = excluded.max_attempts, attempts = 0, last_error = null, updated_at = now()`;
  const { rows } = await sql<{ id: string }>`${base} ${conflict} returning id`.execute(db);
  return rows[0]?.id ?? null;
}

/**
 * Adds several jobs in one INSERT per kind (no key, `keep`, `replace`), with `enqueueJob`'s
 * semantics for each; in a transaction when `db` is one. For `replace`, the last spec of a key wins.
 */
export async function enqueueJobs(db: Executor, specs: JobSpec[]): Promise<void> {
  const groups: Record<'none' | 'keep' | 'replace', JobSpec[]> = { none: [], keep: [], replace: [] };
  for (const spec of specs) groups[!spec.key ? 'none' : spec.onKey === 'keep' ? 'keep' : 'replace'].push(spec);
  groups.replace = [...new Map(groups.replace.map((spec) => [spec.key, spec])).values()];
  for (const [kind, group] of Object.entries(groups)) {
    if (!group.length) continue;
    const values = sql.join(
      group.map(
        (spec) =>
          sql`(${spec.queue}, ${JSON.stringify(spec.payload ?? {})}::jsonb, ${spec.key ?? null}, ${spec.runAt ? sql`${spec.runAt.toISOString()}::timestamptz` : sql`now()`}, ${spec.maxAttempts ?? 8})`,
      ),
    );
    const conflict =
      kind === 'none'
        ? sql``
        : kind === 'keep'
          ? sql`on conflict (key) where state = 'scheduled' and key is not null do nothing`
          : sql`on conflict (key) where state = 'scheduled' and key is not null do update set queue = excluded.queue, payload = excluded.payload, run_at = excluded.run_at, max_attempts = excluded.max_attempts, attempts = 0, last_error = null, updated_at = now()`;
    await sql`insert into jobs (queue, payload, key, run_at, max_attempts) values ${values} ${conflict}`.execute(db);
  }
}

/** Removes the waiting jobs with these keys (a running one finishes; its handler re-checks). */
export async function cancelJobs(db: Executor, keys: string[]): Promise<number> {
  if (!keys.length) return 0;
  const result = await db.deleteFrom('jobs').where('key', 'in', keys).where('state', '=', 'scheduled').executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Thrown by a handler when retrying cannot help (bad payload, deleted subject): the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

export interface RunningJob {
  id: string;
  queue: string;
  key: string | null;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
  /** Aborted when the instance stops before the handler finished (the job is handed back). */
  signal: AbortSignal;
}

export type JobHandler = (payload: Record<string, unknown>, job: RunningJob) => Promise<void>;

export interface BatchJob {
  payload: Record<string, unknown>;
  job: RunningJob;
}

/**
 * Handles the due jobs of one queue that one claim picked up, together (one transaction, one
 * read of the recipients instead of one per job). Returns, per job and in order, `undefined`
 * for done or the error it failed with (retried or dead-lettered like a single job's); a
 * throw fails every job of the batch with that error.
 */
export type BatchJobHandler = (jobs: BatchJob[]) => Promise<(unknown | undefined)[] | void>;

export interface JobQueueOptions {
  /** Handlers running at once on this instance. */
  concurrency: number;
  /** How often an idle worker looks for due jobs (a local enqueue wakes it at once). */
  pollMs: number;
  /** How long a claim holds a job without renewal; renewed every third of it. */
  leaseMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Completed jobs are deleted after this long (failed ones stay until an admin acts). */
  keepCompletedMs: number;
  /** How long stop() waits for running handlers before handing their jobs back. */
  drainMs: number;
}

export const DEFAULT_JOB_OPTIONS: JobQueueOptions = {
  concurrency: 16,
  pollMs: 250,
  leaseMs: 30_000,
  backoffBaseMs: 2_000,
  backoffMaxMs: 60 * 60_000,
  keepCompletedMs: 24 * 3600_000,
  drainMs: 5_000,
};

interface ClaimedRow {
  id: string;
  queue: string;
  key: string | null;
  payload: Record<string, unknown> | string;
  attempts: number;
  max_attempts: number;
  lease_token: string;
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/** The worker side: runs the handlers registered with `define` once `start` is called. */
export class JobQueue {
  private readonly handlers = new Map<string, { one: JobHandler } | { batch: BatchJobHandler }>();
  private readonly inFlight = new Map<string, { token: string; abort: AbortController; done: Promise<void> }>();
  private readonly options: JobQueueOptions;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private maintenance: NodeJS.Timeout | null = null;
  private lastCleanup = 0;
  /** Per-instance counters for /metrics-style reporting and tests. */
  readonly stats = { completed: 0, failed: 0, retried: 0, reaped: 0 };

  constructor(
    private readonly db: Db,
    private readonly log: FastifyBaseLogger,
    options: Partial<JobQueueOptions> = {},
  ) {
    this.options = { ...DEFAULT_JOB_OPTIONS, ...options };
  }

  define(queue: string, handler: JobHandler): void {
    if (this.handlers.has(queue)) throw new Error(`Job queue ${queue} is defined twice`);
    this.handlers.set(queue, { one: handler });
  }

  /**
   * Like `define`, but the jobs of this queue that one claim picks up run as one batch: on
   * PGlite (one session) every statement waits its turn, so a batch's shared reads and single
   * completion UPDATE are what let one process keep up with thousands of reminders.
   */
  defineBatch(queue: string, handler: BatchJobHandler): void {
    if (this.handlers.has(queue)) throw new Error(`Job queue ${queue} is defined twice`);
    this.handlers.set(queue, { batch: handler });
  }

  /** Enqueue on the database (or `trx`) and wake this instance's worker. */
  async enqueue(db: Executor, spec: JobSpec): Promise<string | null> {
    const id = await enqueueJob(db, spec);
    this.wake();
    return id;
  }

  /** Look for due jobs now (e.g. after a transaction that enqueued some has committed). */
  wake(): void {
    this.wakeUp?.();
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Handlers running on this instance now. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
    const every = Math.max(200, Math.min(5_000, Math.floor(this.options.leaseMs / 3)));
    this.maintenance = setInterval(() => void this.maintain().catch((err) => this.log.warn({ err }, 'job queue maintenance failed')), every);
    this.maintenance.unref();
  }

  /**
   * Graceful drain: claim nothing more, let running handlers finish for up to `drainMs`,
   * then abort the rest and hand their jobs back (due now, attempt not counted) so another
   * instance takes them at once instead of after the lease.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    if (this.maintenance) clearInterval(this.maintenance);
    await this.loopDone;
    const pending = [...this.inFlight.values()];
    if (pending.length) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(pending.map((p) => p.done)), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.drainMs)))]);
      clearTimeout(timer);
    }
    const left = [...this.inFlight.entries()];
    if (left.length) {
      for (const [, entry] of left) entry.abort.abort();
      const tokens = left.map(([, entry]) => entry.token);
      await sql`update jobs set state = 'scheduled', attempts = greatest(attempts - 1, 0), lease_token = null, locked_until = null, run_at = now(), updated_at = now()
                where state = 'active' and lease_token in (${sql.join(tokens)})`
        .execute(this.db)
        .catch((err) => this.log.warn({ err }, 'could not hand running jobs back'));
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const free = this.options.concurrency - this.inFlight.size;
      let claimed = 0;
      if (free > 0 && this.handlers.size) {
        try {
          const rows = await this.claim(free);
          claimed = rows.length;
          const batches = new Map<string, ClaimedRow[]>();
          for (const row of rows) {
            const handler = this.handlers.get(row.queue)!;
            if ('one' in handler) this.run(row, handler.one);
            else batches.set(row.queue, [...(batches.get(row.queue) ?? []), row]);
          }
          for (const [queue, batch] of batches) this.runBatch(batch, (this.handlers.get(queue) as { batch: BatchJobHandler }).batch);
        } catch (err) {
          if (this.running) this.log.warn({ err }, 'job claim failed');
        }
      }
      if (!this.running) break;
      if (free > 0 && claimed === free) continue; // a full batch: more may be due
      await this.sleep(this.options.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }

  private async claim(limit: number): Promise<ClaimedRow[]> {
    const queues = [...this.handlers.keys()];
    const { rows } = await sql<ClaimedRow>`
      with picked as (
        select id from jobs
        where state = 'scheduled' and run_at <= now() and queue in (${sql.join(queues)})
        order by run_at
        limit ${limit}
        for update skip locked
      )
      update jobs set state = 'active', attempts = jobs.attempts + 1, lease_token = gen_random_uuid(),
        locked_until = now() + ${this.options.leaseMs}::double precision * interval '1 millisecond', updated_at = now()
      from picked where jobs.id = picked.id
      returning jobs.id, jobs.queue, jobs.key, jobs.payload, jobs.attempts, jobs.max_attempts, jobs.lease_token`.execute(this.db);
    return rows;
  }

  private run(row: ClaimedRow, handler: JobHandler): void {
    const abort = new AbortController();
    const { payload, job } = toBatchJob(row, abort.signal);
    const done = (async () => {
      try {
        await handler(payload, job);
        if (abort.signal.aborted) return; // stop() handed the job back meanwhile: it runs again elsewhere
        await sql`update jobs set state = 'completed', lease_token = null, locked_until = null, last_error = null, finished_at = now(), updated_at = now()
                  where id = ${row.id} and lease_token = ${row.lease_token}`.execute(this.db);
        this.stats.completed++;
      } catch (err) {
        if (abort.signal.aborted) return; // handed back by stop()
        await this.fail(row, err).catch((e) => this.log.warn({ err: e, job_id: row.id }, 'could not record a job failure'));
      }
    })().finally(() => {
      this.inFlight.delete(row.id);
      this.wake();
    });
    this.inFlight.set(row.id, { token: row.lease_token, abort, done });
  }

  private runBatch(rows: ClaimedRow[], handler: BatchJobHandler): void {
    const abort = new AbortController();
    const done = (async () => {
      let outcomes: (unknown | undefined)[] = [];
      try {
        outcomes = (await handler(rows.map((row) => toBatchJob(row, abort.signal)))) ?? [];
      } catch (err) {
        outcomes = rows.map(() => err);
      }
      if (abort.signal.aborted) return; // stop() handed the jobs back meanwhile
      const succeeded = rows.filter((_, i) => outcomes[i] === undefined);
      if (succeeded.length) {
        // One fenced UPDATE for the whole batch: a job taken over meanwhile (expired lease) keeps its new owner's state.
        const { rows: updated } = await sql<{ id: string }>`
          update jobs set state = 'completed', lease_token = null, locked_until = null, last_error = null, finished_at = now(), updated_at = now()
          where (id, lease_token) in (${sql.join(succeeded.map((row) => sql`(${row.id}::uuid, ${row.lease_token}::uuid)`))}) returning id`
          .execute(this.db)
          .catch((err) => {
            this.log.warn({ err, jobs: succeeded.length }, 'could not record a batch of completed jobs');
            return { rows: [] };
          });
        this.stats.completed += updated.length;
      }
      await Promise.all(
        rows.map((row, i) =>
          outcomes[i] === undefined
            ? null
            : this.fail(row, outcomes[i]).catch((e) => this.log.warn({ err: e, job_id: row.id }, 'could not record a job failure')),
        ),
      );
    })().finally(() => {
      for (const row of rows) this.inFlight.delete(row.id);
      this.wake();
    });
    for (const row of rows) this.inFlight.set(row.id, { token: row.lease_token, abort, done });
  }

  private async fail(row: ClaimedRow, err: unknown): Promise<void> {
    const message = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 1000);
    const dead = err instanceof PermanentJobError || row.attempts >= row.max_attempts;
    const delay = dead ? 0 : backoffMs(row.attempts, this.options.backoffBaseMs, this.options.backoffMaxMs);
    await sql`update jobs set state = ${dead ? 'failed' : 'scheduled'}, run_at = now() + ${delay}::double precision * interval '1 millisecond',
                last_error = ${message}, lease_token = null, locked_until = null, updated_at = now(), finished_at = ${dead ? sql`now()` : sql`null`}
              where id = ${row.id} and lease_token = ${row.lease_token}`.execute(this.db);
    if (dead) {
      this.stats.failed++;
      this.log.warn({ job_id: row.id, queue: row.queue, attempts: row.attempts, error: message }, 'job failed for good (dead-letter)');
    } else {
      this.stats.retried++;
      this.log.info({ job_id: row.id, queue: row.queue, attempt: row.attempts, retry_in_ms: delay }, 'job failed; will retry');
    }
  }

  /** Lease renewal for our running jobs; expired leases of any instance go back to the queue. */
  private async maintain(): Promise<void> {
    if (!this.running) return;
    const tokens = [...this.inFlight.values()].map((entry) => entry.token);
    if (tokens.length) {
      await sql`update jobs set locked_until = now() + ${this.options.leaseMs}::double precision * interval '1 millisecond'
                where state = 'active' and lease_token in (${sql.join(tokens)})`.execute(this.db);
    }
    this.stats.reaped += await reapExpiredLeases(this.db);
    if (Date.now() - this.lastCleanup > 60_000) {
      this.lastCleanup = Date.now();
      await sql`delete from jobs where state = 'completed' and finished_at < now() - ${this.options.keepCompletedMs}::double precision * interval '1 millisecond'`.execute(
        this.db,
      );
    }
  }
}

function toBatchJob(row: ClaimedRow, signal: AbortSignal): BatchJob {
  const payload = typeof row.payload === 'string' ? (JSON.parse(row.payload) as Record<string, unknown>) : row.payload;
  return { payload, job: { id: row.id, queue: row.queue, key: row.key, attempt: row.attempts, maxAttempts: row.max_attempts, signal } };
}

/** Jobs whose worker stopped renewing: due again now, or failed when out of attempts. */
export async function reapExpiredLeases(db: Executor): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    update jobs set state = case when attempts >= max_attempts then 'failed' else 'scheduled' end,
      last_error = 'lease expired: the worker stopped or stalled', lease_token = null, locked_until = null,
      run_at = now(), updated_at = now(), finished_at = case when attempts >= max_attempts then now() else null end
    where state = 'active' and locked_until < now()
    returning id`.execute(db);
  return rows.length;
}

// ---- admin view (docs/API.md §6) ----

export interface JobView {
  id: string;
  queue: string;
  state: JobState;
  key: string | null;
  run_at: Date;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const VIEW_COLUMNS = ['id', 'queue', 'state', 'key', 'run_at', 'attempts', 'max_attempts', 'last_error', 'created_at', 'updated_at', 'finished_at'] as const;

/** One queue's health, across every instance sharing the database. */
export interface QueueStats {
  queue: string;
  /** Waiting and due now: the backlog workers should be taking. */
  due: number;
  /** Waiting for a later time (reminders, retries after backoff, quiet hours). */
  delayed: number;
  /** Claimed by a worker and running (in flight), on any instance. */
  active: number;
  /** Dead letters: out of attempts or permanently failed. */
  failed: number;
  /** Finished within the retention window (24 h). */
  completed: number;
  /** Seconds the oldest due job has been waiting past its due time (0 when none is due): the pickup lag. */
  oldest_due_lag_seconds: number;
  /** Seconds the longest-running claimed job has held its claim (0 when none runs). */
  oldest_active_seconds: number;
}

/** Per-queue depth, in-flight, dead letters and lag, from the table itself (one grouped scan). */
export async function queueStats(db: Executor): Promise<QueueStats[]> {
  const { rows } = await sql<Record<keyof QueueStats, string | number | null>>`
    select queue,
      count(*) filter (where state = 'scheduled' and run_at <= now()) as due,
      count(*) filter (where state = 'scheduled' and run_at > now()) as delayed,
      count(*) filter (where state = 'active') as active,
      count(*) filter (where state = 'failed') as failed,
      count(*) filter (where state = 'completed') as completed,
      coalesce(extract(epoch from now() - min(run_at) filter (where state = 'scheduled' and run_at <= now())), 0) as oldest_due_lag_seconds,
      coalesce(extract(epoch from now() - min(updated_at) filter (where state = 'active')), 0) as oldest_active_seconds
    from jobs group by queue order by queue`.execute(db);
  return rows.map((r) => ({
    queue: String(r.queue),
    due: Number(r.due),
    delayed: Number(r.delayed),
    active: Number(r.active),
    failed: Number(r.failed),
    completed: Number(r.completed),
    oldest_due_lag_seconds: Math.max(0, Math.round(Number(r.oldest_due_lag_seconds) * 1000) / 1000),
    oldest_active_seconds: Math.max(0, Math.round(Number(r.oldest_active_seconds) * 1000) / 1000),
  }));
}

/** Newest first; `after` is the keyset position of the last row served. */
export async function listJobs(
  db: Executor,
  filter: { state?: JobState; queue?: string; limit: number; after: { createdAt: Date; id: string } | null },
): Promise<JobView[]> {
  let query = db.selectFrom('jobs').select(VIEW_COLUMNS);
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.queue) query = query.where('queue', '=', filter.queue);
  if (filter.after) query = query.where(sql<boolean>`(created_at, id) < (${filter.after.createdAt.toISOString()}::timestamptz, ${filter.after.id}::uuid)`);
  return (await query
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute()) as JobView[];
}

export async function findJob(db: Executor, id: string): Promise<JobView | null> {
  return ((await db.selectFrom('jobs').select(VIEW_COLUMNS).where('id', '=', id).executeTakeFirst()) as JobView | undefined) ?? null;
}

/** A failed (or completed) job runs again now with a fresh attempt budget; null when it is waiting or running. */
export async function retryJob(db: Executor, id: string): Promise<JobView | null> {
  const { rows } = await sql<{ id: string }>`
    update jobs set state = 'scheduled', run_at = now(), attempts = 0, last_error = null, finished_at = null, updated_at = now()
    where id = ${id} and state in ('failed', 'completed') returning id`.execute(db);
  return rows.length ? findJob(db, id) : null;
}

/** Discards a job that is not running; false when it is running (or gone). */
export async function deleteJob(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('jobs').where('id', '=', id).where('state', '!=', 'active').executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
