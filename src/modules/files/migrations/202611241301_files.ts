import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table files (
      id uuid primary key default gen_random_uuid(),
      owner_id uuid not null references users (id),
      patient_id uuid references users (id),
      filename text not null check (length(filename) between 1 and 255),
      content_type text not null,
      size bigint not null check (size > 0),
      sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
      storage_backend text not null check (storage_backend in ('local', 's3')),
      storage_key text not null unique,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index files_owner on files (owner_id, created_at desc)`.execute(db);
  await sql`create index files_patient on files (patient_id, created_at desc) where patient_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table files`.execute(db);
}
