import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { KeysetPosition } from '../../platform/http/pagination.js';
import type { LabReportsTable, ObservationsTable } from './reports.tables.js';
import { afterPosition } from '../../platform/database/keyset.js';

export type ReportRow = Selectable<LabReportsTable>;
export type ObservationRow = Selectable<ObservationsTable>;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ReportsRepository {
  async insert(db: Executor, report: Insertable<LabReportsTable>, observations: Omit<Insertable<ObservationsTable>, 'report_id'>[]): Promise<ReportRow> {
    const row = await db.insertInto('lab_reports').values(report).returningAll().executeTakeFirstOrThrow();
    if (observations.length) await db.insertInto('observations').values(observations.map((o) => ({ ...o, report_id: row.id }))).execute();
    return row;
  }

  async findById(db: Executor, id: string): Promise<ReportRow | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    return db.selectFrom('lab_reports').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async observations(db: Executor, reportId: string): Promise<ObservationRow[]> {
    return db.selectFrom('observations').selectAll().where('report_id', '=', reportId).orderBy('position').execute();
  }

  async list(db: Executor, filter: { patientId?: string; status?: string }, after: KeysetPosition | null, count: number): Promise<ReportRow[]> {
    let query = db.selectFrom('lab_reports').selectAll();
    if (filter.patientId) query = query.where('patient_id', '=', filter.patientId);
    if (filter.status) query = query.where('status', '=', filter.status as ReportRow['status']);
    if (after) {
      const at = new Date(String(after.v));
      query = query.where(afterPosition('created_at', 'id', true, at, after.id));
    }
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(count).execute();
  }

  async trend(db: Executor, patientId: string, code: string, after: KeysetPosition | null, count: number): Promise<ObservationRow[]> {
    let query = db.selectFrom('observations').selectAll().where('patient_id', '=', patientId).where('code', '=', code);
    if (after) {
      const at = new Date(String(after.v));
      query = query.where(afterPosition('observed_at', 'id', false, at, after.id));
    }
    return query.orderBy('observed_at', 'asc').orderBy('id', 'asc').limit(count).execute();
  }
}
