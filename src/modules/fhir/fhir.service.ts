import type { Actor, CareRelationships } from '../../platform/access.js';
import type { Executor } from '../../platform/database/index.js';
import { AppError } from '../../platform/errors.js';
import { listEvents, type AuditEvent, type AuditService, type RequestMeta } from '../audit/index.js';
import type { ReportsReads, ReportsService } from '../reports/index.js';
import { stageBytes, type FileRow, type FilesService } from '../files/index.js';
import { labResultCsv, readBooking, readLabResult } from './writes.js';
import type { MedicalReads, RowPosition } from '../medical/index.js';
import type { AppointmentReadRow, SchedulingLookups, SchedulingReads, SchedulingServices } from '../scheduling/index.js';
import {
  analyteKeyOf,
  auditEventResource,
  practitionerRoleResource,
  scheduleResource,
  slotResource,
  SPECIALTY_SYSTEM,
  appointmentResource,
  encounterResource,
  FHIR_APPOINTMENT_STATUS,
  conditionResource,
  diagnosticReportResource,
  medicationRequestResource,
  observationResource,
  parseItemId,
  patientResource,
  practitionerResource,
  type Resource,
} from './mapping.js';
import { FhirError, invalid, notFound, outcome, type OperationOutcome } from './outcome.js';
import {
  COMMON_PARAMS,
  decodeCursor,
  encodeCursor,
  intersectDates,
  isId,
  parseCount,
  parseDate,
  parseReference,
  rulesOut,
  tokensOf,
  single,
  type DateRange,
  type Query,
  type SearchParamDefinition,
} from './search.js';

/** The audit log as GET /api/v1/audit lists it (admins: all; patients: their own record). */
export type AuditReads = Pick<AuditService, 'list'>;

export interface FhirDeps {
  db: Executor;
  care: CareRelationships;
  audit: AuditService;
  auditLog: AuditReads;
  reports: ReportsReads;
  /** Lab results posted through FHIR become one-row lab reports, through the same path as an upload. */
  labUploads: Pick<ReportsService, 'upload'>;
  staging: { tmpDir: string };
  medical: MedicalReads;
  appointments: SchedulingReads;
  patients: Pick<SchedulingLookups, 'patientProfile' | 'searchPatients'>;
  /** Chart files (record attachments, lab report files) as DocumentReference, under the files' own read rule. */
  documents: Pick<FilesService, 'patientFiles' | 'visible'>;
  doctors: Pick<SchedulingServices['profiles'], 'getDoctor' | 'listDoctors'>;
  slots: Pick<SchedulingServices['slots'], 'listFree'>;
  /** FHIR bookings go through the same race-free path as POST /api/v1/appointments. */
  booking: Pick<SchedulingServices['appointments'], 'book'>;
}

export interface Bundle {
  resourceType: 'Bundle';
  type: 'searchset';
  link: { relation: 'self' | 'next'; url: string }[];
  entry: { fullUrl: string; resource: Resource | OperationOutcome; search: { mode: 'match' | 'include' | 'outcome' } }[];
}

interface SearchResult {
  matches: Resource[];
  included?: Resource[];
  /** The `_cursor` of the next page, or null on the last page. */
  next: string | null;
}

interface ResourceType {
  type: string;
  documentation: string;
  searchParams: SearchParamDefinition[];
  includes?: string[];
  /** Ids of this type: the REST UUID, or `<uuid>.<n>` for items stored inside a row (docs/FHIR.md). */
  validId?(id: string): boolean;
  /** Absent where only search is offered (Slot: free times are listed per schedule). */
  read?(meta: RequestMeta, id: string, base: string): Promise<Resource>;
  /** `POST /fhir/R4/{type}` where the CapabilityStatement says so. */
  create?(meta: RequestMeta, body: unknown): Promise<Resource>;
  /** `_history/{vid}` where the data is versioned. */
  vread?(meta: RequestMeta, id: string, versionId: string): Promise<Resource>;
  search(meta: RequestMeta, query: Query, count: number, base: string): Promise<SearchResult>;
}

const SORT_DATE = new Set(['date', '-date']);

/**
 * The FHIR R4 facade (docs/FHIR.md): reads and searches mapped from the clinic's own data, with
 * the REST API's access rules (platform/access.ts: a patient sees their own compartment, a
 * doctor their patients, staff the clinic) and the same audit trail. Nothing is stored twice.
 */
export class FhirService {
  private readonly types: Map<string, ResourceType>;

  constructor(private readonly deps: FhirDeps) {
    this.types = new Map(
      [
        this.patientType(),
        this.practitionerType(),
        this.observationType(),
        this.diagnosticReportType(),
        this.conditionType(),
        this.medicationRequestType(),
        this.appointmentType(),
        this.encounterType(),
        this.practitionerRoleType(),
        this.scheduleType(),
        this.slotType(),
        this.auditEventType(),
        this.documentReferenceType(),
      ].map((t) => [t.type, t]),
    );
  }

  /** What the CapabilityStatement lists: exactly the types, interactions and parameters implemented here. */
  resourceTypes(): (Pick<ResourceType, 'type' | 'documentation' | 'searchParams' | 'includes'> & {
    readable: boolean;
    versioned: boolean;
    creatable: boolean;
  })[] {
    return [...this.types.values()].map(({ type, documentation, searchParams, includes, read, vread, create }) => ({
      readable: Boolean(read),
      type,
      documentation,
      searchParams,
      includes,
      versioned: Boolean(vread),
      creatable: Boolean(create),
    }));
  }

  /**
   * Create, or with `ifNoneExist` (the If-None-Exist header, FHIR R4 §3.1.0.8.1) a conditional
   * create: the header's search is run as the caller (so it only finds what they may see, strictly:
   * an unknown parameter is a 400, never silently dropped); no match creates, one match is returned
   * as it is (`created: false`, a 200), more than one is a 412. Two concurrent conditional creates
   * of the same thing can still both create (no lock across the search and the write).
   */
  async create(
    meta: RequestMeta,
    type: string,
    body: unknown,
    ifNoneExist?: { query: Query; base: string },
  ): Promise<{ resource: Resource; created: boolean }> {
    const handler = this.typeOf(type);
    if (!handler.create) throw new FhirError(405, 'not-supported', `${type} cannot be created here; GET /fhir/R4/metadata lists what can.`);
    if (ifNoneExist) {
      const query = ifNoneExist.query;
      if (query.size === 0) throw invalid('If-None-Exist must hold search parameters, e.g. identifier=…, patient=…&code=…&date=….');
      if (query.has('_count') || query.has('_cursor') || query.has('_include'))
        throw invalid('If-None-Exist takes search criteria only (no _count, _cursor or _include).');
      query.set('_count', ['2']);
      const found = await this.search(meta, type, query, { strict: true, selfUrl: `${ifNoneExist.base}/fhir/R4/${type}`, base: ifNoneExist.base });
      const matches = (found.entry ?? []).filter((entry) => entry.search?.mode === 'match');
      if (matches.length > 1) throw new FhirError(412, 'duplicate', `If-None-Exist matched more than one ${type}; make the criteria more selective.`);
      if (matches.length === 1) return { resource: matches[0]!.resource as Resource, created: false };
    }
    return { resource: await handler.create(meta, body), created: true };
  }

  /** `base` is this server's address as the client reached it (links and attachment URLs are built on it). */
  async read(meta: RequestMeta, type: string, id: string, base: string): Promise<Resource> {
    const handler = this.typeOf(type);
    if (!handler.read) throw new FhirError(405, 'not-supported', `${type} is searched, not read by id, here (GET /fhir/R4/metadata).`);
    if (!(handler.validId ?? isId)(id)) throw notFound(type, id);
    return handler.read(meta, id, base);
  }

  async vread(meta: RequestMeta, type: string, id: string, versionId: string): Promise<Resource> {
    const handler = this.typeOf(type);
    if (!handler.vread) throw new FhirError(405, 'not-supported', `${type} is not versioned here; read ${type}/${id} instead.`);
    if (!(handler.validId ?? isId)(id) || !/^\d{1,9}$/.test(versionId)) throw notFound(type, `${id}/_history/${versionId}`);
    return handler.vread(meta, id, versionId);
  }

  /**
   * `strict` (Prefer: handling=strict) refuses unknown parameters with a 400; otherwise they
   * are ignored and named in an OperationOutcome entry of the Bundle (FHIR R4 §3.1.1.5).
   */
  async search(meta: RequestMeta, type: string, query: Query, options: { strict: boolean; selfUrl: string; base: string }): Promise<Bundle> {
    const handler = this.typeOf(type);
    const known = new Set([...handler.searchParams.map((p) => p.name), ...COMMON_PARAMS]);
    // FHIR R4 §3.1.1.5: a modifier the server does not support must be refused, not ignored
    // (ignoring `code:not` would answer the opposite question). None is supported yet.
    const modified = [...query.keys()].find((name) => name.includes(':'));
    if (modified) throw new FhirError(400, 'not-supported', `The search modifier in "${modified}" is not supported.`, modified);
    const unknown = [...query.keys()].filter((name) => !known.has(name));
    if (unknown.length && options.strict) throw invalid(`Unknown search parameter(s) for ${type}: ${unknown.join(', ')}.`, unknown[0]);
    for (const name of unknown) query.delete(name);
    const include = query.get('_include') ?? [];
    for (const value of include)
      if (!handler.includes?.includes(value))
        throw new FhirError(
          400,
          'not-supported',
          `_include=${value} is not supported for ${type} (supported: ${(handler.includes ?? []).join(', ') || 'none'}).`,
          '_include',
        );
    if (query.has('_revinclude')) throw new FhirError(400, 'not-supported', '_revinclude is not supported yet.', '_revinclude');
    const count = parseCount(single(query, '_count'));
    const result = count === 0 ? { matches: [], next: null } : await handler.search(meta, query, count, options.base);
    const link: Bundle['link'] = [{ relation: 'self', url: options.selfUrl }];
    if (result.next) {
      const next = new URL(options.selfUrl);
      next.searchParams.set('_cursor', result.next);
      link.push({ relation: 'next', url: next.toString() });
    }
    const base = `${options.base}/fhir/R4`;
    const entry: Bundle['entry'] = [
      ...result.matches.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'match' as const } })),
      ...(result.included ?? []).map((resource) => ({
        fullUrl: `${base}/${resource.resourceType}/${resource.id}`,
        resource,
        search: { mode: 'include' as const },
      })),
    ];
    if (unknown.length) {
      entry.push({
        fullUrl: `urn:uuid:${crypto.randomUUID()}`,
        resource: outcome('warning', 'not-supported', `Ignored unknown search parameter(s): ${unknown.join(', ')}.`),
        search: { mode: 'outcome' },
      });
    }
    return { resourceType: 'Bundle', type: 'searchset', link, entry };
  }

  private typeOf(type: string): ResourceType {
    const handler = this.types.get(type);
    if (!handler) throw new FhirError(404, 'not-supported', `The resource type "${type}" is not supported here; GET /fhir/R4/metadata lists those that are.`);
    return handler;
  }

  /** The patients of a compartment search the caller may see: a patient only themselves (another patient's compartment is a 404). */
  private async patientScope(actor: Actor, query: Query): Promise<string[] | undefined> {
    const raw = [...(query.get('patient') ?? []), ...(query.get('subject') ?? [])];
    const requested = [...new Set(raw.flatMap((value) => value.split(',')).map((value) => parseReference('patient', value, 'Patient')))];
    if (actor.role === 'patient') {
      if (requested.some((id) => id !== actor.id))
        throw notFound(
          'Patient',
          requested.find((id) => id !== actor.id)!,
        );
      return [actor.id];
    }
    for (const id of requested) {
      if (!(await this.deps.care.canAccessPatient(this.deps.db, actor, id))) throw notFound('Patient', id);
    }
    if (requested.length) return requested;
    if (actor.role === 'doctor') {
      throw invalid('Doctors search clinical resources one patient at a time: add patient=Patient/<id> (a patient you care for).', 'patient');
    }
    return undefined; // nurses and admins: the whole clinic
  }

  /**
   * `scope`: the patients a compartment search named. A search of one patient's chart is a look at
   * it even when it finds nothing (it tells that nothing is recorded), as in REST: those patients
   * get a list row with no ids.
   */
  private async audit(
    meta: RequestMeta,
    resourceType: string,
    items: { patientId: string; id: string }[],
    action: 'read' | 'list' | 'create',
    scope: readonly string[] = [],
  ) {
    const events: AuditEvent[] =
      action !== 'list'
        ? items.map((item) => ({ patientId: item.patientId, resourceType, resourceId: item.id, action, details: { via: 'fhir' } }))
        : listEvents(
            items,
            resourceType,
            (item) => item.patientId,
            (item) => item.id,
            () => ({ via: 'fhir' }),
          );
    if (action === 'list')
      for (const patientId of scope)
        if (!items.some((item) => item.patientId === patientId))
          events.push({ patientId, resourceType, resourceId: null, resourceIds: [], action: 'list', details: { via: 'fhir', count: 0 } });
    if (events.length) await this.deps.audit.record(this.deps.db, meta, events);
  }

  private dates(query: Query, name: string): DateRange {
    return intersectDates((query.get(name) ?? []).map((value) => parseDate(name, value)));
  }

  private descending(query: Query): boolean {
    const sort = single(query, '_sort');
    if (sort !== undefined && !SORT_DATE.has(sort)) throw new FhirError(400, 'not-supported', `_sort=${sort} is not supported (date or -date).`, '_sort');
    return sort !== 'date';
  }

  private patientType(): ResourceType {
    const { patients, care, db } = this.deps;
    return {
      type: 'Patient',
      documentation:
        'Patients (users with the patient role and their profile). A patient sees only themselves; a doctor the patients they have a care relationship with; nurses and admins every patient.',
      searchParams: [
        { name: '_id', type: 'token', documentation: 'Patient id (comma-separated for several)' },
        { name: 'identifier', type: 'token', documentation: `${'https://carebridge.dev/fhir/identifier/user'}|<id>` },
        { name: 'name', type: 'string', documentation: 'Part of the name (case-insensitive)' },
        { name: 'birthdate', type: 'date', documentation: 'Date of birth (YYYY-MM-DD)' },
      ],
      read: async (meta, id) => {
        const profile = await patients.patientProfile(id);
        if (!profile || !(await care.canAccessPatient(db, meta.actor, id))) throw notFound('Patient', id);
        await this.audit(meta, 'patient', [{ patientId: id, id }], 'read');
        return patientResource(profile);
      },
      search: async (meta, query, count) => {
        const idValues = [...(query.get('_id') ?? []), ...tokensOf(query, 'identifier').map((t) => t.code)];
        const ids = idValues.length ? [...new Set(idValues.flatMap((v) => v.split(',')))].filter(isId) : undefined;
        const name = single(query, 'name');
        const birth = single(query, 'birthdate');
        if (birth !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(birth.replace(/^eq/, '')))
          throw invalid('birthdate: use a full date (YYYY-MM-DD).', 'birthdate');
        // A doctor's search is limited in SQL to the patients they care for, so a page is never cut short.
        // (Same rules as care.canAccessPatient: staff who are not active see no one.)
        let visible = ids;
        if (meta.actor.role === 'patient') visible = [meta.actor.id].filter((id) => !ids || ids.includes(id));
        else if (meta.actor.status !== 'active') visible = [];
        else if (meta.actor.role === 'doctor') visible = [...(await care.patientIdsOf(db, meta.actor.id))].filter((id) => !ids || ids.includes(id));
        const filter = { ids: visible, name, birthDate: birth?.replace(/^eq/, '') };
        const after = decodeCursor(single(query, '_cursor'));
        const found = visible?.length === 0 ? [] : await patients.searchPatients(filter, after?.id ?? null, count + 1);
        const page = found.slice(0, count);
        await this.audit(
          meta,
          'patient',
          page.map((p) => ({ patientId: p.user_id, id: p.user_id })),
          'list',
        );
        return { matches: page.map(patientResource), next: found.length > count ? encodeCursor({ at: '', id: page.at(-1)!.user_id }) : null };
      },
    };
  }

  private practitionerType(): ResourceType {
    const { doctors } = this.deps;
    return {
      type: 'Practitioner',
      documentation: 'Approved doctors, as the public directory shows them (GET /api/v1/doctors).',
      searchParams: [
        { name: '_id', type: 'token', documentation: 'Practitioner id' },
        { name: 'name', type: 'string', documentation: 'Part of the name' },
      ],
      read: async (_meta, id) => {
        try {
          return practitionerResource(await doctors.getDoctor(id));
        } catch (err) {
          if (err instanceof AppError && err.status === 404) throw notFound('Practitioner', id);
          throw err;
        }
      },
      search: async (_meta, query, count) => {
        const id = single(query, '_id');
        if (id !== undefined) {
          if (!isId(id)) return { matches: [], next: null };
          const doctor = await doctors.getDoctor(id).catch((err: unknown) => {
            if (err instanceof AppError && err.status === 404) return null;
            throw err;
          });
          return { matches: doctor ? [practitionerResource(doctor)] : [], next: null };
        }
        const cursor = single(query, '_cursor');
        const page = await doctors.listDoctors({ q: single(query, 'name'), limit: count, cursor }).catch((err: unknown) => {
          if (err instanceof AppError && err.status === 400) throw invalid('_cursor is not a cursor this server issued.', '_cursor');
          throw err;
        });
        return { matches: page.items.map(practitionerResource), next: page.next_cursor };
      },
    };
  }

  private observationType(): ResourceType {
    const { reports, care, db } = this.deps;
    return {
      type: 'Observation',
      documentation:
        'Laboratory results parsed from uploaded lab reports (LOINC-coded where the analyte is known, UCUM units, reference ranges, interpretation).',
      searchParams: [
        { name: '_id', type: 'token', documentation: 'Observation id' },
        { name: 'patient', type: 'reference', documentation: 'Patient/<id>; required for doctors' },
        { name: 'subject', type: 'reference', documentation: 'Same as patient' },
        { name: 'code', type: 'token', documentation: 'http://loinc.org|<code>, or https://carebridge.dev/fhir/CodeSystem/analyte|<key>' },
        { name: 'category', type: 'token', documentation: 'laboratory (the only category stored)' },
        { name: 'date', type: 'date', documentation: 'When the sample was collected; prefixes eq, gt, lt, ge, le' },
      ],
      create: async (meta, body) => {
        const result = readLabResult(body);
        const staged = await stageBytes(this.deps.staging, labResultCsv(result), 'fhir-observation.csv', 'text/csv');
        const report = await this.deps.labUploads.upload(meta, staged, { patientId: result.patientId, collectedAt: result.effective.toISOString() });
        const [row] = await reports.observations({ reportIds: [report.id], descending: true, after: null, limit: 1 });
        if (!row) throw invalid('The result could not be read as a lab value (check the value and unit).', 'Observation.valueQuantity');
        return observationResource(row);
      },
      read: async (meta, id) => {
        const [row] = await reports.observations({ ids: [id], descending: true, after: null, limit: 1 });
        if (!row || !(await care.canAccessPatient(db, meta.actor, row.patient_id))) throw notFound('Observation', id);
        await this.audit(meta, 'observation', [{ patientId: row.patient_id, id }], 'read');
        return observationResource(row);
      },
      search: async (meta, query, count) => {
        const patientIds = await this.patientScope(meta.actor, query);
        if (rulesOut(query, 'category', 'laboratory')) return { matches: [], next: null };
        const tokens = tokensOf(query, 'code');
        const codes = tokens.length ? tokens.map(analyteKeyOf).filter((k): k is string => k !== null) : undefined;
        const ids = query.get('_id')?.flatMap((v) => v.split(','));
        if (ids && !ids.every(isId)) return { matches: [], next: null };
        const { from, to } = this.dates(query, 'date');
        const descending = this.descending(query);
        const cursor = decodeCursor(single(query, '_cursor'));
        const rows = await reports.observations({
          ids,
          patientIds,
          codes,
          from,
          to,
          descending,
          after: cursor && { at: cursorTime(cursor.at), id: cursor.id },
          limit: count + 1,
        });
        const page = rows.slice(0, count);
        await this.audit(
          meta,
          'observation',
          page.map((r) => ({ patientId: r.patient_id, id: r.id })),
          'list',
          patientIds,
        );
        const last = page.at(-1);
        return {
          matches: page.map(observationResource),
          next: rows.length > count && last ? encodeCursor({ at: last.observed_at.toISOString(), id: last.id }) : null,
        };
      },
    };
  }

  private documentReferenceType(): ResourceType {
    const { documents, db } = this.deps;
    return {
      type: 'DocumentReference',
      documentation:
        "Files in patients' charts (record attachments, lab report files): metadata, and the REST download URL, which applies the file's own access rule and audit.",
      searchParams: [
        { name: '_id', type: 'token', documentation: 'DocumentReference id (the file id)' },
        { name: 'patient', type: 'reference', documentation: 'Patient/<id>; required for doctors' },
        { name: 'subject', type: 'reference', documentation: 'Same as patient' },
        { name: 'date', type: 'date', documentation: 'When the file was stored; prefixes eq, gt, lt, ge, le' },
      ],
      read: async (meta, id, base) => {
        const file = await documents.visible(db, meta.actor, id).catch((err: unknown) => {
          if (err instanceof AppError && err.status === 404) throw notFound('DocumentReference', id);
          throw err;
        });
        if (!file.patient_id) throw notFound('DocumentReference', id);
        await this.audit(meta, 'file', [{ patientId: file.patient_id, id }], 'read');
        return documentReferenceResource(file, base);
      },
      search: async (meta, query, count, base) => {
        const patientIds = await this.patientScope(meta.actor, query);
        if (!patientIds) throw invalid('Search documents one patient at a time: add patient=Patient/<id>.', 'patient');
        const ids = query.get('_id')?.flatMap((v) => v.split(','));
        const { from, to } = this.dates(query, 'date');
        const descending = this.descending(query);
        const cursor = decodeCursor(single(query, '_cursor'));
        const rows = await documents.patientFiles({ patientIds, ids, from, to, descending }, cursor && { at: cursorTime(cursor.at), id: cursor.id }, count + 1);
        const page = rows.slice(0, count);
        await this.audit(
          meta,
          'file',
          page.map((r) => ({ patientId: r.patient_id!, id: r.id })),
          'list',
          patientIds,
        );
        const last = page.at(-1);
        return {
          matches: page.map((file) => documentReferenceResource(file, base)),
          next: rows.length > count && last ? encodeCursor({ at: last.created_at.toISOString(), id: last.id }) : null,
        };
      },
    };
  }

  private diagnosticReportType(): ResourceType {
    const { reports, care, db } = this.deps;
    const withResults = async (rows: Awaited<ReturnType<ReportsReads['reports']>>, baseUrl: string) => {
      const pairs = await reports.observationIdsOf(rows.map((r) => r.id));
      const byReport = new Map<string, string[]>();
      for (const { report_id, id } of pairs) byReport.set(report_id, [...(byReport.get(report_id) ?? []), id]);
      return rows.map((row) => diagnosticReportResource(row, byReport.get(row.id) ?? [], baseUrl));
    };
    return {
      type: 'DiagnosticReport',
      documentation: 'Uploaded lab reports (CSV or PDF): their parsed Observations as results and the original file as presentedForm.',
      searchParams: [
        { name: '_id', type: 'token', documentation: 'DiagnosticReport id' },
        { name: 'patient', type: 'reference', documentation: 'Patient/<id>; required for doctors' },
        { name: 'subject', type: 'reference', documentation: 'Same as patient' },
        { name: 'category', type: 'token', documentation: 'LAB (the only category stored)' },
        { name: 'date', type: 'date', documentation: 'When the sample was collected; prefixes eq, gt, lt, ge, le' },
      ],
      includes: ['DiagnosticReport:result'],
      read: async (meta, id, base) => {
        const [row] = await reports.reports({ ids: [id], descending: true, after: null, limit: 1 });
        if (!row || !(await care.canAccessPatient(db, meta.actor, row.patient_id))) throw notFound('DiagnosticReport', id);
        await this.audit(meta, 'lab_report', [{ patientId: row.patient_id, id }], 'read');
        return (await withResults([row], base))[0]!;
      },
      search: async (meta, query, count, base) => {
        const patientIds = await this.patientScope(meta.actor, query);
        if (rulesOut(query, 'category', 'LAB')) return { matches: [], next: null };
        const ids = query.get('_id')?.flatMap((v) => v.split(','));
        if (ids && !ids.every(isId)) return { matches: [], next: null };
        const { from, to } = this.dates(query, 'date');
        const descending = this.descending(query);
        const cursor = decodeCursor(single(query, '_cursor'));
        const rows = await reports.reports({
          ids,
          patientIds,
          from,
          to,
          descending,
          after: cursor && { at: cursorTime(cursor.at), id: cursor.id },
          limit: count + 1,
        });
        const page = rows.slice(0, count);
        const matches = await withResults(page, base);
        let included: Resource[] | undefined;
        if ((query.get('_include') ?? []).includes('DiagnosticReport:result') && page.length) {
          const observationIds = matches.flatMap((m) => (m.result as { reference: string }[]).map((r) => r.reference.slice('Observation/'.length)));
          const observations = observationIds.length
            ? await reports.observations({ ids: observationIds, descending: true, after: null, limit: observationIds.length })
            : [];
          included = observations.map(observationResource);
          await this.audit(
            meta,
            'observation',
            observations.map((r) => ({ patientId: r.patient_id, id: r.id })),
            'list',
          );
        }
        await this.audit(
          meta,
          'lab_report',
          page.map((r) => ({ patientId: r.patient_id, id: r.id })),
          'list',
          patientIds,
        );
        const last = page.at(-1);
        return { matches, included, next: rows.length > count && last ? encodeCursor({ at: last.collected_at.toISOString(), id: last.id }) : null };
      },
    };
  }

  /**
   * A page of items stored inside rows (diagnoses of a record, drugs of a prescription), newest
   * row first: the cursor names the row and the item to continue from, so `_count` counts items.
   */
  private async itemPage<Row extends { id: string }>(
    fetch: (after: RowPosition | null, limit: number) => Promise<Row[]>,
    matching: (row: Row) => number[],
    rawCursor: string | undefined,
    count: number,
  ): Promise<{ items: [Row, number][]; next: string | null }> {
    const cursor = decodeCursor(rawCursor);
    const cursorIndex = cursor ? Number(cursor.at) : 0;
    if (!Number.isInteger(cursorIndex) || cursorIndex < 0) throw invalid('_cursor is not a cursor this server issued.', '_cursor');
    let after: RowPosition | null = cursor ? { id: cursor.id, inclusive: true } : null;
    const items: [Row, number][] = [];
    for (let round = 0; round < 20 && items.length <= count; round++) {
      const rows = await fetch(after, count + 1);
      for (const row of rows) {
        for (const index of matching(row)) {
          if (cursor && row.id === cursor.id && index < cursorIndex) continue;
          items.push([row, index]);
        }
      }
      if (rows.length < count + 1) break;
      const last = rows.at(-1)!;
      after = { id: last.id, inclusive: false };
    }
    const extra = items[count];
    return { items: items.slice(0, count), next: extra ? encodeCursor({ at: String(extra[1]), id: extra[0].id }) : null };
  }

  private conditionType(): ResourceType {
    const { medical, care, db } = this.deps;
    const validId = (id: string) => parseItemId(id) !== null;
    return {
      type: 'Condition',
      documentation:
        'Diagnoses recorded in medical records (ICD-10 where coded), one Condition per diagnosis; id <record id>.<position>. Versioned with the record.',
      searchParams: [
        { name: '_id', type: 'token', documentation: 'Condition id (<record id>.<n>)' },
        { name: 'patient', type: 'reference', documentation: 'Patient/<id>; required for doctors' },
        { name: 'subject', type: 'reference', documentation: 'Same as patient' },
        { name: 'code', type: 'token', documentation: 'http://hl7.org/fhir/sid/icd-10|<code> (or the code alone)' },
        { name: 'category', type: 'token', documentation: 'encounter-diagnosis (the only category stored)' },
        { name: 'clinical-status', type: 'token', documentation: 'active (every stored diagnosis)' },
      ],
      validId,
      read: async (meta, id) => {
        const { rowId, index } = parseItemId(id)!;
        const [row] = await medical.recordsWithDiagnoses({ ids: [rowId], after: null, limit: 1 });
        if (!row || index >= row.diagnoses.length || !(await care.canAccessPatient(db, meta.actor, row.patient_id))) throw notFound('Condition', id);
        await this.audit(meta, 'medical_record', [{ patientId: row.patient_id, id: row.id }], 'read');
        return conditionResource(row, index);
      },
      vread: async (meta, id, versionId) => {
        const { rowId, index } = parseItemId(id)!;
        const version = await medical.recordVersion(rowId, Number(versionId));
        if (!version || index >= version.diagnoses.length || !(await care.canAccessPatient(db, meta.actor, version.patient_id)))
          throw notFound('Condition', `${id}/_history/${versionId}`);
        await this.audit(meta, 'medical_record', [{ patientId: version.patient_id, id: rowId }], 'read');
        return conditionResource({ ...version, id: rowId, updated_at: version.created_at }, index);
      },
      search: async (meta, query, count) => {
        const patientIds = await this.patientScope(meta.actor, query);
        if (rulesOut(query, 'category', 'encounter-diagnosis') || rulesOut(query, 'clinical-status', 'active')) return { matches: [], next: null };
        const codes = tokensOf(query, 'code').filter((t) => t.system === undefined || t.system === 'http://hl7.org/fhir/sid/icd-10');
        if (query.has('code') && codes.length === 0) return { matches: [], next: null };
        const wanted = codes.length ? new Set(codes.map((t) => t.code.toUpperCase())) : null;
        const itemIds = query
          .get('_id')
          ?.flatMap((v) => v.split(','))
          .map(parseItemId);
        if (itemIds?.some((i) => i === null)) return { matches: [], next: null };
        const onlyItems = itemIds ? new Set(itemIds.map((i) => `${i!.rowId}.${i!.index}`)) : null;
        const page = await this.itemPage(
          (after, limit) => medical.recordsWithDiagnoses({ ids: itemIds?.map((i) => i!.rowId), patientIds, after, limit }),
          (row) =>
            row.diagnoses
              .map((d, i) => ({ d, i }))
              .filter(({ d, i }) => (!wanted || (d.code && wanted.has(d.code.toUpperCase()))) && (!onlyItems || onlyItems.has(`${row.id}.${i}`)))
              .map(({ i }) => i),
          single(query, '_cursor'),
          count,
        );
        await this.audit(
          meta,
          'medical_record',
          page.items.map(([row]) => ({ patientId: row.patient_id, id: row.id })),
          'list',
          patientIds,
        );
        return { matches: page.items.map(([row, index]) => conditionResource(row, index)), next: page.next };
      },
    };
  }

  private medicationRequestType(): ResourceType {
    const { medical, care, db, patients, doctors } = this.deps;
    const validId = (id: string) => parseItemId(id) !== null;
    const STATUSES = new Set(['active', 'completed', 'cancelled']);
    return {
      type: 'MedicationRequest',
      documentation: 'Prescribed drugs, one MedicationRequest per prescription item (medication as text); id <prescription id>.<position>.',
      searchParams: [
        { name: '_id', type: 'token', documentation: 'MedicationRequest id (<prescription id>.<n>)' },
        { name: 'patient', type: 'reference', documentation: 'Patient/<id>; required for doctors' },
        { name: 'subject', type: 'reference', documentation: 'Same as patient' },
        { name: 'status', type: 'token', documentation: 'active, completed or cancelled (comma = OR)' },
        { name: 'intent', type: 'token', documentation: 'order (every prescription)' },
      ],
      includes: ['MedicationRequest:patient', 'MedicationRequest:requester'],
      validId,
      read: async (meta, id) => {
        const { rowId, index } = parseItemId(id)!;
        const [row] = await medical.prescriptions({ ids: [rowId], after: null, limit: 1 });
        if (!row || index >= row.items.length || !(await care.canAccessPatient(db, meta.actor, row.patient_id))) throw notFound('MedicationRequest', id);
        await this.audit(meta, 'prescription', [{ patientId: row.patient_id, id: row.id }], 'read');
        return medicationRequestResource(row, index);
      },
      search: async (meta, query, count) => {
        const patientIds = await this.patientScope(meta.actor, query);
        if (rulesOut(query, 'intent', 'order')) return { matches: [], next: null };
        const statuses = tokensOf(query, 'status')
          .map((t) => t.code)
          .filter((c) => STATUSES.has(c)) as ('active' | 'completed' | 'cancelled')[];
        if (query.has('status') && statuses.length === 0) return { matches: [], next: null };
        const itemIds = query
          .get('_id')
          ?.flatMap((v) => v.split(','))
          .map(parseItemId);
        if (itemIds?.some((i) => i === null)) return { matches: [], next: null };
        const onlyItems = itemIds ? new Set(itemIds.map((i) => `${i!.rowId}.${i!.index}`)) : null;
        const page = await this.itemPage(
          (after, limit) =>
            medical.prescriptions({ ids: itemIds?.map((i) => i!.rowId), patientIds, statuses: statuses.length ? statuses : undefined, after, limit }),
          (row) => row.items.map((_, i) => i).filter((i) => !onlyItems || onlyItems.has(`${row.id}.${i}`)),
          single(query, '_cursor'),
          count,
        );
        await this.audit(
          meta,
          'prescription',
          page.items.map(([row]) => ({ patientId: row.patient_id, id: row.id })),
          'list',
          patientIds,
        );
        const include = new Set(query.get('_include') ?? []);
        const included: Resource[] = [];
        if (include.has('MedicationRequest:patient')) {
          const ids = [...new Set(page.items.map(([row]) => row.patient_id))];
          const profiles = await patients.searchPatients({ ids }, null, ids.length || 1);
          included.push(...profiles.map(patientResource));
          await this.audit(
            meta,
            'patient',
            profiles.map((p) => ({ patientId: p.user_id, id: p.user_id })),
            'list',
          );
        }
        if (include.has('MedicationRequest:requester')) {
          for (const id of new Set(page.items.map(([row]) => row.doctor_id))) {
            const doctor = await doctors.getDoctor(id).catch(() => null);
            if (doctor) included.push(practitionerResource(doctor));
          }
        }
        return { matches: page.items.map(([row, index]) => medicationRequestResource(row, index)), included, next: page.next };
      },
    };
  }

  /**
   * Appointments are visible to their two parties and to clinic staff, as in REST
   * (appointments.service.ts `partyOf`): a doctor sees the appointments they hold, not a
   * colleague's with the same patient.
   */
  private appointmentScope(actor: Actor, query: Query): { patientIds?: string[]; doctorIds?: string[] } {
    const patients = [...(query.get('patient') ?? []), ...(query.get('subject') ?? [])]
      .flatMap((v) => v.split(','))
      .map((v) => parseReference('patient', v, 'Patient'));
    const practitioners = (query.get('practitioner') ?? []).flatMap((v) => v.split(',')).map((v) => parseReference('practitioner', v, 'Practitioner'));
    if (actor.role === 'patient') {
      if (patients.some((id) => id !== actor.id))
        throw notFound(
          'Patient',
          patients.find((id) => id !== actor.id)!,
        );
      return { patientIds: [actor.id], ...(practitioners.length && { doctorIds: practitioners }) };
    }
    if (actor.role === 'doctor') {
      if (practitioners.some((id) => id !== actor.id)) return { doctorIds: [] };
      return { doctorIds: [actor.id], ...(patients.length && { patientIds: patients }) };
    }
    return { ...(patients.length && { patientIds: patients }), ...(practitioners.length && { doctorIds: practitioners }) };
  }

  private visibleAppointment(actor: Actor, row: AppointmentReadRow): boolean {
    if (actor.role === 'patient') return row.patient_id === actor.id;
    if (actor.role === 'doctor') return row.doctor_id === actor.id;
    return actor.status === 'active';
  }

  private async appointmentSearch(query: Query, actor: Actor, count: number, completedOnly: boolean) {
    const scope = this.appointmentScope(actor, query);
    const wanted = tokensOf(query, 'status').map((t) => t.code);
    let statuses: string[] | undefined;
    if (completedOnly) {
      if (wanted.length && !wanted.includes('finished')) return null;
      statuses = ['completed'];
    } else if (wanted.length) {
      statuses = Object.entries(FHIR_APPOINTMENT_STATUS)
        .filter(([, fhir]) => wanted.includes(fhir))
        .map(([rest]) => rest);
      if (statuses.length === 0) return null;
    }
    const ids = query.get('_id')?.flatMap((v) => v.split(','));
    if (ids && !ids.every(isId)) return null;
    const { from, to } = this.dates(query, 'date');
    const descending = this.descending(query);
    const cursor = decodeCursor(single(query, '_cursor'));
    const rows = await this.deps.appointments.appointments({
      ids,
      ...scope,
      statuses: statuses as never,
      from,
      to,
      afterId: cursor?.id ?? null,
      descending,
      limit: count + 1,
    });
    const page = rows.slice(0, count);
    return { page, next: rows.length > count ? encodeCursor({ at: '', id: page.at(-1)!.id }) : null };
  }

  private async appointmentIncludes(meta: RequestMeta, query: Query, rows: AppointmentReadRow[]): Promise<Resource[]> {
    const include = new Set(query.get('_include') ?? []);
    const included: Resource[] = [];
    if (include.has('Appointment:patient')) {
      const ids = [...new Set(rows.map((r) => r.patient_id))];
      const profiles = ids.length ? await this.deps.patients.searchPatients({ ids }, null, ids.length) : [];
      included.push(...profiles.map(patientResource));
      await this.audit(
        meta,
        'patient',
        profiles.map((p) => ({ patientId: p.user_id, id: p.user_id })),
        'list',
      );
    }
    if (include.has('Appointment:practitioner')) {
      for (const id of new Set(rows.map((r) => r.doctor_id))) {
        const doctor = await this.deps.doctors.getDoctor(id).catch(() => null);
        if (doctor) included.push(practitionerResource(doctor));
      }
    }
    return included;
  }

  private appointmentType(): ResourceType {
    return {
      type: 'Appointment',
      documentation:
        'Appointments, visible to their patient, their doctor and clinic staff (as in REST). Status mapped: scheduled/confirmed → booked, in_progress → arrived, completed → fulfilled, cancelled, no_show → noshow.',
      searchParams: [
        { name: '_id', type: 'token', documentation: 'Appointment id' },
        { name: 'patient', type: 'reference', documentation: 'Patient/<id>' },
        { name: 'subject', type: 'reference', documentation: 'Same as patient' },
        { name: 'practitioner', type: 'reference', documentation: 'Practitioner/<id>' },
        { name: 'date', type: 'date', documentation: 'Start time; prefixes eq, gt, lt, ge, le' },
        { name: 'status', type: 'token', documentation: 'booked, arrived, fulfilled, cancelled, noshow' },
      ],
      includes: ['Appointment:patient', 'Appointment:practitioner'],
      create: async (meta, body) => {
        const booking = readBooking(body);
        const booked = await this.deps.booking.book(meta.actor, {
          slot_id: booking.slotId,
          patient_id: booking.patientId,
          type: booking.type,
          reason: booking.reason,
        });
        const [row] = await this.deps.appointments.appointments({ ids: [booked.id], afterId: null, descending: true, limit: 1 });
        // As the REST booking route: the booking is recorded, and so is the care relationship it grants.
        await this.deps.audit.record(this.deps.db, meta, [
          { patientId: row!.patient_id, resourceType: 'appointment', resourceId: row!.id, action: 'create', details: { via: 'fhir' } },
          {
            patientId: row!.patient_id,
            resourceType: 'care_relationship',
            resourceId: row!.doctor_id,
            action: 'grant',
            details: { cause: 'appointment', appointment_id: row!.id, via: 'fhir' },
          },
        ]);
        return appointmentResource(row!);
      },
      read: async (meta, id) => {
        const [row] = await this.deps.appointments.appointments({ ids: [id], afterId: null, descending: true, limit: 1 });
        if (!row || !this.visibleAppointment(meta.actor, row)) throw notFound('Appointment', id);
        await this.audit(meta, 'appointment', [{ patientId: row.patient_id, id }], 'read');
        return appointmentResource(row);
      },
      search: async (meta, query, count) => {
        const result = await this.appointmentSearch(query, meta.actor, count, false);
        if (!result) return { matches: [], next: null };
        await this.audit(
          meta,
          'appointment',
          result.page.map((r) => ({ patientId: r.patient_id, id: r.id })),
          'list',
        );
        return { matches: result.page.map(appointmentResource), included: await this.appointmentIncludes(meta, query, result.page), next: result.next };
      },
    };
  }

  private encounterType(): ResourceType {
    return {
      type: 'Encounter',
      documentation: 'Completed appointments, as the encounters that took place (id = the appointment id); the same visibility as Appointment.',
      searchParams: [
        { name: '_id', type: 'token', documentation: 'Encounter (= appointment) id' },
        { name: 'patient', type: 'reference', documentation: 'Patient/<id>' },
        { name: 'subject', type: 'reference', documentation: 'Same as patient' },
        { name: 'practitioner', type: 'reference', documentation: 'Practitioner/<id>' },
        { name: 'date', type: 'date', documentation: 'Start of the encounter; prefixes eq, gt, lt, ge, le' },
        { name: 'status', type: 'token', documentation: 'finished (the only status stored)' },
      ],
      read: async (meta, id) => {
        const [row] = await this.deps.appointments.appointments({ ids: [id], statuses: ['completed'], afterId: null, descending: true, limit: 1 });
        if (!row || !this.visibleAppointment(meta.actor, row)) throw notFound('Encounter', id);
        await this.audit(meta, 'appointment', [{ patientId: row.patient_id, id }], 'read');
        return encounterResource(row);
      },
      search: async (meta, query, count) => {
        const result = await this.appointmentSearch(query, meta.actor, count, true);
        if (!result) return { matches: [], next: null };
        await this.audit(
          meta,
          'appointment',
          result.page.map((r) => ({ patientId: r.patient_id, id: r.id })),
          'list',
        );
        return { matches: result.page.map(encounterResource), next: result.next };
      },
    };
  }

  /** A directory entry by doctor id (PractitionerRole, Schedule): approved doctors only, else 404. */
  private async doctorOrNotFound(type: string, id: string) {
    try {
      return await this.deps.doctors.getDoctor(id);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw notFound(type, id);
      throw err;
    }
  }

  /** Directory searches (PractitionerRole, Schedule) over the REST doctor directory, its cursor passed through. */
  private async directorySearch(query: Query, count: number, referenceParam: string) {
    const specialties = tokensOf(query, 'specialty').filter((t) => t.system === undefined || t.system === SPECIALTY_SYSTEM);
    if (query.has('specialty') && specialties.length !== 1) {
      if (specialties.length === 0) return { doctors: [], next: null };
      throw new FhirError(400, 'not-supported', 'specialty takes one code here.', 'specialty');
    }
    const referenced = (query.get(referenceParam) ?? []).flatMap((v) => v.split(',')).map((v) => parseReference(referenceParam, v, 'Practitioner'));
    if (referenced.length) {
      const found = [];
      for (const id of new Set(referenced)) {
        const doctor = await this.deps.doctors.getDoctor(id).catch(() => null);
        if (doctor && (!specialties[0] || doctor.specialty === specialties[0].code)) found.push(doctor);
      }
      return { doctors: found, next: null };
    }
    const page = await this.deps.doctors
      .listDoctors({ specialty: specialties[0]?.code as never, limit: count, cursor: single(query, '_cursor') })
      .catch((err: unknown) => {
        if (err instanceof AppError && err.status < 500) throw invalid(`The search could not be run: ${err.detail}`, 'specialty');
        throw err;
      });
    return { doctors: page.items, next: page.next_cursor };
  }

  private practitionerRoleType(): ResourceType {
    return {
      type: 'PractitionerRole',
      documentation: "Each approved doctor's role in the clinic (id = the doctor's id) with their specialty.",
      searchParams: [
        { name: 'specialty', type: 'token', documentation: `${SPECIALTY_SYSTEM}|<code> (scheduling's specialty list)` },
        { name: 'practitioner', type: 'reference', documentation: 'Practitioner/<id>' },
      ],
      read: async (_meta, id) => practitionerRoleResource(await this.doctorOrNotFound('PractitionerRole', id)),
      search: async (_meta, query, count) => {
        const { doctors, next } = await this.directorySearch(query, count, 'practitioner');
        return { matches: doctors.map(practitionerRoleResource), next };
      },
    };
  }

  private scheduleType(): ResourceType {
    return {
      type: 'Schedule',
      documentation: "One Schedule per approved doctor (id = the doctor's id); its free Slots are searched with Slot?schedule=.",
      searchParams: [
        { name: 'actor', type: 'reference', documentation: 'Practitioner/<id>' },
        { name: 'specialty', type: 'token', documentation: `${SPECIALTY_SYSTEM}|<code>` },
      ],
      read: async (_meta, id) => scheduleResource(await this.doctorOrNotFound('Schedule', id)),
      search: async (_meta, query, count) => {
        const { doctors, next } = await this.directorySearch(query, count, 'actor');
        return { matches: doctors.map(scheduleResource), next };
      },
    };
  }

  private slotType(): ResourceType {
    return {
      type: 'Slot',
      documentation: 'Free, bookable slots of one schedule (a doctor), as GET /api/v1/doctors/{id}/slots lists them: at most 60 days ahead, 14 by default.',
      searchParams: [
        { name: 'schedule', type: 'reference', documentation: 'Schedule/<doctor id> (required)' },
        { name: 'start', type: 'date', documentation: 'Start time; prefixes ge, gt, le, lt, eq' },
        { name: 'status', type: 'token', documentation: 'free (only free slots are exposed)' },
      ],
      search: async (_meta, query, count) => {
        const schedule = single(query, 'schedule');
        if (!schedule) throw invalid('Slot search needs schedule=Schedule/<doctor id>.', 'schedule');
        const doctorId = parseReference('schedule', schedule, 'Schedule');
        if (rulesOut(query, 'status', 'free')) return { matches: [], next: null };
        const { from, to } = this.dates(query, 'start');
        try {
          const page = await this.deps.slots.listFree(doctorId, {
            from: from?.at.toISOString(),
            to: to?.at.toISOString(),
            limit: count,
            cursor: single(query, '_cursor'),
          });
          return { matches: page.items.map(slotResource), next: page.next_cursor };
        } catch (err) {
          if (err instanceof AppError && err.status === 404) throw notFound('Schedule', doctorId);
          if (err instanceof AppError && err.status < 500) throw invalid(err.detail, 'start');
          throw err;
        }
      },
    };
  }

  private auditEventType(): ResourceType {
    const list = async (meta: RequestMeta, query: Parameters<AuditReads['list']>[1]) => {
      try {
        return await this.deps.auditLog.list(meta.actor, query);
      } catch (err) {
        if (err instanceof AppError && err.status === 400) throw invalid(err.detail, '_cursor');
        throw err;
      }
    };
    return {
      type: 'AuditEvent',
      documentation:
        'The audit log of reads and writes of patient data (GET /api/v1/audit), searched (no read by id): administrators see every entry, a patient the entries about their own record; others 403.',
      searchParams: [
        { name: 'patient', type: 'reference', documentation: 'Patient/<id> the access was about' },
        { name: 'agent', type: 'reference', documentation: 'Patient/<id> or Practitioner/<id> who acted' },
        { name: 'entity', type: 'reference', documentation: 'the id of the resource accessed (any type)' },
        { name: 'date', type: 'date', documentation: 'When; prefixes ge, gt, le, lt, eq' },
      ],
      search: async (meta, query, count) => {
        const patient = single(query, 'patient');
        const agent = single(query, 'agent');
        const entity = single(query, 'entity');
        const agentId = agent ? (agent.split('/').at(-1) ?? '') : undefined;
        if (agentId !== undefined && !isId(agentId)) throw invalid('agent must reference a Patient or Practitioner by id.', 'agent');
        const entityId = entity ? entity.split('/').at(-1) : undefined;
        const { from, to } = this.dates(query, 'date');
        const page = await list(meta, {
          patient_id: patient ? parseReference('patient', patient, 'Patient') : undefined,
          actor_id: agentId,
          resource_id: entityId,
          from: from?.at.toISOString(),
          to: to?.at.toISOString(),
          limit: count,
          cursor: single(query, '_cursor'),
        });
        return { matches: page.items.map(auditEventResource), next: page.next_cursor };
      },
    };
  }
}

/** The time in one of our cursors; anything else is the client's malformed cursor (400, not a 500). */
function cursorTime(value: string): Date {
  const at = new Date(value);
  if (!value || Number.isNaN(at.getTime())) throw invalid('_cursor is not a cursor this server issued; follow the Bundle\'s "next" link.', '_cursor');
  return at;
}

/** A chart file as a DocumentReference: what it is and where to fetch it (the REST download applies the file's rule). */
function documentReferenceResource(file: FileRow, base: string): Resource {
  return {
    resourceType: 'DocumentReference',
    id: file.id,
    meta: { lastUpdated: file.created_at.toISOString() },
    status: 'current',
    subject: { reference: `Patient/${file.patient_id}` },
    date: file.created_at.toISOString(),
    description: file.filename,
    content: [
      {
        attachment: {
          contentType: file.content_type,
          url: `${base}/api/v1/files/${file.id}/download`,
          size: Number(file.size),
          title: file.filename,
          creation: file.created_at.toISOString(),
        },
      },
    ],
  };
}
