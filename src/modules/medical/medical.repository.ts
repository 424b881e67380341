import { CompiledQuery, type Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { KeysetPosition } from '../../platform/http/pagination.js';
import type {
  Diagnosis,
  MedicalRecordsTable,
  MedicalRecordVersionsTable,
  PrescriptionItem,
  PrescriptionsTable,
  PrescriptionStatus,
  RecordType,
} from './medical.tables.js';
import { invalidCursor } from '../../platform/http/pagination.js';

export type RecordRow = Selectable<MedicalRecordsTable>;
export type RecordVersionRow = Selectable<MedicalRecordVersionsTable>;
export type PrescriptionRow = Selectable<PrescriptionsTable>;
/** A record of a list page, with the ids of its attached files (oldest attachment first). */
export type RecordListRow = RecordRow & { attachment_ids: string[] };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RecordFilter {
  patientId?: string;
  recordType?: RecordType;
  appointmentId?: string;
  from?: Date;
  /** Exclusive upper bound. */
  to?: Date;
  descending: boolean;
  /** Only rows of patients in this doctor's care: `condition` is CareRelationships.sqlCondition. */
  visibleTo?: { doctorId: string; condition: (doctor: string, patient: string) => string };
}

export interface RecordContent {
  record_type: RecordType;
  title: string;
  content: string;
  diagnoses: Diagnosis[];
  appointment_id: string | null;
}

export class RecordsRepository {
  async insert(db: Executor, values: RecordContent & { patient_id: string; author_id: string }): Promise<RecordRow> {
    const row = await db
      .insertInto('medical_records')
      .values({ ...values, diagnoses: JSON.stringify(values.diagnoses), version: 1, updated_by: values.author_id })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.insertVersion(db, row, values.author_id);
    return row;
  }

  private async insertVersion(db: Executor, row: RecordRow, writtenBy: string): Promise<void> {
    await db
      .insertInto('medical_record_versions')
      .values({
        record_id: row.id,
        version: row.version,
        record_type: row.record_type,
        title: row.title,
        content: row.content,
        diagnoses: JSON.stringify(row.diagnoses),
        appointment_id: row.appointment_id,
        written_by: writtenBy,
        created_at: row.updated_at,
      })
      .execute();
  }

  /** Writes version `expected + 1`; undefined when the record is no longer at `expected`. */
  async newVersion(db: Executor, id: string, expected: number, values: RecordContent, writtenBy: string): Promise<RecordRow | undefined> {
    const row = await db
      .updateTable('medical_records')
      .set({ ...values, diagnoses: JSON.stringify(values.diagnoses), version: expected + 1, updated_at: new Date(), updated_by: writtenBy })
      .where('id', '=', id)
      .where('version', '=', expected)
      .returningAll()
      .executeTakeFirst();
    if (row) await this.insertVersion(db, row, writtenBy);
    return row;
  }

  async findById(db: Executor, id: string): Promise<RecordRow | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    return db.selectFrom('medical_records').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async versions(db: Executor, id: string): Promise<RecordVersionRow[]> {
    return db.selectFrom('medical_record_versions').selectAll().where('record_id', '=', id).orderBy('version', 'asc').execute();
  }

  /**
   * One page of records with the ids of their attachments, in one statement. Written as SQL text
   * rather than with the query builder (as the appointment list is): building it through Kysely
   * and a second round trip for the attachments were most of the list's own CPU
   * (docs/BENCHMARKS.md, "Read paths"). The text depends only on which filters are present, so
   * each shape is one prepared statement (platform/database/prepared.ts).
   */
  async list(db: Executor, filter: RecordFilter, after: KeysetPosition | null, count: number): Promise<RecordListRow[]> {
    const values: unknown[] = [];
    const where: string[] = [];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      values.push(value);
      where.push(condition(`$${values.length}`));
    };
    if (filter.patientId) add((p) => `r.patient_id = ${p}`, filter.patientId);
    if (filter.recordType) add((p) => `r.record_type = ${p}`, filter.recordType);
    if (filter.appointmentId) add((p) => `r.appointment_id = ${p}`, filter.appointmentId);
    if (filter.from) add((p) => `r.created_at >= ${p}`, filter.from);
    if (filter.to) add((p) => `r.created_at < ${p}`, filter.to);
    if (filter.visibleTo) add((p) => filter.visibleTo!.condition(p, 'r.patient_id'), filter.visibleTo.doctorId);
    const direction = filter.descending ? 'desc' : 'asc';
    if (after) {
      // The keyset predicate of platform/database/keyset.ts (afterPosition), as text.
      const at = new Date(String(after.v));
      if (Number.isNaN(at.getTime())) throw invalidCursor();
      values.push(at, after.id);
      where.push(`(r.created_at, r.id) ${filter.descending ? '<' : '>'} ($${values.length - 1}, $${values.length})`);
    }
    values.push(count);
    const text =
      'select r.*, array(select a.file_id::text from medical_record_attachments a where a.record_id = r.id order by a.created_at) as attachment_ids ' +
      'from medical_records r' +
      (where.length ? ` where ${where.join(' and ')}` : '') +
      ` order by r.created_at ${direction}, r.id ${direction} limit $${values.length}`;
    const result = await db.executeQuery<RecordListRow>(CompiledQuery.raw(text, values));
    return result.rows;
  }

  async attach(db: Executor, recordId: string, fileId: string, addedBy: string): Promise<void> {
    await db.insertInto('medical_record_attachments').values({ record_id: recordId, file_id: fileId, added_by: addedBy }).execute();
  }

  async attachmentIds(db: Executor, recordIds: string[]): Promise<{ record_id: string; file_id: string }[]> {
    if (recordIds.length === 0) return [];
    return db.selectFrom('medical_record_attachments').select(['record_id', 'file_id']).where('record_id', 'in', recordIds).orderBy('created_at').execute();
  }
}

export interface PrescriptionFilter {
  patientId?: string;
  status?: PrescriptionStatus;
  appointmentId?: string;
  /** Only rows of patients in this doctor's care: `condition` is CareRelationships.sqlCondition. */
  visibleTo?: { doctorId: string; condition: (doctor: string, patient: string) => string };
}

export class PrescriptionsRepository {
  async insert(
    db: Executor,
    values: { patient_id: string; doctor_id: string; appointment_id: string | null; items: PrescriptionItem[]; notes: string | null },
  ): Promise<PrescriptionRow> {
    return db
      .insertInto('prescriptions')
      .values({ ...values, items: JSON.stringify(values.items), status: 'active', status_reason: null, status_changed_at: null, status_changed_by: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async findById(db: Executor, id: string): Promise<PrescriptionRow | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    return db.selectFrom('prescriptions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Moves `from` → `to` atomically; undefined when the status was no longer `from`. */
  async changeStatus(
    db: Executor,
    id: string,
    from: PrescriptionStatus,
    to: PrescriptionStatus,
    reason: string | null,
    by: string,
  ): Promise<PrescriptionRow | undefined> {
    return db
      .updateTable('prescriptions')
      .set({ status: to, status_reason: reason, status_changed_at: new Date(), status_changed_by: by, updated_at: new Date() })
      .where('id', '=', id)
      .where('status', '=', from)
      .returningAll()
      .executeTakeFirst();
  }

  /** The patient's active prescriptions (for the duplicate check). */
  async active(db: Executor, patientId: string): Promise<Pick<PrescriptionRow, 'id' | 'items'>[]> {
    return db.selectFrom('prescriptions').select(['id', 'items']).where('patient_id', '=', patientId).where('status', '=', 'active').limit(500).execute();
  }

  /** One page, newest first, as fixed SQL text per filter shape (as RecordsRepository.list). */
  async list(db: Executor, filter: PrescriptionFilter, after: KeysetPosition | null, count: number): Promise<PrescriptionRow[]> {
    const values: unknown[] = [];
    const where: string[] = [];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      values.push(value);
      where.push(condition(`$${values.length}`));
    };
    if (filter.patientId) add((p) => `x.patient_id = ${p}`, filter.patientId);
    if (filter.status) add((p) => `x.status = ${p}`, filter.status);
    if (filter.appointmentId) add((p) => `x.appointment_id = ${p}`, filter.appointmentId);
    if (filter.visibleTo) add((p) => filter.visibleTo!.condition(p, 'x.patient_id'), filter.visibleTo.doctorId);
    if (after) {
      const at = new Date(String(after.v));
      if (Number.isNaN(at.getTime())) throw invalidCursor();
      values.push(at, after.id);
      where.push(`(x.created_at, x.id) < ($${values.length - 1}, $${values.length})`);
    }
    values.push(count);
    const text =
      'select x.* from prescriptions x' +
      (where.length ? ` where ${where.join(' and ')}` : '') +
      ` order by x.created_at desc, x.id desc limit $${values.length}`;
    return (await db.executeQuery<PrescriptionRow>(CompiledQuery.raw(text, values))).rows;
  }
}
