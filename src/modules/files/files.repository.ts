import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { FilesTable } from './files.tables.js';

export type FileRow = Selectable<FilesTable>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class FilesRepository {
  async insert(db: Executor, values: Insertable<FilesTable>): Promise<FileRow> {
    return db.insertInto('files').values(values).returningAll().executeTakeFirstOrThrow();
  }

  /** `userId` when that account is a patient's (for auditing a file stored without a patient link). */
  async patientAccount(db: Executor, userId: string): Promise<string | null> {
    const row = await db.selectFrom('users').select('id').where('id', '=', userId).where('role', '=', 'patient').executeTakeFirst();
    return row?.id ?? null;
  }

  async findById(db: Executor, id: string): Promise<FileRow | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    return db.selectFrom('files').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findMany(db: Executor, ids: string[]): Promise<FileRow[]> {
    if (ids.length === 0) return [];
    return db.selectFrom('files').selectAll().where('id', 'in', ids).execute();
  }

  /** Ties a file to the patient whose data it is (attachment to a record or report). */
  async assignPatient(db: Executor, id: string, patientId: string): Promise<void> {
    await db.updateTable('files').set({ patient_id: patientId }).where('id', '=', id).where('patient_id', 'is', null).execute();
  }
}
