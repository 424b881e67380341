import { sql, type Kysely } from 'kysely';

/**
 * SMART App Launch authorisation codes (src/modules/fhir/smart): one row per code a user
 * granted an app, kept by the hash of the code (the code itself is a bearer secret), single use,
 * valid for a minute. In the database, not in memory, so any instance can redeem it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table smart_authorization_codes (
      code_hash text primary key,
      client_id text not null,
      redirect_uri text not null,
      user_id uuid not null references users (id),
      scope text not null,
      patient_id uuid references users (id),
      code_challenge text not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index smart_authorization_codes_expires on smart_authorization_codes (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists smart_authorization_codes`.execute(db);
}
