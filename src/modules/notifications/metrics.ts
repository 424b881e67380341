import { sql } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import type { Executor } from '../../platform/database/index.js';
import { REMINDER_QUEUE } from './subscriptions.js';

export interface ReminderLag {
  /** How far past its due time the oldest reminder still waiting or running is; 0 when none is late. */
  pending_seconds: number;
  /** The largest due-to-done delay among reminders finished in the last 15 minutes; 0 when none finished. */
  recent_max_seconds: number;
}

/**
 * Reminder lag, measured from each reminder's own due time (its appointment's start minus the
 * offset, from the job payload written in subscriptions.ts), not from the job's `run_at`, which a
 * retry moves on: a reminder that failed twice and went out 3 minutes late shows 3 minutes.
 */
export async function reminderLag(db: Executor): Promise<ReminderLag> {
  const due = sql`((payload->>'start')::timestamptz - (payload->>'offset_seconds')::double precision * interval '1 second')`;
  const { rows } = await sql<{ pending: number | string | null; recent: number | string | null }>`
    select
      extract(epoch from now() - min(${due}) filter (where state in ('scheduled', 'active') and ${due} <= now())) as pending,
      extract(epoch from max(finished_at - ${due}) filter (where state = 'completed' and finished_at > now() - interval '15 minutes')) as recent
    from jobs
    where queue = ${REMINDER_QUEUE} and state in ('scheduled', 'active', 'completed')`.execute(db);
  const seconds = (value: number | string | null | undefined) => Math.max(0, Math.round(Number(value ?? 0) * 1000) / 1000);
  return { pending_seconds: seconds(rows[0]?.pending), recent_max_seconds: seconds(rows[0]?.recent) };
}

/**
 * `reminder_lag_seconds` (issue 13) in /metrics, registered through `AppModule.metrics`:
 * `{window="pending"}` is the alert (a reminder due and not yet sent, how late it is now),
 * `{window="15m"}` what was achieved (the latest reminder sent in the last 15 minutes, at worst).
 * Cluster-wide figures from the shared jobs table; a failing read keeps the last values.
 */
export function registerReminderMetrics(registry: Registry, db: Executor, log: FastifyBaseLogger): void {
  new Gauge({
    name: 'reminder_lag_seconds',
    help: 'Appointment reminder lag: window="pending" how late the oldest due, unsent reminder is now; window="15m" the worst delay of reminders sent in the last 15 minutes',
    labelNames: ['window'] as const,
    registers: [registry],
    async collect() {
      try {
        const lag = await reminderLag(db);
        this.set({ window: 'pending' }, lag.pending_seconds);
        this.set({ window: '15m' }, lag.recent_max_seconds);
      } catch (err) {
        log.warn({ err }, 'reminder lag could not be read');
      }
    },
  });
}
