import { readFile } from 'node:fs/promises';
import type { Actor, CareRelationships } from '../../platform/access.js';
import type { Db, Executor } from '../../platform/database/index.js';
import { NotFoundError, PayloadTooLargeError, ValidationError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { AuditService, RequestMeta } from '../audit/index.js';
import { fileDto, type FilesService, type StagedFile } from '../files/index.js';
import { visiblePage } from '../../platform/http/visible-page.js';
import { analyteKey, findAnalyte } from './analytes.js';
import { extractPdfText, parseCsvReport, parsePdfLines, type ParsedObservation, type ParseResult } from './parse.js';
import type { ObservationRow, ReportRow, ReportsRepository } from './reports.repository.js';

/** Lab reports are parsed in memory; larger files are refused (a lab report is a few pages). */
export const REPORT_PARSE_LIMIT_BYTES = 10 * 1024 * 1024;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function observationDto(row: ObservationRow) {
  return {
    name: row.name,
    code: row.code,
    value: row.value,
    unit: row.unit,
    reference_range: row.reference_range ?? (row.ref_low !== null || row.ref_high !== null ? builtInRangeText(row) : null),
    flag: row.flag,
    range_source: row.range_source,
    observed_at: iso(row.observed_at),
  };
}

function builtInRangeText(row: ObservationRow): string {
  if (row.ref_low !== null && row.ref_high !== null) return `${row.ref_low}-${row.ref_high}`;
  if (row.ref_high !== null) return `<${row.ref_high}`;
  return `>${row.ref_low}`;
}

/** What POST /reports accepts. */
export const REPORT_TYPES = ['text/csv', 'application/pdf'] as const;

export interface UploadOptions {
  patientId?: string;
  collectedAt?: string;
}

/**
 * Lab reports (seed 000, docs/API.md §3): a CSV or PDF upload is validated like any file,
 * parsed into observations with low/normal/high/critical flags, and stored with its
 * original file in one transaction. Rows that cannot be read are kept in `unparsed`
 * with a reason. Emits `lab_report.created` (with the abnormal count) for notifications.
 */
/** Parsed observations as rows of the observations table, in report order. */
export function observationRows(observations: ParsedObservation[], patientId: string, collectedAt: Date) {
  return observations.map((o, position) => ({
    patient_id: patientId,
    position,
    name: o.name,
    code: analyteKey(o.name),
    value: o.value,
    unit: o.unit,
    reference_range: o.reference_range,
    ref_low: o.ref_low,
    ref_high: o.ref_high,
    flag: o.flag,
    range_source: o.range_source,
    observed_at: o.observed_at ? new Date(o.observed_at) : collectedAt,
  }));
}

export class ReportsService {
  constructor(
    private readonly db: Db,
    private readonly reports: ReportsRepository,
    private readonly files: FilesService,
    private readonly care: CareRelationships,
    private readonly audit: AuditService,
    private readonly events: EventBus,
  ) {}

  private async assertPatient(db: Executor, actor: Actor, patientId: string): Promise<void> {
    if (actor.role === 'patient' && patientId !== actor.id) throw new NotFoundError('Patient');
    if (!(await this.care.canAccessPatient(db, actor, patientId))) throw new NotFoundError('Patient');
  }

  async parse(staged: StagedFile): Promise<ParseResult & { format: 'csv' | 'pdf' }> {
    if (staged.size > REPORT_PARSE_LIMIT_BYTES) throw new PayloadTooLargeError(`Lab reports are limited to ${REPORT_PARSE_LIMIT_BYTES} bytes.`);
    const bytes = await readFile(staged.path);
    if (staged.contentType === 'text/csv') return { ...parseCsvReport(bytes), format: 'csv' };
    return { ...parsePdfLines(await extractPdfText(bytes)), format: 'pdf' };
  }

  /** The route calls this before it reads the body: a patient named in the query must be one the actor may reach. */
  async assertMayUpload(actor: Actor, options: UploadOptions): Promise<void> {
    if (options.patientId) await this.assertPatient(this.db, actor, options.patientId);
  }

  /** POST /reports with the upload the route received (REPORT_TYPES); the staged file is stored or discarded. */
  async upload(meta: RequestMeta, staged: StagedFile, options: UploadOptions) {
    const actor = meta.actor;
    let patientId: string;
    let parsed: Awaited<ReturnType<ReportsService['parse']>>;
    let collectedAt: Date;
    try {
      await this.assertMayUpload(actor, options);
      const fromField = staged.fields.patient_id?.trim();
      const requested = options.patientId ?? fromField ?? (actor.role === 'patient' ? actor.id : undefined);
      if (!requested)
        throw new ValidationError('Name the patient: ?patient_id= or a form field before the file.', [
          { path: '/patient_id', message: 'is required for staff uploads' },
        ]);
      if (!UUID_RE.test(requested)) throw new ValidationError('patient_id must be a UUID.', [{ path: '/patient_id', message: 'must be a UUID' }]);
      patientId = requested;
      if (!options.patientId) await this.assertPatient(this.db, actor, patientId);
      const collectedText = options.collectedAt ?? staged.fields.collected_at;
      if (collectedText !== undefined && Number.isNaN(Date.parse(collectedText))) {
        throw new ValidationError('collected_at must be a date or date-time.', [{ path: '/collected_at', message: 'must be RFC 3339' }]);
      }
      parsed = await this.parse(staged);
      collectedAt = new Date(collectedText ?? parsed.collected_at ?? Date.now());
    } catch (err) {
      await this.files.discard(staged);
      throw err;
    }
    const observations = observationRows(parsed.observations, patientId, collectedAt);
    const abnormal = observations.filter((o) => o.flag && o.flag !== 'normal').length;
    const status = observations.length === 0 ? 'unparsed' : parsed.unparsed.length ? 'partial' : 'parsed';
    const report = await this.files.storeWith(staged, { ownerId: actor.id, patientId }, async (trx, file) => {
      const row = await this.reports.insert(
        trx,
        {
          patient_id: patientId,
          uploaded_by: actor.id,
          file_id: file.id,
          format: parsed.format,
          status,
          collected_at: collectedAt,
          unparsed: JSON.stringify(parsed.unparsed),
          observation_count: observations.length,
          abnormal_count: abnormal,
        },
        observations,
      );
      await this.audit.record(trx, meta, [
        { patientId, resourceType: 'lab_report', resourceId: row.id, action: 'create', details: { status, observations: observations.length } },
        { patientId, resourceType: 'file', resourceId: file.id, action: 'upload' },
      ]);
      // Notifications of an abnormal result are written in this transaction (contract §6, docs/NOTIFICATIONS.md).
      await this.events.publishInTransaction(trx, 'lab_report.created', {
        report_id: row.id,
        patient_id: patientId,
        uploaded_by: actor.id,
        abnormal_count: abnormal,
        critical_count: observations.filter((o) => o.flag === 'critical').length,
      });
      return row;
    });
    await this.events.publish('lab_report.created', {
      report_id: report.id,
      patient_id: patientId,
      uploaded_by: actor.id,
      abnormal_count: abnormal,
      critical_count: observations.filter((o) => o.flag === 'critical').length,
    });
    return this.detail(this.db, report);
  }

  private async summaries(db: Executor, rows: ReportRow[]) {
    const files = new Map(
      (
        await this.files.rowsByIds(
          db,
          rows.map((r) => r.file_id),
        )
      ).map((f) => [f.id, fileDto(f)]),
    );
    return rows.map((row) => ({
      id: row.id,
      patient_id: row.patient_id,
      uploaded_by: row.uploaded_by,
      format: row.format,
      status: row.status,
      collected_at: iso(row.collected_at),
      created_at: iso(row.created_at),
      observation_count: row.observation_count,
      abnormal_count: row.abnormal_count,
      file: files.get(row.file_id)!,
      file_url: `/api/v1/files/${row.file_id}`,
    }));
  }

  private async detail(db: Executor, row: ReportRow) {
    const [summary] = await this.summaries(db, [row]);
    const observations = await this.reports.observations(db, row.id);
    return { ...summary!, observations: observations.map(observationDto), unparsed: row.unparsed };
  }

  async get(meta: RequestMeta, id: string) {
    const row = await this.reports.findById(this.db, id);
    if (!row || !(await this.care.canAccessPatient(this.db, meta.actor, row.patient_id))) throw new NotFoundError('Lab report');
    await this.audit.record(this.db, meta, [{ patientId: row.patient_id, resourceType: 'lab_report', resourceId: row.id, action: 'read' }]);
    return this.detail(this.db, row);
  }

  async list(meta: RequestMeta, query: { patient_id?: string; status?: string; limit?: number; cursor?: string }) {
    const actor = meta.actor;
    const { patientId, everyRowVisible } = await this.care.listScope(this.db, actor, query.patient_id);
    const page = await visiblePage({
      db: this.db,
      care: this.care,
      actor,
      limit: query.limit ?? 20,
      after: decodeCursor(query.cursor),
      prefiltered: everyRowVisible,
      fetch: (after, count) => this.reports.list(this.db, { patientId, status: query.status }, after, count),
      position: (row) => ({ v: iso(row.created_at), id: row.id }),
    });
    // A list scoped to one patient is audited even when empty (it tells that they have no reports).
    const patients = patientId && page.rows.length === 0 ? [patientId] : [...new Set(page.rows.map((r) => r.patient_id))];
    await this.audit.record(
      this.db,
      meta,
      patients.map((p) => ({ patientId: p, resourceType: 'lab_report', resourceId: null, action: 'list' as const })),
    );
    return { items: await this.summaries(this.db, page.rows), next_cursor: page.next_cursor };
  }

  /** One analyte over time for a patient: `name` may be any alias ("HbA1c", "A1c", "glycated hemoglobin"). */
  async trend(meta: RequestMeta, patientId: string, query: { name: string; limit?: number; cursor?: string }) {
    await this.assertPatient(this.db, meta.actor, patientId);
    const code = analyteKey(query.name);
    const limit = query.limit ?? 100;
    const rows = await this.reports.trend(this.db, patientId, code, decodeCursor(query.cursor), limit + 1);
    await this.audit.record(this.db, meta, [{ patientId, resourceType: 'observation', resourceId: null, action: 'list', details: { code } }]);
    const page = toPage(
      rows,
      limit,
      (r) => iso(r.observed_at),
      (r) => ({ ...observationDto(r), report_id: r.report_id }),
    );
    return { patient_id: patientId, name: findAnalyte(query.name)?.name ?? query.name, code, ...page };
  }
}
