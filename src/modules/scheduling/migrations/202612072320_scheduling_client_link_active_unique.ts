import { sql, type Kysely } from 'kysely';

/**
 * Security review: one live client record per patient account was enforced over every link,
 * pending ones included, so a doctor or nurse who proposed a link to an account that another
 * record already named got a 409 — learning that the patient has a clinic record (and so a
 * clinician) elsewhere. Only an *active* link is a care relationship, and only one may be
 * active per account, so uniqueness now covers active links only: a proposed (pending) link
 * is stored and answered the same whether or not the account is linked elsewhere, and the
 * conflict surfaces only to those who may see the links — an admin linking (active at once)
 * or the patient accepting (src/modules/scheduling/clients.service.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index clients_user_unique`.execute(db);
  await sql`create unique index clients_user_active_unique on clients (user_id) where deleted_at is null and user_link_status = 'active'`.execute(db);
}

/** Refused while an account has several live records (pending ones included): unlink the extra ones first. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index clients_user_active_unique`.execute(db);
  await sql`create unique index clients_user_unique on clients (user_id) where deleted_at is null and user_id is not null`.execute(db);
}
