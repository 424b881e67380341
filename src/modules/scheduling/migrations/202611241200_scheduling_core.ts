import { sql, type Kysely } from 'kysely';

/**
 * Scheduling: profiles, slots, appointments, waitlist, clinic clients.
 *
 * The two race-free guarantees live here, not in application code:
 *  - `slots_no_overlap`: a doctor's live slots never overlap (exclusion constraint over
 *    tstzrange, btree_gist for the `doctor_id =` part);
 *  - `appointments_one_per_slot`: at most one non-cancelled appointment per slot. Booking
 *    also flips the slot from `free` to `booked` with a conditional UPDATE, so under any
 *    concurrency exactly one request wins and the rest see 0 rows (→ 409).
 */
export async function up(db: Kysely<any>): Promise<void> {
  // In `public`, so every schema (tests use one each) shares it and dropping a schema keeps it.
  await sql`create extension if not exists btree_gist with schema public`.execute(db);

  await sql`
    create table doctor_profiles (
      user_id uuid primary key references users (id),
      specialty text,
      qualifications jsonb not null default '[]',
      bio text,
      languages text[] not null default '{}',
      consultation_fee numeric(10, 2),
      time_zone text not null default 'UTC',
      default_slot_minutes integer not null default 30 check (default_slot_minutes between 5 and 480),
      buffer_minutes integer not null default 0 check (buffer_minutes between 0 and 240),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index doctor_profiles_specialty on doctor_profiles (specialty)`.execute(db);

  await sql`
    create table patient_profiles (
      user_id uuid primary key references users (id),
      date_of_birth date,
      sex text check (sex in ('female', 'male', 'other', 'unknown')),
      phone text,
      address text,
      allergies jsonb not null default '[]',
      chronic_conditions jsonb not null default '[]',
      emergency_contact jsonb,
      time_zone text,
      photo_file_id uuid,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table slots (
      id uuid primary key default gen_random_uuid(),
      doctor_id uuid not null references users (id),
      start_at timestamptz not null,
      end_at timestamptz not null,
      status text not null default 'free' check (status in ('free', 'held', 'booked', 'blocked')),
      created_at timestamptz not null default now(),
      deleted_at timestamptz,
      constraint slots_end_after_start check (end_at > start_at),
      constraint slots_no_overlap exclude using gist (doctor_id with =, tstzrange(start_at, end_at, '[)') with &&) where (deleted_at is null)
    )`.execute(db);
  await sql`create index slots_doctor_start on slots (doctor_id, start_at) where deleted_at is null`.execute(db);
  await sql`create index slots_free_start on slots (start_at) where status = 'free' and deleted_at is null`.execute(db);

  await sql`
    create table appointments (
      id uuid primary key default gen_random_uuid(),
      slot_id uuid not null references slots (id),
      doctor_id uuid not null references users (id),
      patient_id uuid not null references users (id),
      start_at timestamptz not null,
      end_at timestamptz not null,
      type text not null check (type in ('video', 'in_person', 'chat')),
      status text not null default 'scheduled' check (status in ('scheduled', 'confirmed', 'in_progress', 'completed', 'cancelled', 'no_show')),
      reason text,
      notes text,
      cancel_reason text,
      cancelled_by uuid references users (id),
      cancelled_at timestamptz,
      booked_by uuid not null references users (id),
      reschedule_count integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint appointments_patient_no_overlap exclude using gist (patient_id with =, tstzrange(start_at, end_at, '[)') with &&)
        where (status in ('scheduled', 'confirmed', 'in_progress'))
    )`.execute(db);
  await sql`create unique index appointments_one_per_slot on appointments (slot_id) where status <> 'cancelled'`.execute(db);
  await sql`create index appointments_doctor_start on appointments (doctor_id, start_at, id)`.execute(db);
  await sql`create index appointments_patient_start on appointments (patient_id, start_at, id)`.execute(db);
  await sql`create index appointments_start on appointments (start_at, id)`.execute(db);

  await sql`
    create table waitlist_entries (
      id uuid primary key default gen_random_uuid(),
      patient_id uuid not null references users (id),
      doctor_id uuid references users (id),
      specialty text,
      window_start timestamptz not null,
      window_end timestamptz not null,
      type text check (type in ('video', 'in_person', 'chat')),
      status text not null default 'waiting' check (status in ('waiting', 'offered', 'fulfilled', 'cancelled')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint waitlist_target check (doctor_id is not null or specialty is not null),
      constraint waitlist_window check (window_end > window_start)
    )`.execute(db);
  await sql`create index waitlist_waiting on waitlist_entries (created_at, id) where status = 'waiting'`.execute(db);
  await sql`create index waitlist_patient on waitlist_entries (patient_id, created_at)`.execute(db);

  await sql`
    create table waitlist_offers (
      id uuid primary key default gen_random_uuid(),
      entry_id uuid not null references waitlist_entries (id),
      slot_id uuid not null references slots (id),
      patient_id uuid not null references users (id),
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index waitlist_offers_entry on waitlist_offers (entry_id)`.execute(db);

  // In-app notification rows. The notifications area adopts this table (same name and
  // columns); "if not exists" keeps either migration order working.
  await sql`
    create table if not exists notifications (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      kind text not null,
      title text not null,
      body text not null,
      data jsonb not null default '{}',
      read_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index if not exists notifications_user_created on notifications (user_id, created_at desc)`.execute(db);

  await sql`
    create table clients (
      id uuid primary key default gen_random_uuid(),
      first_name text not null,
      last_name text not null,
      email text,
      phone text,
      date_of_birth date,
      sex text check (sex in ('female', 'male', 'other', 'unknown')),
      address text,
      medical_history text,
      notes text,
      assigned_doctor_id uuid references users (id),
      user_id uuid references users (id),
      created_by uuid not null references users (id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      deleted_at timestamptz
    )`.execute(db);
  await sql`create unique index clients_user_unique on clients (user_id) where deleted_at is null and user_id is not null`.execute(db);
  await sql`create index clients_assigned on clients (assigned_doctor_id, created_at desc, id) where deleted_at is null`.execute(db);
  await sql`create index clients_created on clients (created_at desc, id) where deleted_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table clients`.execute(db);
  await sql`drop table waitlist_offers`.execute(db);
  await sql`drop table waitlist_entries`.execute(db);
  await sql`drop table appointments`.execute(db);
  await sql`drop table slots`.execute(db);
  await sql`drop table patient_profiles`.execute(db);
  await sql`drop table doctor_profiles`.execute(db);
}
