/**
 * The typed shape of the database for Kysely. Each module adds its own tables by
 * declaration merging in its `*.tables.ts` file:
 *
 *   declare module '../../platform/database/schema.js' {
 *     interface Database { appointments: AppointmentsTable }
 *   }
 *
 * so the schema of an area lives beside the code that owns it.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface Database {}
