import { sql, type Kysely } from 'kysely';

/**
 * Allergy records (issue 12): what a patient reacts to, entered by the patient or a
 * clinician in their care, and checked when prescribing (drug-safety.ts). Removal is soft:
 * the row stays for the record and the audit trail, it just no longer counts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table allergies (
      id uuid primary key default gen_random_uuid(),
      patient_id uuid not null references users (id),
      substance text not null check (length(substance) between 1 and 200),
      substance_key text not null,
      reaction text,
      severity text not null default 'unknown' check (severity in ('mild', 'moderate', 'severe', 'unknown')),
      notes text,
      recorded_by uuid not null references users (id),
      created_at timestamptz not null default now(),
      removed_at timestamptz,
      removed_by uuid references users (id)
    )`.execute(db);
  await sql`create unique index allergies_one_per_substance on allergies (patient_id, substance_key) where removed_at is null`.execute(db);
  await sql`create index allergies_patient on allergies (patient_id, created_at, id) where removed_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table allergies`.execute(db);
}
