import { sql, type Kysely } from 'kysely';

/**
 * Review M3: a consult ends. It is `cancelled` (with `ended_at`) when its appointment is
 * cancelled, and then shares nothing; the record may be consulted again, so only one live
 * (booked or waitlisted) consult per record is unique. `chat_room_opened` says the consult
 * opened the chat room itself (not a room the pair already had), so ending the consult may
 * take the doctor out of it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table infection_consults drop constraint infection_consults_one_per_record`.execute(db);
  await sql`alter table infection_consults drop constraint infection_consults_status_check`.execute(db);
  await sql`alter table infection_consults add constraint infection_consults_status_check check (status in ('booked', 'waitlisted', 'cancelled'))`.execute(db);
  await sql`alter table infection_consults add column ended_at timestamptz`.execute(db);
  await sql`alter table infection_consults add column chat_room_opened boolean not null default false`.execute(db);
  await sql`create unique index infection_consults_one_per_record on infection_consults (record_id) where status <> 'cancelled'`.execute(db);
  await sql`create index infection_consults_appointment on infection_consults (appointment_id) where appointment_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index infection_consults_appointment`.execute(db);
  await sql`drop index infection_consults_one_per_record`.execute(db);
  await sql`delete from infection_consults where status = 'cancelled'`.execute(db);
  await sql`alter table infection_consults drop column chat_room_opened`.execute(db);
  await sql`alter table infection_consults drop column ended_at`.execute(db);
  await sql`alter table infection_consults drop constraint infection_consults_status_check`.execute(db);
  await sql`alter table infection_consults add constraint infection_consults_status_check check (status in ('booked', 'waitlisted'))`.execute(db);
  await sql`alter table infection_consults add constraint infection_consults_one_per_record unique (record_id)`.execute(db);
}
