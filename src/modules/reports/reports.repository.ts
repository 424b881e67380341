import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { KeysetPosition } from '../../platform/http/pagination.js';
import type { LabReportsTable, ObservationsTable } from './reports.tables.js';
import { afterPosition, idsOrNone } from '../../platform/database/keyset.js';
import type { ObservationReadRow, ObservationSearch, ReportSearch } from './reports.reads.js';

export type ReportRow = Selectable<LabReportsTable>;
export type ObservationRow = Selectable<ObservationsTable>;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class ReportsRepository {
  async insert(db: Executor, report: Insertable<LabReportsTable>, observations: Omit<Insertable<ObservationsTable>, 'report_id'>[]): Promise<ReportRow> {
    const row = await db.insertInto('lab_reports').values(report).returningAll().executeTakeFirstOrThrow();
    if (observations.length)
      await db
        .insertInto('observations')
        .values(observations.map((o) => ({ ...o, report_id: row.id })))
        .execute();
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

  // Searches for the FHIR facade (reports.reads.ts): keyset pages in clinical-time order.
  async searchObservations(db: Executor, search: ObservationSearch): Promise<ObservationReadRow[]> {
    let query = db
      .selectFrom('observations as o')
      .innerJoin('lab_reports as r', 'r.id', 'o.report_id')
      .selectAll('o')
      .select('r.created_at as report_created_at');
    if (search.ids) query = query.where('o.id', 'in', idsOrNone(search.ids));
    if (search.patientIds) query = query.where('o.patient_id', 'in', idsOrNone(search.patientIds));
    if (search.codes) query = query.where('o.code', 'in', idsOrNone(search.codes));
    if (search.reportIds) query = query.where('o.report_id', 'in', idsOrNone(search.reportIds));
    if (search.from) query = query.where('o.observed_at', search.from.inclusive ? '>=' : '>', search.from.at);
    if (search.to) query = query.where('o.observed_at', search.to.inclusive ? '<=' : '<', search.to.at);
    const updated = search.lastUpdated;
    if (updated?.from) query = query.where('r.created_at', updated.from.inclusive ? '>=' : '>', updated.from.at);
    if (updated?.to) query = query.where('r.created_at', updated.to.inclusive ? '<=' : '<', updated.to.at);
    if (search.after) {
      const { at, id } = search.after;
      const op = search.descending ? '<' : '>';
      query = query.where((eb) => eb.or([eb('o.observed_at', op, at), eb.and([eb('o.observed_at', '=', at), eb('o.id', op, id)])]));
    }
    const direction = search.descending ? 'desc' : 'asc';
    return query.orderBy('o.observed_at', direction).orderBy('o.id', direction).limit(search.limit).execute();
  }

  async searchReports(db: Executor, search: ReportSearch): Promise<ReportRow[]> {
    let query = db.selectFrom('lab_reports').selectAll();
    if (search.ids) query = query.where('id', 'in', idsOrNone(search.ids));
    if (search.patientIds) query = query.where('patient_id', 'in', idsOrNone(search.patientIds));
    if (search.from) query = query.where('collected_at', search.from.inclusive ? '>=' : '>', search.from.at);
    if (search.to) query = query.where('collected_at', search.to.inclusive ? '<=' : '<', search.to.at);
    const updated = search.lastUpdated;
    if (updated?.from) query = query.where('created_at', updated.from.inclusive ? '>=' : '>', updated.from.at);
    if (updated?.to) query = query.where('created_at', updated.to.inclusive ? '<=' : '<', updated.to.at);
    if (search.after) {
      const { at, id } = search.after;
      const op = search.descending ? '<' : '>';
      query = query.where((eb) => eb.or([eb('collected_at', op, at), eb.and([eb('collected_at', '=', at), eb('id', op, id)])]));
    }
    const direction = search.descending ? 'desc' : 'asc';
    return query.orderBy('collected_at', direction).orderBy('id', direction).limit(search.limit).execute();
  }

  async observationIdsOf(db: Executor, reportIds: string[]): Promise<{ report_id: string; id: string }[]> {
    if (reportIds.length === 0) return [];
    return db.selectFrom('observations').select(['report_id', 'id']).where('report_id', 'in', reportIds).orderBy('report_id').orderBy('position').execute();
  }
}
