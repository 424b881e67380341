import type { Executor } from '../../platform/database/index.js';
import { afterRow, idsOrNone } from '../../platform/database/keyset.js';
import type { AppointmentStatus } from './scheduling.tables.js';

export interface AppointmentSearch {
  ids?: string[];
  patientIds?: string[];
  doctorIds?: string[];
  statuses?: AppointmentStatus[];
  from?: { at: Date; inclusive: boolean };
  to?: { at: Date; inclusive: boolean };
  /** On updated_at (FHIR `_lastUpdated`). */
  lastUpdated?: { from?: { at: Date; inclusive: boolean }; to?: { at: Date; inclusive: boolean } };
  /** The id of the last row of the previous page; rows are ordered by (start_at, id). */
  afterId: string | null;
  descending: boolean;
  limit: number;
}

/** SQL for scheduling's reads for other areas (scheduling.reads.ts). */
export class SchedulingReadsRepository {
  async appointments(db: Executor, search: AppointmentSearch) {
    let query = db.selectFrom('appointments').selectAll();
    if (search.ids) query = query.where('id', 'in', idsOrNone(search.ids));
    if (search.patientIds) query = query.where('patient_id', 'in', idsOrNone(search.patientIds));
    if (search.doctorIds) query = query.where('doctor_id', 'in', idsOrNone(search.doctorIds));
    if (search.statuses) query = query.where('status', 'in', search.statuses.length ? search.statuses : ['scheduled']);
    if (search.from) query = query.where('start_at', search.from.inclusive ? '>=' : '>', search.from.at);
    if (search.to) query = query.where('start_at', search.to.inclusive ? '<=' : '<', search.to.at);
    if (search.lastUpdated?.from) query = query.where('updated_at', search.lastUpdated.from.inclusive ? '>=' : '>', search.lastUpdated.from.at);
    if (search.lastUpdated?.to) query = query.where('updated_at', search.lastUpdated.to.inclusive ? '<=' : '<', search.lastUpdated.to.at);
    if (search.afterId) query = query.where(afterRow('appointments', 'start_at', search.afterId, { descending: search.descending }));
    const direction = search.descending ? 'desc' : 'asc';
    return query.orderBy('start_at', direction).orderBy('id', direction).limit(search.limit).execute();
  }
}
