import { sql, type Kysely } from 'kysely';

/**
 * SMART refresh tokens, EHR launches and the ids of client assertions already seen
 * (src/modules/fhir/smart, docs/FHIR.md "SMART App Launch"). Each secret is kept by its hash.
 * A refresh token belongs to one app session (`auth_sessions`): its family. The tokens are not
 * in identity's `refresh_tokens`, so a SMART refresh token can never be redeemed at
 * /api/v1/auth/refresh for a full API token.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table smart_refresh_tokens (
      token_hash text primary key,
      session_id uuid not null references auth_sessions (id) on delete cascade,
      user_id uuid not null references users (id),
      client_id text not null,
      scope text not null,
      patient_id uuid references users (id),
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index smart_refresh_tokens_session on smart_refresh_tokens (session_id)`.execute(db);
  await sql`
    create table smart_launches (
      launch_hash text primary key,
      client_id text not null,
      user_id uuid not null references users (id),
      patient_id uuid references users (id),
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table smart_client_assertions (
      client_id text not null,
      jti text not null,
      expires_at timestamptz not null,
      primary key (client_id, jti)
    )`.execute(db);
  await sql`create index smart_client_assertions_expires on smart_client_assertions (expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists smart_client_assertions`.execute(db);
  await sql`drop table if exists smart_launches`.execute(db);
  await sql`drop table if exists smart_refresh_tokens`.execute(db);
}
