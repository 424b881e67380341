import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table symptom_sessions (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      state jsonb not null,
      finished boolean not null default false,
      triage_level text not null,
      top_condition_id text,
      top_condition_name text,
      questions_asked integer not null default 0,
      kb_version text not null,
      model_version uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index symptom_sessions_user on symptom_sessions (user_id, created_at desc, id desc)`.execute(db);

  // One piece of feedback per session (the learning rule counts each session once).
  await sql`
    create table symptom_feedback (
      id uuid primary key default gen_random_uuid(),
      session_id uuid not null unique references symptom_sessions (id),
      user_id uuid not null references users (id),
      actual_condition text,
      helpful boolean not null,
      rating integer check (rating between 1 and 5),
      comment text,
      created_at timestamptz not null default now(),
      applied_in uuid
    )`.execute(db);
  await sql`create index symptom_feedback_pending on symptom_feedback (created_at) where applied_in is null`.execute(db);

  // Every learning run writes a new version; exactly one is active. Admins can review and roll back.
  await sql`
    create table symptom_model_versions (
      id uuid primary key default gen_random_uuid(),
      adjustments jsonb not null,
      feedback_applied integer not null,
      active boolean not null default false,
      created_at timestamptz not null default now(),
      created_by uuid references users (id),
      note text
    )`.execute(db);
  await sql`create unique index symptom_model_versions_one_active on symptom_model_versions (active) where active`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table symptom_model_versions`.execute(db);
  await sql`drop table symptom_feedback`.execute(db);
  await sql`drop table symptom_sessions`.execute(db);
}
