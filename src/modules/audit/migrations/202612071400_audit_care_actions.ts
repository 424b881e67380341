import { sql, type Kysely } from 'kysely';

/**
 * Audit actions for the care relationship and deletions (issue 11): `delete` (a clinic
 * client removed), `grant` / `revoke` (a doctor gains or loses access to a patient's data),
 * `consent` (a patient accepts or declines a clinic's link to their account).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log drop constraint audit_log_action_check`.execute(db);
  await sql`
    alter table audit_log add constraint audit_log_action_check
      check (action in ('read', 'list', 'create', 'update', 'delete', 'upload', 'download', 'status_change', 'grant', 'revoke', 'consent'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log drop constraint audit_log_action_check`.execute(db);
  await sql`
    alter table audit_log add constraint audit_log_action_check
      check (action in ('read', 'list', 'create', 'update', 'upload', 'download', 'status_change'))`.execute(db);
}
