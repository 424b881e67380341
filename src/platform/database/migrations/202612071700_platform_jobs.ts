import { sql, type Kysely } from 'kysely';

/**
 * The durable job queue (src/platform/jobs/, docs/NOTIFICATIONS.md). One table on both
 * backends: workers claim due rows with FOR UPDATE SKIP LOCKED and hold them under a lease.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table jobs (
      id uuid primary key default gen_random_uuid(),
      queue text not null,
      payload jsonb not null default '{}',
      state text not null default 'scheduled' check (state in ('scheduled', 'active', 'completed', 'failed')),
      key text,
      run_at timestamptz not null default now(),
      attempts integer not null default 0,
      max_attempts integer not null default 8 check (max_attempts between 1 and 100),
      lease_token uuid,
      locked_until timestamptz,
      last_error text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      finished_at timestamptz
    )`.execute(db);
  // Due work, in order; the claim reads only this partial index.
  await sql`create index jobs_due on jobs (run_at) where state = 'scheduled'`.execute(db);
  // Leases to reap when a worker stalls or dies.
  await sql`create index jobs_leases on jobs (locked_until) where state = 'active'`.execute(db);
  // At most one waiting job per key: replace/keep semantics (a running one may coexist).
  await sql`create unique index jobs_key_waiting on jobs (key) where state = 'scheduled' and key is not null`.execute(db);
  await sql`create index jobs_key on jobs (key) where key is not null`.execute(db);
  // The admin list (newest first per state) and the clean-up of finished jobs.
  await sql`create index jobs_state_created on jobs (state, created_at desc, id desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table jobs`.execute(db);
}
