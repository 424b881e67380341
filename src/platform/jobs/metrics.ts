import { sql } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import type { Executor } from '../database/index.js';

/** The states /metrics reports per queue: disjoint, so they add up to every job not completed. */
export const GAUGE_STATES = ['queued', 'delayed', 'running', 'failed', 'dead'] as const;

export interface QueueGauges {
  queue: string;
  /** Waiting and due now, never failed: the backlog workers should be taking. */
  queued: number;
  /** Waiting for a later time, never failed (reminders, quiet hours). */
  delayed: number;
  /** Claimed by a worker on any instance. */
  running: number;
  /** Failed at least once (an error or an expired lease) and waiting for the retry. */
  failed: number;
  /** Dead letters: out of attempts or permanently failed, until an admin retries or discards them. */
  dead: number;
  /** How long the oldest due job (queued or failed) has waited past its due time; 0 when none. */
  oldest_due_lag_seconds: number;
}

/**
 * One grouped read of the jobs not completed: `state in (…)` lets PostgreSQL take them through
 * the `jobs_state_created` index instead of scanning the completed rows kept for 24 h.
 */
export async function queueGauges(db: Executor): Promise<QueueGauges[]> {
  const { rows } = await sql<Record<keyof QueueGauges, string | number>>`
    select queue,
      count(*) filter (where state = 'scheduled' and last_error is null and run_at <= now()) as queued,
      count(*) filter (where state = 'scheduled' and last_error is null and run_at > now()) as delayed,
      count(*) filter (where state = 'active') as running,
      count(*) filter (where state = 'scheduled' and last_error is not null) as failed,
      count(*) filter (where state = 'failed') as dead,
      coalesce(extract(epoch from now() - min(run_at) filter (where state = 'scheduled' and run_at <= now())), 0) as oldest_due_lag_seconds
    from jobs where state in ('scheduled', 'active', 'failed') group by queue order by queue`.execute(db);
  return rows.map((r) => ({
    queue: String(r.queue),
    queued: Number(r.queued),
    delayed: Number(r.delayed),
    running: Number(r.running),
    failed: Number(r.failed),
    dead: Number(r.dead),
    oldest_due_lag_seconds: Math.max(0, Math.round(Number(r.oldest_due_lag_seconds) * 1000) / 1000),
  }));
}

/**
 * Job-queue gauges in the /metrics exposition (issue 13): `job_queue_jobs{queue,state}` and
 * `job_queue_oldest_due_lag_seconds{queue}`, read from the shared table at scrape time, so every
 * instance reports the same cluster-wide figures (scrape one, or take max() over instances).
 * A queue seen once keeps reporting zeros after it empties, so alerts see 0 rather than a gap.
 * A failing read leaves the last values and logs a warning: /metrics itself keeps answering.
 */
export function registerJobMetrics(registry: Registry, db: Executor, log: FastifyBaseLogger): void {
  const seen = new Set<string>();
  let cached: { at: number; value: Promise<QueueGauges[] | null> } | null = null;
  // Both gauges are collected in one scrape: one query serves them.
  const read = () => {
    if (!cached || Date.now() - cached.at > 1000) {
      cached = {
        at: Date.now(),
        value: queueGauges(db).catch((err: unknown) => {
          log.warn({ err }, 'job queue metrics could not be read');
          return null;
        }),
      };
    }
    return cached.value;
  };
  new Gauge({
    name: 'job_queue_jobs',
    help: 'Jobs per queue by state: queued (due now), delayed (due later), running, failed (waiting for a retry), dead (dead letters)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const stats = await read();
      if (!stats) return;
      const byQueue = new Map(stats.map((s) => [s.queue, s]));
      for (const queue of byQueue.keys()) seen.add(queue);
      for (const queue of seen) {
        const s = byQueue.get(queue);
        for (const state of GAUGE_STATES) this.set({ queue, state }, s ? s[state] : 0);
      }
    },
  });
  new Gauge({
    name: 'job_queue_oldest_due_lag_seconds',
    help: 'Seconds the oldest due job of each queue has waited past its due time (pickup lag; 0 when none is due)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      const stats = await read();
      if (!stats) return;
      const byQueue = new Map(stats.map((s) => [s.queue, s]));
      for (const queue of byQueue.keys()) seen.add(queue);
      for (const queue of seen) this.set({ queue }, byQueue.get(queue)?.oldest_due_lag_seconds ?? 0);
    },
  });
}
