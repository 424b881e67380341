import { sql, type Kysely } from 'kysely';

/**
 * Strong authentication (issue 15, docs/API.md §1.1): how each session was authenticated,
 * TOTP and recovery codes, passkeys, short-lived challenges (MFA tokens, WebAuthn and OIDC
 * round trips) and links to external identity providers.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // `amr` (space-separated RFC 8176 values) and `auth_time` travel into every access token
  // of the session, so step-up checks read the token, not the database.
  await sql`alter table auth_sessions add column amr text not null default 'pwd'`.execute(db);
  await sql`alter table auth_sessions add column auth_time timestamptz not null default now()`.execute(db);

  await sql`
    create table mfa_totp (
      user_id uuid primary key references users (id),
      secret_enc text not null,
      confirmed_at timestamptz,
      last_used_step bigint,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table mfa_recovery_codes (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      code_hash text not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create unique index mfa_recovery_codes_hash on mfa_recovery_codes (user_id, code_hash)`.execute(db);

  await sql`
    create table webauthn_credentials (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      credential_id text not null,
      public_key text not null,
      counter bigint not null default 0,
      transports text,
      name text not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz
    )`.execute(db);
  await sql`create unique index webauthn_credentials_credential on webauthn_credentials (credential_id)`.execute(db);
  await sql`create index webauthn_credentials_user on webauthn_credentials (user_id)`.execute(db);

  // One row per pending round trip; the secret handed to the client is stored hashed.
  await sql`
    create table auth_challenges (
      token_hash text primary key,
      kind text not null check (kind in ('mfa', 'webauthn_register', 'webauthn_login', 'oidc')),
      user_id uuid references users (id),
      payload text not null default '{}',
      attempts integer not null default 0,
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index auth_challenges_expiry on auth_challenges (expires_at)`.execute(db);

  await sql`
    create table external_identities (
      provider text not null,
      subject text not null,
      user_id uuid not null references users (id),
      email text,
      created_at timestamptz not null default now(),
      last_login_at timestamptz,
      primary key (provider, subject)
    )`.execute(db);
  await sql`create index external_identities_user on external_identities (user_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table external_identities`.execute(db);
  await sql`drop table auth_challenges`.execute(db);
  await sql`drop table webauthn_credentials`.execute(db);
  await sql`drop table mfa_recovery_codes`.execute(db);
  await sql`drop table mfa_totp`.execute(db);
  await sql`alter table auth_sessions drop column auth_time`.execute(db);
  await sql`alter table auth_sessions drop column amr`.execute(db);
}
