import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table lab_reports (
      id uuid primary key default gen_random_uuid(),
      patient_id uuid not null references users (id),
      uploaded_by uuid not null references users (id),
      file_id uuid not null references files (id),
      format text not null check (format in ('csv', 'pdf')),
      status text not null check (status in ('parsed', 'partial', 'unparsed')),
      collected_at timestamptz not null,
      unparsed jsonb not null default '[]',
      observation_count integer not null default 0,
      abnormal_count integer not null default 0,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index lab_reports_patient on lab_reports (patient_id, created_at desc, id desc)`.execute(db);
  await sql`create index lab_reports_created on lab_reports (created_at desc, id desc)`.execute(db);
  await sql`
    create table observations (
      id uuid primary key default gen_random_uuid(),
      report_id uuid not null references lab_reports (id),
      patient_id uuid not null references users (id),
      position integer not null,
      name text not null,
      code text not null,
      value double precision not null,
      unit text,
      reference_range text,
      ref_low double precision,
      ref_high double precision,
      flag text check (flag in ('low', 'normal', 'high', 'critical')),
      range_source text,
      observed_at timestamptz not null
    )`.execute(db);
  await sql`create index observations_trend on observations (patient_id, code, observed_at, id)`.execute(db);
  await sql`create index observations_report on observations (report_id, position)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table observations`.execute(db);
  await sql`drop table lab_reports`.execute(db);
}
