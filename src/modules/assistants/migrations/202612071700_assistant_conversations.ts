import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Multi-turn state of the patient and doctor assistants (docs/ASSISTANTS.md "Conversations"):
  // one row per conversation, owned by one user in one role, expiring after inactivity.
  await sql`
    create table assistant_conversations (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      role text not null check (role in ('patient', 'doctor')),
      state jsonb not null,
      turns integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index assistant_conversations_expiry on assistant_conversations (expires_at)`.execute(db);

  // The user's assistant chat room (a chat room of kind "assistant"), where every exchange is also posted.
  await sql`
    create table assistant_rooms (
      user_id uuid primary key references users (id),
      room_id uuid not null,
      created_at timestamptz not null default now()
    )`.execute(db);

  // Emergencies detected in patients' messages (assistant or chat), for the doctor's "urgent patients".
  await sql`
    create table assistant_emergency_flags (
      id uuid primary key default gen_random_uuid(),
      patient_id uuid not null references users (id),
      level text not null,
      source text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index assistant_emergency_flags_patient on assistant_emergency_flags (patient_id, created_at desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table assistant_emergency_flags`.execute(db);
  await sql`drop table assistant_rooms`.execute(db);
  await sql`drop table assistant_conversations`.execute(db);
}
