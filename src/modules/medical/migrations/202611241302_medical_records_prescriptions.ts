import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table medical_records (
      id uuid primary key default gen_random_uuid(),
      patient_id uuid not null references users (id),
      author_id uuid not null references users (id),
      appointment_id uuid,
      record_type text not null check (record_type in ('consultation', 'diagnosis', 'lab', 'imaging', 'note')),
      title text not null,
      content text not null,
      diagnoses jsonb not null default '[]',
      version integer not null default 1 check (version >= 1),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      updated_by uuid not null references users (id)
    )`.execute(db);
  await sql`create index medical_records_patient on medical_records (patient_id, created_at desc, id desc)`.execute(db);
  await sql`create index medical_records_created on medical_records (created_at desc, id desc)`.execute(db);
  await sql`create index medical_records_appointment on medical_records (appointment_id) where appointment_id is not null`.execute(db);

  await sql`
    create table medical_record_versions (
      record_id uuid not null references medical_records (id),
      version integer not null,
      record_type text not null,
      title text not null,
      content text not null,
      diagnoses jsonb not null,
      appointment_id uuid,
      written_by uuid not null references users (id),
      created_at timestamptz not null default now(),
      primary key (record_id, version)
    )`.execute(db);
  await sql`
    create function medical_record_versions_immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'medical record versions are append-only' using errcode = 'insufficient_privilege';
    end
    $$`.execute(db);
  await sql`create trigger medical_record_versions_no_change before update or delete on medical_record_versions for each row execute function medical_record_versions_immutable()`.execute(
    db,
  );

  await sql`
    create table medical_record_attachments (
      record_id uuid not null references medical_records (id),
      file_id uuid not null references files (id),
      added_by uuid not null references users (id),
      created_at timestamptz not null default now(),
      primary key (record_id, file_id)
    )`.execute(db);

  await sql`
    create table prescriptions (
      id uuid primary key default gen_random_uuid(),
      patient_id uuid not null references users (id),
      doctor_id uuid not null references users (id),
      appointment_id uuid,
      items jsonb not null check (jsonb_typeof(items) = 'array' and jsonb_array_length(items) > 0),
      notes text,
      status text not null default 'active' check (status in ('active', 'completed', 'cancelled')),
      status_reason text,
      status_changed_at timestamptz,
      status_changed_by uuid references users (id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index prescriptions_patient on prescriptions (patient_id, created_at desc, id desc)`.execute(db);
  await sql`create index prescriptions_created on prescriptions (created_at desc, id desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table prescriptions`.execute(db);
  await sql`drop table medical_record_attachments`.execute(db);
  await sql`drop table medical_record_versions`.execute(db);
  await sql`drop function medical_record_versions_immutable()`.execute(db);
  await sql`drop table medical_records`.execute(db);
}
