import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table infection_records (
      id uuid primary key default gen_random_uuid(),
      patient_id uuid not null references users (id),
      image_file_id uuid not null references files (id),
      body_site text,
      notes text,
      scale_mm_per_px double precision,
      model_name text not null,
      model_version text not null,
      model_kind text not null check (model_kind in ('rules', 'onnx')),
      top_label text not null,
      confidence double precision not null,
      risk text not null check (risk in ('low', 'medium', 'high')),
      predictions jsonb not null,
      features jsonb not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index infection_records_patient on infection_records (patient_id, created_at desc, id desc)`.execute(db);
  await sql`create index infection_records_image on infection_records (image_file_id)`.execute(db);
  await sql`
    create table infection_consults (
      id uuid primary key default gen_random_uuid(),
      record_id uuid not null references infection_records (id),
      patient_id uuid not null references users (id),
      doctor_id uuid references users (id),
      appointment_id uuid,
      waitlist_entry_id uuid,
      chat_room_id uuid,
      status text not null check (status in ('booked', 'waitlisted')),
      created_at timestamptz not null default now(),
      constraint infection_consults_one_per_record unique (record_id)
    )`.execute(db);
  await sql`create index infection_consults_doctor on infection_consults (doctor_id, patient_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table infection_consults`.execute(db);
  await sql`drop table infection_records`.execute(db);
}
