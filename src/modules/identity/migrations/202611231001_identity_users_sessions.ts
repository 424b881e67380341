import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table users (
      id uuid primary key default gen_random_uuid(),
      email text not null,
      username text,
      password_hash text not null,
      full_name text not null,
      phone text,
      time_zone text not null default 'UTC',
      role text not null check (role in ('patient', 'doctor', 'nurse', 'admin')),
      status text not null check (status in ('active', 'pending', 'deactivated', 'deleted')),
      approved_at timestamptz,
      approved_by uuid references users (id),
      password_changed_at timestamptz not null default now(),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      deleted_at timestamptz,
      constraint users_email_lower check (email = lower(email))
    )`.execute(db);
  await sql`create unique index users_email_unique on users (email)`.execute(db);
  await sql`create unique index users_username_unique on users (lower(username))`.execute(db);
  await sql`create index users_role_status on users (role, status, created_at desc, id)`.execute(db);
  await sql`create index users_created on users (created_at desc, id)`.execute(db);

  await sql`
    create table auth_sessions (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      created_at timestamptz not null default now(),
      last_refreshed_at timestamptz,
      expires_at timestamptz not null,
      revoked_at timestamptz,
      revoke_reason text,
      ip text,
      user_agent text
    )`.execute(db);
  await sql`create index auth_sessions_user on auth_sessions (user_id) where revoked_at is null`.execute(db);

  await sql`
    create table refresh_tokens (
      token_hash text primary key,
      session_id uuid not null references auth_sessions (id),
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz
    )`.execute(db);
  await sql`create index refresh_tokens_session on refresh_tokens (session_id)`.execute(db);

  await sql`
    create table password_reset_tokens (
      token_hash text primary key,
      user_id uuid not null references users (id),
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz
    )`.execute(db);
  await sql`create index password_reset_tokens_user on password_reset_tokens (user_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table password_reset_tokens`.execute(db);
  await sql`drop table refresh_tokens`.execute(db);
  await sql`drop table auth_sessions`.execute(db);
  await sql`drop table users`.execute(db);
}
