import { sql, type Kysely } from 'kysely';

/**
 * One audit row per patient and list read (issue 12 item 1): a list read used to write one row
 * per listed resource, which cost more than the read itself (docs/BENCHMARKS.md, "Read
 * paths"). The row now carries every listed id in `resource_ids`; the partial GIN index keeps
 * "who saw resource X" (GET /audit?resource_id=X) an index lookup over both columns.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table audit_log add column resource_ids text[]`.execute(db);
  await sql`create index audit_log_resource_ids on audit_log using gin (resource_ids) where resource_ids is not null`.execute(db);
  // The lookup is by id, with or without a type; (resource_type, resource_id) served only the
  // first. Replaced rather than added to, so every audit insert still updates as many indexes.
  await sql`drop index audit_log_resource`.execute(db);
  await sql`create index audit_log_resource_id on audit_log (resource_id) where resource_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index audit_log_resource_id`.execute(db);
  await sql`create index audit_log_resource on audit_log (resource_type, resource_id)`.execute(db);
  await sql`drop index audit_log_resource_ids`.execute(db);
  await sql`alter table audit_log drop column resource_ids`.execute(db);
}
