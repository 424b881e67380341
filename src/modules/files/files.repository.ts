import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import { afterPosition, idsOrNone } from '../../platform/database/keyset.js';
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

  /** Files tied to these patients (record attachments, lab report files), by upload time; keyset after (at, id). */
  async patientFiles(
    db: Executor,
    filter: { patientIds: string[]; ids?: string[]; from?: { at: Date; inclusive: boolean }; to?: { at: Date; inclusive: boolean }; descending: boolean },
    after: { at: Date; id: string } | null,
    limit: number,
  ): Promise<FileRow[]> {
    let query = db.selectFrom('files').selectAll().where('patient_id', 'in', idsOrNone(filter.patientIds));
    if (filter.ids) query = query.where('id', 'in', idsOrNone(filter.ids.filter((id) => UUID_RE.test(id))));
    if (filter.from) query = query.where('created_at', filter.from.inclusive ? '>=' : '>', filter.from.at);
    if (filter.to) query = query.where('created_at', filter.to.inclusive ? '<=' : '<', filter.to.at);
    if (after) query = query.where(afterPosition('created_at', 'id', filter.descending, after.at, after.id));
    const direction = filter.descending ? 'desc' : 'asc';
    return query.orderBy('created_at', direction).orderBy('id', direction).limit(limit).execute();
  }

  /** Ties a file to the patient whose data it is (attachment to a record or report). */
  async assignPatient(db: Executor, id: string, patientId: string): Promise<void> {
    await db.updateTable('files').set({ patient_id: patientId }).where('id', '=', id).where('patient_id', 'is', null).execute();
  }
}
