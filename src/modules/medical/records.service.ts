import type { Actor, CareRelationships } from '../../platform/access.js';
import type { Db, Executor } from '../../platform/database/index.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { parseTimeFilters } from '../../platform/http/time-filter.js';
import { decodeCursor } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { EventBus } from '../../platform/events.js';
import type { AuditService, RequestMeta } from '../audit/index.js';
import { fileDto, type FileDto, type FilesService, type StagedFile } from '../files/index.js';
import type { RecordContent, RecordRow, RecordsRepository, RecordVersionRow } from './medical.repository.js';
import type { CreateRecordBody, RecordListQuery, UpdateRecordBody } from './medical.schemas.js';
import type { Diagnosis } from './medical.tables.js';
import { visiblePage } from '../../platform/http/visible-page.js';
import type { SchedulingLookups } from '../scheduling/index.js';

export function normaliseDiagnoses(input: { code?: string | null; text: string }[] | undefined): Diagnosis[] {
  return (input ?? []).map((d) => ({ code: d.code ? d.code.toUpperCase() : null, text: d.text.trim() }));
}

function versionDto(row: RecordVersionRow) {
  return {
    record_id: row.record_id,
    version: row.version,
    record_type: row.record_type,
    title: row.title,
    content: row.content,
    diagnoses: row.diagnoses,
    appointment_id: row.appointment_id,
    written_by: row.written_by,
    created_at: iso(row.created_at),
  };
}

/**
 * Medical records (docs/API.md §3). Doctors write for patients in their care; patients read
 * their own; nurses and admins read all. Updates never overwrite: each PUT writes a new
 * version row, and the head row carries the latest version number. Every read and write
 * is audited; a record the caller may not see is a 404.
 */
export class RecordsService {
  constructor(
    private readonly db: Db,
    private readonly records: RecordsRepository,
    private readonly files: FilesService,
    private readonly care: CareRelationships,
    private readonly audit: AuditService,
    private readonly events: EventBus,
    /** Scheduling's public lookups: the caller's profile time zone (plain dates in `from`/`to`) and appointment checks. */
    private readonly scheduling: Pick<SchedulingLookups, 'timeZoneOf' | 'appointmentOfPatient'>,
  ) {}

  private async assertPatient(db: Executor, actor: Actor, patientId: string): Promise<void> {
    if (!(await this.care.canAccessPatient(db, actor, patientId))) throw new NotFoundError('Patient');
  }

  private async checkAppointment(db: Executor, appointmentId: string | null | undefined, patientId: string): Promise<void> {
    if (!appointmentId) return;
    const found = await this.scheduling.appointmentOfPatient(db, appointmentId, patientId);
    if (!found) {
      throw new ValidationError('The appointment does not exist or is not this patient’s.', [
        { path: '/appointment_id', message: 'is not an appointment of this patient' },
      ]);
    }
  }

  private async visibleRecord(db: Executor, actor: Actor, id: string): Promise<RecordRow> {
    const record = await this.records.findById(db, id);
    if (!record || !(await this.care.canAccessPatient(db, actor, record.patient_id))) throw new NotFoundError('Medical record');
    return record;
  }

  /**
   * Rows with `attachment_ids` (a list page, RecordsRepository.list) need no query for their
   * links, and none at all when nothing is attached; single rows read their links here.
   */
  private async dtos(db: Executor, rows: (RecordRow & { attachment_ids?: string[] })[]) {
    const linksOf = new Map<string, string[]>();
    for (const row of rows) if (row.attachment_ids?.length) linksOf.set(row.id, row.attachment_ids);
    const withoutIds = rows.filter((row) => row.attachment_ids === undefined).map((r) => r.id);
    for (const link of await this.records.attachmentIds(db, withoutIds)) {
      const ids = linksOf.get(link.record_id);
      if (ids) ids.push(link.file_id);
      else linksOf.set(link.record_id, [link.file_id]);
    }
    const fileIds = new Set<string>();
    for (const ids of linksOf.values()) for (const id of ids) fileIds.add(id);
    const files = new Map(fileIds.size ? (await this.files.rowsByIds(db, [...fileIds])).map((f) => [f.id, fileDto(f)]) : []);
    return rows.map((row) => ({
      id: row.id,
      patient_id: row.patient_id,
      author_id: row.author_id,
      appointment_id: row.appointment_id,
      record_type: row.record_type,
      title: row.title,
      content: row.content,
      diagnoses: row.diagnoses,
      version: row.version,
      created_at: iso(row.created_at),
      updated_at: iso(row.updated_at),
      updated_by: row.updated_by,
      attachments: (linksOf.get(row.id) ?? []).map((id) => files.get(id)).filter((f): f is FileDto => f !== undefined),
    }));
  }

  private async dto(db: Executor, row: RecordRow) {
    return (await this.dtos(db, [row]))[0]!;
  }

  async create(meta: RequestMeta, body: CreateRecordBody) {
    await this.assertPatient(this.db, meta.actor, body.patient_id);
    await this.checkAppointment(this.db, body.appointment_id, body.patient_id);
    const content: RecordContent = {
      record_type: body.record_type,
      title: body.title.trim(),
      content: body.content,
      diagnoses: normaliseDiagnoses(body.diagnoses),
      appointment_id: body.appointment_id ?? null,
    };
    const row = await this.db.transaction().execute(async (trx) => {
      const created = await this.records.insert(trx, { ...content, patient_id: body.patient_id, author_id: meta.actor.id });
      await this.audit.record(trx, meta, [
        { patientId: created.patient_id, resourceType: 'medical_record', resourceId: created.id, action: 'create', details: { version: 1 } },
      ]);
      return created;
    });
    await this.events.publish('medical_record.created', { record_id: row.id, patient_id: row.patient_id, author_id: row.author_id });
    return this.dto(this.db, row);
  }

  async get(meta: RequestMeta, id: string) {
    const row = await this.visibleRecord(this.db, meta.actor, id);
    await this.audit.record(this.db, meta, [{ patientId: row.patient_id, resourceType: 'medical_record', resourceId: row.id, action: 'read' }]);
    return this.dto(this.db, row);
  }

  async update(meta: RequestMeta, id: string, body: UpdateRecordBody) {
    const current = await this.visibleRecord(this.db, meta.actor, id);
    if (body.version !== undefined && body.version !== current.version) {
      throw new ConflictError(`The record is at version ${current.version}, not ${body.version}; reload it and apply your change again.`, 'stale-version');
    }
    const appointmentId = body.appointment_id === undefined ? current.appointment_id : body.appointment_id;
    if (appointmentId !== current.appointment_id) await this.checkAppointment(this.db, appointmentId, current.patient_id);
    const content: RecordContent = {
      record_type: body.record_type,
      title: body.title.trim(),
      content: body.content,
      diagnoses: normaliseDiagnoses(body.diagnoses),
      appointment_id: appointmentId,
    };
    const row = await this.db.transaction().execute(async (trx) => {
      const updated = await this.records.newVersion(trx, id, current.version, content, meta.actor.id);
      if (!updated) throw new ConflictError('The record was changed by someone else meanwhile; reload it and apply your change again.', 'stale-version');
      await this.audit.record(trx, meta, [
        { patientId: updated.patient_id, resourceType: 'medical_record', resourceId: updated.id, action: 'update', details: { version: updated.version } },
      ]);
      return updated;
    });
    return this.dto(this.db, row);
  }

  async versions(meta: RequestMeta, id: string) {
    const row = await this.visibleRecord(this.db, meta.actor, id);
    const versions = await this.records.versions(this.db, id);
    await this.audit.record(this.db, meta, [
      { patientId: row.patient_id, resourceType: 'medical_record', resourceId: row.id, action: 'read', details: { versions: true } },
    ]);
    return { items: versions.map(versionDto), next_cursor: null };
  }

  async list(meta: RequestMeta, query: RecordListQuery) {
    const actor = meta.actor;
    const { patientId, everyRowVisible } = await this.care.listScope(this.db, actor, query.patient_id);
    const descending = (query.sort ?? '-created_at') === '-created_at';
    const { from, to } = await parseTimeFilters({ from: { value: query.from, bound: 'start' }, to: { value: query.to, bound: 'end' } }, query.tz, () =>
      this.scheduling.timeZoneOf(actor.id),
    );
    // A doctor's list of all their patients applies the care relationship inside the one
    // statement when every registered link has a SQL form; otherwise rows are checked one by one.
    const compiled = !everyRowVisible && actor.role === 'doctor' && actor.status === 'active' && this.care.sqlCondition('', '') !== null;
    const visibleTo = compiled ? { doctorId: actor.id, condition: (doctor: string, patient: string) => this.care.sqlCondition(doctor, patient)! } : undefined;
    const filter = { patientId, recordType: query.record_type, appointmentId: query.appointment_id, from, to, descending, visibleTo };
    const page = await visiblePage({
      db: this.db,
      care: this.care,
      actor,
      limit: query.limit ?? 20,
      after: decodeCursor(query.cursor),
      prefiltered: everyRowVisible || visibleTo !== undefined,
      fetch: (after, count) => this.records.list(this.db, filter, after, count),
      position: (row) => ({ v: iso(row.created_at), id: row.id }),
    });
    // A list scoped to one patient is a look at their chart even when it is empty (it tells that
    // nothing is recorded): audited with count 0.
    const patients = patientId && page.rows.length === 0 ? [patientId] : [...new Set(page.rows.map((r) => r.patient_id))];
    await this.audit.record(
      this.db,
      meta,
      patients.map((p) => ({
        patientId: p,
        resourceType: 'medical_record',
        resourceId: null,
        action: 'list' as const,
        details: { count: page.rows.filter((r) => r.patient_id === p).length },
      })),
    );
    return { items: await this.dtos(this.db, page.rows), next_cursor: page.next_cursor };
  }

  /**
   * POST /medical/records/{id}/upload: a doctor of the patient, or the patient. The route
   * calls this before it reads the body, so a caller who may not attach gets 404/403 and
   * nothing is received; `attach` checks again.
   */
  async assertMayAttach(actor: Actor, id: string): Promise<RecordRow> {
    const record = await this.visibleRecord(this.db, actor, id);
    if (actor.role !== 'doctor' && actor.id !== record.patient_id)
      throw new ForbiddenError('Only the patient or a doctor of the patient may attach files to a record.');
    return record;
  }

  /** Attaches a received upload (the route's StagedFile) to a record; the staged file is stored or discarded. */
  async attach(meta: RequestMeta, id: string, staged: StagedFile) {
    let record: RecordRow;
    try {
      record = await this.assertMayAttach(meta.actor, id);
    } catch (err) {
      await this.files.discard(staged);
      throw err;
    }
    return this.files.storeWith(staged, { ownerId: meta.actor.id, patientId: record.patient_id }, async (trx, file) => {
      await this.records.attach(trx, record.id, file.id, meta.actor.id);
      await this.audit.record(trx, meta, [
        { patientId: record.patient_id, resourceType: 'medical_record', resourceId: record.id, action: 'upload', details: { file_id: file.id } },
        { patientId: record.patient_id, resourceType: 'file', resourceId: file.id, action: 'upload' },
      ]);
      return fileDto(file);
    });
  }
}
