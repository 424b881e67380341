import { sql } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import { afterRow, idsOrNone } from '../../platform/database/keyset.js';
import type { PrescriptionRow, RecordRow, RecordVersionRow } from './medical.repository.js';
import type { PrescriptionStatus } from './medical.tables.js';

/**
 * Where the previous page stopped: a row, by id. Rows are compared by (created_at, id) with the
 * stored row's own timestamp, read in SQL: PostgreSQL keeps microseconds that a JavaScript Date
 * would round away, and a rounded bound would skip or repeat rows created in the same millisecond.
 */
export interface RowPosition {
  id: string;
  /** Include the row at (at, id) itself (its later items were not returned yet). */
  inclusive: boolean;
}

export interface MedicalSearch {
  ids?: string[];
  /** Patients whose rows may be returned; the caller has checked access to each. */
  patientIds?: string[];
  from?: { at: Date; inclusive: boolean };
  to?: { at: Date; inclusive: boolean };
  /** On updated_at (FHIR `_lastUpdated`). */
  lastUpdated?: { from?: { at: Date; inclusive: boolean }; to?: { at: Date; inclusive: boolean } };
  after: RowPosition | null;
  limit: number;
}

/**
 * SQL for the reads other areas make through medical's public API (medical.reads.ts), newest
 * first by (created_at, id): records that carry diagnoses and prescriptions.
 */
export class MedicalReadsRepository {
  async recordsWithDiagnoses(db: Executor, search: MedicalSearch): Promise<RecordRow[]> {
    let query = db
      .selectFrom('medical_records')
      .selectAll()
      .where(sql<boolean>`jsonb_array_length(diagnoses) > 0`);
    if (search.ids) query = query.where('id', 'in', idsOrNone(search.ids));
    if (search.patientIds) query = query.where('patient_id', 'in', idsOrNone(search.patientIds));
    if (search.from) query = query.where('created_at', search.from.inclusive ? '>=' : '>', search.from.at);
    if (search.to) query = query.where('created_at', search.to.inclusive ? '<=' : '<', search.to.at);
    if (search.lastUpdated?.from) query = query.where('updated_at', search.lastUpdated.from.inclusive ? '>=' : '>', search.lastUpdated.from.at);
    if (search.lastUpdated?.to) query = query.where('updated_at', search.lastUpdated.to.inclusive ? '<=' : '<', search.lastUpdated.to.at);
    if (search.after) query = query.where(before('medical_records', search.after));
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(search.limit).execute();
  }

  async recordVersion(db: Executor, id: string, version: number): Promise<(RecordVersionRow & { patient_id: string; author_id: string }) | undefined> {
    return db
      .selectFrom('medical_record_versions as v')
      .innerJoin('medical_records as r', 'r.id', 'v.record_id')
      .selectAll('v')
      .select(['r.patient_id', 'r.author_id'])
      .where('v.record_id', '=', id)
      .where('v.version', '=', version)
      .executeTakeFirst();
  }

  async prescriptions(db: Executor, search: MedicalSearch & { statuses?: PrescriptionStatus[] }): Promise<PrescriptionRow[]> {
    let query = db.selectFrom('prescriptions').selectAll();
    if (search.ids) query = query.where('id', 'in', idsOrNone(search.ids));
    if (search.patientIds) query = query.where('patient_id', 'in', idsOrNone(search.patientIds));
    if (search.statuses) query = query.where('status', 'in', search.statuses.length ? search.statuses : ['active']);
    if (search.from) query = query.where('created_at', search.from.inclusive ? '>=' : '>', search.from.at);
    if (search.to) query = query.where('created_at', search.to.inclusive ? '<=' : '<', search.to.at);
    if (search.lastUpdated?.from) query = query.where('updated_at', search.lastUpdated.from.inclusive ? '>=' : '>', search.lastUpdated.from.at);
    if (search.lastUpdated?.to) query = query.where('updated_at', search.lastUpdated.to.inclusive ? '<=' : '<', search.lastUpdated.to.at);
    if (search.after) query = query.where(before('prescriptions', search.after));
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(search.limit).execute();
  }
}

function before(table: 'medical_records' | 'prescriptions', after: RowPosition) {
  return afterRow(table, 'created_at', after.id, { descending: true, inclusive: after.inclusive });
}
