import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table audit_log (
      id uuid primary key default gen_random_uuid(),
      at timestamptz not null default clock_timestamp(),
      actor_id uuid references users (id),
      actor_role text not null,
      patient_id uuid references users (id),
      resource_type text not null,
      resource_id text,
      action text not null check (action in ('read', 'list', 'create', 'update', 'upload', 'download', 'status_change')),
      ip text,
      user_agent text,
      request_id text,
      details jsonb
    )`.execute(db);
  await sql`create index audit_log_at on audit_log (at desc, id desc)`.execute(db);
  await sql`create index audit_log_patient on audit_log (patient_id, at desc, id desc)`.execute(db);
  await sql`create index audit_log_actor on audit_log (actor_id, at desc, id desc)`.execute(db);
  await sql`create index audit_log_resource on audit_log (resource_type, resource_id)`.execute(db);
  // Append-only at the database level too: no code path (or API) can rewrite history.
  await sql`
    create function audit_log_immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only' using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`create trigger audit_log_no_change before update or delete on audit_log for each row execute function audit_log_immutable()`.execute(db);
  await sql`create trigger audit_log_no_truncate before truncate on audit_log for each statement execute function audit_log_immutable()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table audit_log`.execute(db);
  await sql`drop function audit_log_immutable()`.execute(db);
}
