import { sql, type Kysely } from 'kysely';

/**
 * Issue 15 item 7: Azure Blob Storage is a third storage backend (src/platform/storage/azure.ts,
 * chosen by AZURE_STORAGE_CONNECTION_STRING), so a file row may record `azure`. The first
 * migration's inline check got PostgreSQL's default name, `files_storage_backend_check`
 * (the same on PGlite); it is replaced under that name.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table files drop constraint files_storage_backend_check`.execute(db);
  await sql`alter table files add constraint files_storage_backend_check check (storage_backend in ('local', 's3', 'azure'))`.execute(db);
}

/** Refused (the check fails) while any file row still says `azure`: move those objects first. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table files drop constraint files_storage_backend_check`.execute(db);
  await sql`alter table files add constraint files_storage_backend_check check (storage_backend in ('local', 's3'))`.execute(db);
}
