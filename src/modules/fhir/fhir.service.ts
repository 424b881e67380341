import type { Actor, CareRelationships } from '../../platform/access.js';
import type { Executor } from '../../platform/database/index.js';
import { AppError } from '../../platform/errors.js';
import { listEvents, type AuditEvent, type AuditService, type RequestMeta } from '../audit/index.js';
import type { ReportRow, ReportsReads, ReportsService } from '../reports/index.js';
import { stageBytes, type FileRow, type FilesService } from '../files/index.js';
import { labResultCsv, readAppointmentUpdate, readBooking, readLabResult } from './writes.js';
import type { MedicalReads, RowPosition } from '../medical/index.js';
import type { ChatReads, PatientMessageRow } from '../chat/index.js';
import type { AppointmentReadRow, DoctorDto, PatientProfileDto, SchedulingLookups, SchedulingReads, SchedulingServices } from '../scheduling/index.js';
import {
  analyteKeyOf,
  auditEventResource,
  practitionerRoleResource,
  scheduleResource,
  slotResource,
  SPECIALTY_SYSTEM,
  appointmentResource,
  appointmentVersion,
  encounterResource,
  FHIR_APPOINTMENT_STATUS,
  conditionResource,
  diagnosticReportResource,
  medicationRequestResource,
  observationResource,
  parseItemId,
  patientResource,
  practitionerResource,
  USER_ID_SYSTEM,
  type Resource,
} from './mapping.js';
import { FhirError, invalid, notFound, outcome, type OperationOutcome } from './outcome.js';
import {
  COMMON_PARAMS,
  decodeCursor,
  encodeCursor,
  intersectDates,
  isId,
  MAX_COUNT,
  parseCount,
  parseReference,
  rulesOut,
  tokensOf,
  single,
  type Query,
  type SearchParamDefinition,
} from './search.js';
import { keysetPage, runSearch, totalWanted, type SearchPlan, type SearchResult } from './skeleton.js';

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
  booking: Pick<SchedulingServices['appointments'], 'book' | 'changeStatus'>;
  /** Chat messages of patient conversations (Communication), under chat's membership rule. */
  chat: Pick<ChatReads, 'patientMessages'>;
}

export interface Bundle {
  resourceType: 'Bundle';
  type: 'searchset';
  total?: number;
  link: { relation: 'self' | 'next'; url: string }[];
  entry: { fullUrl: string; resource: Resource | OperationOutcome; search: { mode: 'match' | 'include' | 'outcome' } }[];
}

/** The most resources one `_revinclude` adds to a page (the rest are a search away, which the Bundle names). */
const REVINCLUDE_MAX = 100;

/** Patient/$everything: the compartment types it gathers, and how many of each at most (ten keyset pages of 100). */
const EVERYTHING_TYPES = [
  'Condition',
  'MedicationRequest',
  'DiagnosticReport',
  'Observation',
  'Appointment',
  'Encounter',
  'DocumentReference',
  'Communication',
];
const EVERYTHING_PAGES = 10;

/** FHIR Appointment.status a PUT may set → the REST status change (scheduling's transition rules still apply). */
const UPDATABLE_APPOINTMENT_STATUS: Record<string, 'cancelled' | 'in_progress' | 'completed' | 'no_show'> = {
  cancelled: 'cancelled',
  arrived: 'in_progress',
  fulfilled: 'completed',
  noshow: 'no_show',
};

/** What a type's search gets besides the query: the server address and whether `_total=accurate` was asked. */
interface SearchContext {
  base: string;
  total: boolean;
}

interface ResourceType {
  type: string;
  documentation: string;
  searchParams: SearchParamDefinition[];
  includes?: string[];
  revIncludes?: string[];
  /** Ids of this type: the REST UUID, or `<uuid>.<n>` for items stored inside a row (docs/FHIR.md). */
  validId?(id: string): boolean;
  /** Absent where only search is offered (Slot: free times are listed per schedule). */
  read?(meta: RequestMeta, id: string, base: string): Promise<Resource>;
  /** `POST /fhir/R4/{type}` where the CapabilityStatement says so. */
  create?(meta: RequestMeta, body: unknown): Promise<Resource>;
  /** `PUT /fhir/R4/{type}/{id}` with `If-Match: W/"<versionId>"` (optimistic locking) where the CapabilityStatement says so. */
  update?(meta: RequestMeta, id: string, body: unknown, versionId: string): Promise<Resource>;
  /** `_history/{vid}` where the data is versioned. */
  vread?(meta: RequestMeta, id: string, versionId: string): Promise<Resource>;
  search(meta: RequestMeta, query: Query, count: number, context: SearchContext): Promise<SearchResult>;
}

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
        this.communicationType(),
      ].map((t) => [t.type, t]),
    );
  }

  /** What the CapabilityStatement lists: exactly the types, interactions and parameters implemented here. */
  resourceTypes(): (Pick<ResourceType, 'type' | 'documentation' | 'searchParams' | 'includes' | 'revIncludes'> & {
    readable: boolean;
    versioned: boolean;
    creatable: boolean;
    updatable: boolean;
  })[] {
    return [...this.types.values()].map(({ type, documentation, searchParams, includes, revIncludes, read, vread, create, update }) => ({
      readable: Boolean(read),
      type,
      documentation,
      searchParams,
      includes,
      revIncludes,
      versioned: Boolean(vread),
      creatable: Boolean(create),
      updatable: Boolean(update),
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

  /**
   * `GET /fhir/R4/Patient/{id}/$everything` (FHIR R4 Patient-everything): the Patient and the
   * resources of their compartment this server holds, each type gathered by its own search as
   * the caller (`patient=`), so the access rules and audit are those of the searches (a doctor
   * gets their own appointments, the Communications of rooms they are in). A patient the caller
   * may not see is a 404. At most EVERYTHING_PAGES pages of 100 per type: beyond that an
   * OperationOutcome entry names the type's search, which pages on. `allowed` drops types a SMART
   * app was not granted.
   */
  async everything(meta: RequestMeta, patientId: string, base: string, allowed: (type: string) => boolean = () => true): Promise<Bundle> {
    const patient = await this.read(meta, 'Patient', patientId, base);
    const fhirBase = `${base}/fhir/R4`;
    const entry: Bundle['entry'] = [{ fullUrl: `${fhirBase}/Patient/${patient.id}`, resource: patient, search: { mode: 'match' } }];
    for (const type of EVERYTHING_TYPES) {
      if (!allowed(type)) continue;
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: Query = new Map([['patient', [`Patient/${patientId}`]]]);
        if (cursor) query.set('_cursor', [cursor]);
        const result = await this.typeOf(type).search(meta, query, MAX_COUNT, { base, total: false });
        for (const resource of result.matches) entry.push({ fullUrl: `${fhirBase}/${type}/${resource.id}`, resource, search: { mode: 'match' } });
        cursor = result.next;
        pages++;
      } while (cursor && pages < EVERYTHING_PAGES);
      if (cursor)
        entry.push({
          fullUrl: `urn:uuid:${crypto.randomUUID()}`,
          resource: outcome(
            'information',
            'too-costly',
            `${type}: the first ${EVERYTHING_PAGES * MAX_COUNT} only; GET /fhir/R4/${type}?patient=Patient/${patientId}&_cursor=${cursor} continues.`,
          ),
          search: { mode: 'outcome' },
        });
    }
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      // The total is the compartment's size only when nothing was cut.
      ...(!entry.some((e) => e.search.mode === 'outcome') && { total: entry.length }),
      link: [{ relation: 'self', url: `${fhirBase}/Patient/${patientId}/$everything` }],
      entry,
    };
  }

  /**
   * A version-aware update (FHIR R4 §3.1.0.5.2): `versionId` is the If-Match header's version; the
   * change is made only if the resource is still at that version (412 otherwise, and without the header).
   */
  async update(meta: RequestMeta, type: string, id: string, body: unknown, versionId: string | undefined): Promise<Resource> {
    const handler = this.typeOf(type);
    if (!handler.update) throw new FhirError(405, 'not-supported', `${type} cannot be updated here; GET /fhir/R4/metadata lists what can.`);
    if (!(handler.validId ?? isId)(id)) throw notFound(type, id);
    if (versionId === undefined)
      throw new FhirError(412, 'conflict', `Updates must say which version they change: If-Match: W/"<meta.versionId>" from a read of ${type}/${id}.`);
    return handler.update(meta, id, body, versionId);
  }

  async vread(meta: RequestMeta, type: string, id: string, versionId: string): Promise<Resource> {
    const handler = this.typeOf(type);
    if (!handler.vread) throw new FhirError(405, 'not-supported', `${type} is not versioned here; read ${type}/${id} instead.`);
    if (!(handler.validId ?? isId)(id) || !/^\d{1,9}$/.test(versionId)) throw notFound(type, `${id}/_history/${versionId}`);
    return handler.vread(meta, id, versionId);
  }

  /**
   * `strict` (the default; `Prefer: handling=lenient` turns it off) refuses unknown parameters
   * with a 400; lenient ignores them and names them in an OperationOutcome entry of the Bundle
   * (FHIR R4 §3.1.1.5). The search itself is the type's plan run by the one skeleton (skeleton.ts).
   */
  async search(meta: RequestMeta, type: string, query: Query, options: { strict: boolean; selfUrl: string; base: string }): Promise<Bundle> {
    const handler = this.typeOf(type);
    const known = new Set([...handler.searchParams.map((p) => p.name), ...COMMON_PARAMS]);
    // FHIR R4 §3.1.1.5: a modifier the server does not support must be refused, not ignored
    // (ignoring `code:not` would answer the opposite question). None is supported yet.
    const modified = [...query.keys()].find((name) => name.includes(':'));
    if (modified) throw new FhirError(400, 'not-supported', `The search modifier in "${modified}" is not supported.`, modified);
    const unknown = [...query.keys()].filter((name) => !known.has(name));
    if (unknown.length && options.strict)
      throw invalid(
        `Unknown search parameter(s) for ${type}: ${unknown.join(', ')} (GET /fhir/R4/metadata lists the supported ones; Prefer: handling=lenient ignores unknown ones).`,
        unknown[0],
      );
    for (const name of unknown) query.delete(name);
    for (const [param, supported] of [
      ['_include', handler.includes ?? []],
      ['_revinclude', handler.revIncludes ?? []],
    ] as const)
      for (const value of query.get(param) ?? [])
        if (!supported.includes(value))
          throw new FhirError(400, 'not-supported', `${param}=${value} is not supported for ${type} (supported: ${supported.join(', ') || 'none'}).`, param);
    const rawCount = single(query, '_count');
    const count = parseCount(rawCount);
    const total = totalWanted(query);
    const result = await handler.search(meta, query, count, { base: options.base, total });
    const revIncluded = await this.revInclude(meta, type, query, result.matches, options.base);
    // The self link states the search as performed: a `_count` above the maximum is cut to it.
    const self = new URL(options.selfUrl);
    if (rawCount !== undefined && String(count) !== rawCount) self.searchParams.set('_count', String(count));
    for (const name of unknown) self.searchParams.delete(name);
    const link: Bundle['link'] = [{ relation: 'self', url: self.toString() }];
    if (result.next) {
      const next = new URL(self);
      next.searchParams.set('_cursor', result.next);
      link.push({ relation: 'next', url: next.toString() });
    }
    const base = `${options.base}/fhir/R4`;
    const entry: Bundle['entry'] = [
      ...result.matches.map((resource) => ({ fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'match' as const } })),
      ...[...(result.included ?? []), ...revIncluded.resources].map((resource) => ({
        fullUrl: `${base}/${resource.resourceType}/${resource.id}`,
        resource,
        search: { mode: 'include' as const },
      })),
      ...revIncluded.warnings.map((text) => ({
        fullUrl: `urn:uuid:${crypto.randomUUID()}`,
        resource: outcome('information', 'too-costly', text),
        search: { mode: 'outcome' as const },
      })),
    ];
    if (unknown.length) {
      entry.push({
        fullUrl: `urn:uuid:${crypto.randomUUID()}`,
        resource: outcome('warning', 'not-supported', `Ignored unknown search parameter(s): ${unknown.join(', ')}.`),
        search: { mode: 'outcome' },
      });
    }
    return { resourceType: 'Bundle', type: 'searchset', ...(result.total !== undefined && { total: result.total }), link, entry };
  }

  /**
   * `_revinclude` of the resources that point at this page's matches by a patient or practitioner
   * reference (`Patient?_revinclude=MedicationRequest:patient`, `Practitioner?_revinclude=Appointment:practitioner`):
   * the referring type's own search run as the caller (`patient=` / `practitioner=` the match ids), so its
   * access rule and audit apply unchanged. At most REVINCLUDE_MAX per parameter and page; when there are
   * more, an OperationOutcome entry says so and names the search that lists them all (keyset-paged).
   * Pairs a type handles in its own plan (Observation ← DiagnosticReport:result) are skipped here.
   */
  private async revInclude(
    meta: RequestMeta,
    type: string,
    query: Query,
    matches: Resource[],
    base: string,
  ): Promise<{ resources: Resource[]; warnings: string[] }> {
    const resources: Resource[] = [];
    const warnings: string[] = [];
    const ids = matches.filter((m) => m.resourceType === type).map((m) => m.id!);
    for (const value of query.get('_revinclude') ?? []) {
      const match = /^(\w+):(patient|practitioner)$/.exec(value);
      if (!match || ids.length === 0) continue;
      const [, source, param] = match as unknown as [string, string, 'patient' | 'practitioner'];
      const target = this.typeOf(source);
      const references = ids.map((id) => `${type}/${id}`).join(',');
      const result = await target.search(meta, new Map([[param, [references]]]), REVINCLUDE_MAX, { base, total: false });
      resources.push(...result.matches);
      if (result.next)
        warnings.push(
          `_revinclude=${value} is cut at ${REVINCLUDE_MAX} resources for this page; GET /fhir/R4/${source}?${param}=${references} lists them all.`,
        );
    }
    return { resources, warnings };
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
      revIncludes: ['MedicationRequest:patient', 'Appointment:patient'],
      read: async (meta, id) => {
        const profile = await patients.patientProfile(id);
        if (!profile || !(await care.canAccessPatient(db, meta.actor, id))) throw notFound('Patient', id);
        await this.audit(meta, 'patient', [{ patientId: id, id }], 'read');
        return patientResource(profile);
      },
      search: (meta, query, count, { total }) => {
        const name = single(query, 'name');
        const birth = single(query, 'birthdate');
        if (birth !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(birth.replace(/^eq/, '')))
          throw invalid('birthdate: use a full date (YYYY-MM-DD).', 'birthdate');
        const plan: SearchPlan<string[] | undefined, PatientProfileDto> = {
          // A doctor's search is limited in SQL to the patients they care for, so a page is never cut short.
          // (Same rules as care.canAccessPatient: staff who are not active see no one.)
          scope: async () => {
            const idValues = [...(query.get('_id') ?? []), ...tokensOf(query, 'identifier').map((t) => t.code)];
            const ids = idValues.length ? [...new Set(idValues.flatMap((v) => v.split(',')))].filter(isId) : undefined;
            if (meta.actor.role === 'patient') return [meta.actor.id].filter((id) => !ids || ids.includes(id));
            if (meta.actor.status !== 'active') return [];
            if (meta.actor.role === 'doctor') return [...(await care.patientIdsOf(db, meta.actor.id))].filter((id) => !ids || ids.includes(id));
            return ids;
          },
          empty: (visible) => visible?.length === 0,
          page: async (visible, criteria, n) => {
            const after = decodeCursor(criteria.cursor);
            const found = await patients.searchPatients({ ids: visible, name, birthDate: birth?.replace(/^eq/, '') }, after?.id ?? null, n + 1);
            return keysetPage(found, n, (p) => ({ at: '', id: p.user_id }));
          },
          audit: (rows) =>
            this.audit(
              meta,
              'patient',
              rows.map((p) => ({ patientId: p.user_id, id: p.user_id })),
              'list',
            ),
          resource: patientResource,
        };
        return runSearch(plan, query, count, { total });
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
      revIncludes: ['Appointment:practitioner'],
      read: async (_meta, id) => {
        try {
          return practitionerResource(await doctors.getDoctor(id));
        } catch (err) {
          if (err instanceof AppError && err.status === 404) throw notFound('Practitioner', id);
          throw err;
        }
      },
      search: (_meta, query, count, { total }) =>
        runSearch(
          {
            scope: () => undefined,
            page: async (_scope, criteria, n) => {
              const id = single(query, '_id');
              if (id !== undefined) {
                if (!isId(id) || criteria.cursor) return { rows: [], next: null };
                const doctor = await doctors.getDoctor(id).catch((err: unknown) => {
                  if (err instanceof AppError && err.status === 404) return null;
                  throw err;
                });
                return { rows: doctor ? [doctor] : [], next: null };
              }
              const page = await doctors.listDoctors({ q: single(query, 'name'), limit: n, cursor: criteria.cursor }).catch((err: unknown) => {
                if (err instanceof AppError && err.status === 400) throw invalid('_cursor is not a cursor this server issued.', '_cursor');
                throw err;
              });
              return { rows: page.items, next: page.next_cursor };
            },
            resource: practitionerResource,
            countChunk: 100,
          },
          query,
          count,
          { total },
        ),
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
        { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated (when the result reached the clinic); prefixes eq, gt, lt, ge, le' },
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
      revIncludes: ['DiagnosticReport:result'],
      search: (meta, query, count, { base, total }) => {
        const tokens = tokensOf(query, 'code');
        const codes = tokens.length ? tokens.map(analyteKeyOf).filter((k): k is string => k !== null) : undefined;
        return runSearch(
          {
            scope: () => this.patientScope(meta.actor, query),
            empty: (_scope, criteria) => rulesOut(query, 'category', 'laboratory') || !(criteria.ids ?? []).every(isId),
            page: async (patientIds, criteria, n) => {
              const cursor = decodeCursor(criteria.cursor);
              const rows = await reports.observations({
                ids: criteria.ids,
                patientIds,
                codes,
                ...criteria.date,
                lastUpdated: criteria.lastUpdated,
                descending: criteria.descending,
                after: cursor && { at: cursorTime(cursor.at), id: cursor.id },
                limit: n + 1,
              });
              return keysetPage(rows, n, (r) => ({ at: r.observed_at.toISOString(), id: r.id }));
            },
            audit: (rows, patientIds) =>
              this.audit(
                meta,
                'observation',
                rows.map((r) => ({ patientId: r.patient_id, id: r.id })),
                'list',
                patientIds,
              ),
            resource: observationResource,
            // _revinclude=DiagnosticReport:result: the report each Observation came from (every lab
            // Observation has exactly one), so at most one report per match: bounded by the page.
            include: async (rows) => {
              if (!(query.get('_revinclude') ?? []).includes('DiagnosticReport:result')) return [];
              const reportIds = [...new Set(rows.map((r) => r.report_id))];
              const found = await reports.reports({ ids: reportIds, descending: true, after: null, limit: reportIds.length });
              // The observations were access-checked; their reports are the same patients' data. Checked again all the same.
              const visible: ReportRow[] = [];
              for (const row of found) if (await care.canAccessPatient(db, meta.actor, row.patient_id)) visible.push(row);
              await this.audit(
                meta,
                'lab_report',
                visible.map((r) => ({ patientId: r.patient_id, id: r.id })),
                'list',
              );
              const pairs = await reports.observationIdsOf(visible.map((r) => r.id));
              return visible.map((row) =>
                diagnosticReportResource(
                  row,
                  pairs.filter((p) => p.report_id === row.id).map((p) => p.id),
                  base,
                ),
              );
            },
          },
          query,
          count,
          { dateParam: 'date', sortable: true, total },
        );
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
        { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated (when the file was stored; files never change); prefixes eq, gt, lt, ge, le' },
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
      search: (meta, query, count, { base, total }) =>
        runSearch(
          {
            scope: async () => {
              const patientIds = await this.patientScope(meta.actor, query);
              if (!patientIds) throw invalid('Search documents one patient at a time: add patient=Patient/<id>.', 'patient');
              return patientIds;
            },
            page: async (patientIds, criteria, n) => {
              const cursor = decodeCursor(criteria.cursor);
              // A stored file is never changed: its meta.lastUpdated is when it was stored, the same time as `date`.
              const { from, to } = intersectDates([criteria.date, criteria.lastUpdated]);
              const rows = await documents.patientFiles(
                { patientIds, ids: criteria.ids, from, to, descending: criteria.descending },
                cursor && { at: cursorTime(cursor.at), id: cursor.id },
                n + 1,
              );
              return keysetPage(rows, n, (r) => ({ at: r.created_at.toISOString(), id: r.id }));
            },
            audit: (rows, patientIds) =>
              this.audit(
                meta,
                'file',
                rows.map((r) => ({ patientId: r.patient_id!, id: r.id })),
                'list',
                patientIds,
              ),
            resource: (file) => documentReferenceResource(file, base),
          },
          query,
          count,
          { dateParam: 'date', sortable: true, total },
        ),
    };
  }

  /**
   * Chat messages between a patient and their care team (docs/FHIR.md): only from rooms the caller
   * is a current member of, as GET /chat/rooms/{id}/history (so nurses and admins see the
   * conversations they take part in, not the whole clinic), and only with a patient the caller may
   * see. Read and search are audited as chat_message reads of that patient.
   */
  private communicationType(): ResourceType {
    const { chat, care, db } = this.deps;
    return {
      type: 'Communication',
      documentation:
        'Chat messages between a patient and their care team, from the conversations the caller takes part in (the chat rule); text as payload.contentString, a shared file as payload.contentAttachment (the REST download, under the file’s own rule).',
      searchParams: [
        { name: '_id', type: 'token', documentation: 'Communication id (the message id)' },
        { name: 'patient', type: 'reference', documentation: 'Patient/<id> the conversation is with; required for doctors' },
        { name: 'subject', type: 'reference', documentation: 'Same as patient' },
        { name: 'sent', type: 'date', documentation: 'When the message was sent; prefixes eq, gt, lt, ge, le' },
        { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated (= sent: messages are never edited); prefixes eq, gt, lt, ge, le' },
      ],
      read: async (meta, id, base) => {
        const [row] = await chat.patientMessages({ memberId: meta.actor.id, ids: [id], descending: true, afterId: null, limit: 1 });
        if (!row || !(await care.canAccessPatient(db, meta.actor, row.patient_id))) throw notFound('Communication', id);
        await this.audit(meta, 'chat_message', [{ patientId: row.patient_id, id }], 'read');
        return communicationResource(row, base);
      },
      search: (meta, query, count, { base, total }) =>
        runSearch(
          {
            scope: () => this.patientScope(meta.actor, query),
            page: async (patientIds, criteria, n) => {
              const { from, to } = intersectDates([criteria.date, criteria.lastUpdated]);
              const cursor = decodeCursor(criteria.cursor);
              const rows = await chat.patientMessages({
                memberId: meta.actor.id,
                ids: criteria.ids,
                patientIds,
                from,
                to,
                descending: true,
                afterId: cursor?.id ?? null,
                limit: n + 1,
              });
              return keysetPage(rows, n, (r) => ({ at: '', id: r.id }));
            },
            audit: (rows, patientIds) =>
              this.audit(
                meta,
                'chat_message',
                rows.map((r) => ({ patientId: r.patient_id, id: r.id })),
                'list',
                patientIds,
              ),
            resource: (row) => communicationResource(row, base),
          },
          query,
          count,
          { dateParam: 'sent', total },
        ),
    };
  }

  private diagnosticReportType(): ResourceType {
    const { reports, care, db } = this.deps;
    /** Reports with the ids of their Observations (DiagnosticReport.result), read in one query. */
    const withResults = async (rows: ReportRow[]) => {
      const pairs = await reports.observationIdsOf(rows.map((r) => r.id));
      const byReport = new Map<string, string[]>();
      for (const { report_id, id } of pairs) byReport.set(report_id, [...(byReport.get(report_id) ?? []), id]);
      return rows.map((row) => ({ row, results: byReport.get(row.id) ?? [] }));
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
        { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated (when the report was uploaded); prefixes eq, gt, lt, ge, le' },
      ],
      includes: ['DiagnosticReport:result'],
      read: async (meta, id, base) => {
        const [row] = await reports.reports({ ids: [id], descending: true, after: null, limit: 1 });
        if (!row || !(await care.canAccessPatient(db, meta.actor, row.patient_id))) throw notFound('DiagnosticReport', id);
        await this.audit(meta, 'lab_report', [{ patientId: row.patient_id, id }], 'read');
        const [withIds] = await withResults([row]);
        return diagnosticReportResource(row, withIds!.results, base);
      },
      search: (meta, query, count, { base, total }) =>
        runSearch(
          {
            scope: () => this.patientScope(meta.actor, query),
            empty: (_scope, criteria) => rulesOut(query, 'category', 'LAB') || !(criteria.ids ?? []).every(isId),
            page: async (patientIds, criteria, n) => {
              const cursor = decodeCursor(criteria.cursor);
              const rows = await reports.reports({
                ids: criteria.ids,
                patientIds,
                ...criteria.date,
                lastUpdated: criteria.lastUpdated,
                descending: criteria.descending,
                after: cursor && { at: cursorTime(cursor.at), id: cursor.id },
                limit: n + 1,
              });
              const page = keysetPage(rows, n, (r) => ({ at: r.collected_at.toISOString(), id: r.id }));
              return { rows: await withResults(page.rows), next: page.next };
            },
            audit: (rows, patientIds) =>
              this.audit(
                meta,
                'lab_report',
                rows.map(({ row }) => ({ patientId: row.patient_id, id: row.id })),
                'list',
                patientIds,
              ),
            resource: ({ row, results }) => diagnosticReportResource(row, results, base),
            include: async (rows) => {
              if (!(query.get('_include') ?? []).includes('DiagnosticReport:result')) return [];
              const observationIds = rows.flatMap((r) => r.results);
              const observations = observationIds.length
                ? await reports.observations({ ids: observationIds, descending: true, after: null, limit: observationIds.length })
                : [];
              await this.audit(
                meta,
                'observation',
                observations.map((r) => ({ patientId: r.patient_id, id: r.id })),
                'list',
              );
              return observations.map(observationResource);
            },
          },
          query,
          count,
          { dateParam: 'date', sortable: true, total },
        ),
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
        { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated (the record’s last version); prefixes eq, gt, lt, ge, le' },
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
      search: (meta, query, count, { total }) => {
        const codes = tokensOf(query, 'code').filter((t) => t.system === undefined || t.system === 'http://hl7.org/fhir/sid/icd-10');
        const wanted = codes.length ? new Set(codes.map((t) => t.code.toUpperCase())) : null;
        return runSearch(
          {
            scope: () => this.patientScope(meta.actor, query),
            empty: (_scope, criteria) =>
              rulesOut(query, 'category', 'encounter-diagnosis') ||
              rulesOut(query, 'clinical-status', 'active') ||
              (query.has('code') && codes.length === 0) ||
              (criteria.ids ?? []).some((id) => parseItemId(id) === null),
            page: async (patientIds, criteria, n) => {
              const itemIds = criteria.ids?.map((id) => parseItemId(id)!);
              const onlyItems = itemIds ? new Set(itemIds.map((i) => `${i.rowId}.${i.index}`)) : null;
              const page = await this.itemPage(
                (after, limit) =>
                  medical.recordsWithDiagnoses({ ids: itemIds?.map((i) => i.rowId), patientIds, lastUpdated: criteria.lastUpdated, after, limit }),
                (row) =>
                  row.diagnoses
                    .map((d, i) => ({ d, i }))
                    .filter(({ d, i }) => (!wanted || (d.code && wanted.has(d.code.toUpperCase()))) && (!onlyItems || onlyItems.has(`${row.id}.${i}`)))
                    .map(({ i }) => i),
                criteria.cursor,
                n,
              );
              return { rows: page.items, next: page.next };
            },
            audit: (items, patientIds) =>
              this.audit(
                meta,
                'medical_record',
                items.map(([row]) => ({ patientId: row.patient_id, id: row.id })),
                'list',
                patientIds,
              ),
            resource: ([row, index]) => conditionResource(row, index),
          },
          query,
          count,
          { total },
        );
      },
    };
  }

  private medicationRequestType(): ResourceType {
    const { medical, care, db } = this.deps;
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
        { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated (the prescription’s last change); prefixes eq, gt, lt, ge, le' },
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
      search: (meta, query, count, { total }) => {
        const statuses = tokensOf(query, 'status')
          .map((t) => t.code)
          .filter((c) => STATUSES.has(c)) as ('active' | 'completed' | 'cancelled')[];
        const include = new Set(query.get('_include') ?? []);
        return runSearch(
          {
            scope: () => this.patientScope(meta.actor, query),
            empty: (_scope, criteria) =>
              rulesOut(query, 'intent', 'order') ||
              (query.has('status') && statuses.length === 0) ||
              (criteria.ids ?? []).some((id) => parseItemId(id) === null),
            page: async (patientIds, criteria, n) => {
              const itemIds = criteria.ids?.map((id) => parseItemId(id)!);
              const onlyItems = itemIds ? new Set(itemIds.map((i) => `${i.rowId}.${i.index}`)) : null;
              const page = await this.itemPage(
                (after, limit) =>
                  medical.prescriptions({
                    ids: itemIds?.map((i) => i.rowId),
                    patientIds,
                    statuses: statuses.length ? statuses : undefined,
                    lastUpdated: criteria.lastUpdated,
                    after,
                    limit,
                  }),
                (row) => row.items.map((_, i) => i).filter((i) => !onlyItems || onlyItems.has(`${row.id}.${i}`)),
                criteria.cursor,
                n,
              );
              return { rows: page.items, next: page.next };
            },
            audit: (items, patientIds) =>
              this.audit(
                meta,
                'prescription',
                items.map(([row]) => ({ patientId: row.patient_id, id: row.id })),
                'list',
                patientIds,
              ),
            resource: ([row, index]) => medicationRequestResource(row, index),
            include: async (items) => [
              ...(include.has('MedicationRequest:patient')
                ? await this.includePatients(
                    meta,
                    items.map(([row]) => row.patient_id),
                  )
                : []),
              ...(include.has('MedicationRequest:requester') ? await this.includePractitioners(items.map(([row]) => row.doctor_id)) : []),
            ],
          },
          query,
          count,
          { total },
        );
      },
    };
  }

  /** `_include`d Patients (of rows the caller may already see), audited as a list of them. */
  private async includePatients(meta: RequestMeta, patientIds: string[]): Promise<Resource[]> {
    const ids = [...new Set(patientIds)];
    if (ids.length === 0) return [];
    const profiles = await this.deps.patients.searchPatients({ ids }, null, ids.length);
    await this.audit(
      meta,
      'patient',
      profiles.map((p) => ({ patientId: p.user_id, id: p.user_id })),
      'list',
    );
    return profiles.map(patientResource);
  }

  /** `_include`d Practitioners: public directory entries (not audited, as the directory is not). */
  private async includePractitioners(doctorIds: string[]): Promise<Resource[]> {
    const included: Resource[] = [];
    for (const id of new Set(doctorIds)) {
      const doctor = await this.deps.doctors.getDoctor(id).catch(() => null);
      if (doctor) included.push(practitionerResource(doctor));
    }
    return included;
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

  /**
   * Appointment and Encounter searches (an Encounter is a completed appointment): the appointment
   * rule for scope, keyset pages by (start, id), audited as appointment lists, with the Patient and
   * Practitioner `_include`s of `type`.
   */
  private appointmentSearch(meta: RequestMeta, query: Query, count: number, total: boolean, type: 'Appointment' | 'Encounter') {
    const completedOnly = type === 'Encounter';
    const wanted = tokensOf(query, 'status').map((t) => t.code);
    let statuses: string[] | undefined;
    if (completedOnly) statuses = wanted.length && !wanted.includes('finished') ? [] : ['completed'];
    else if (wanted.length)
      statuses = Object.entries(FHIR_APPOINTMENT_STATUS)
        .filter(([, fhir]) => wanted.includes(fhir))
        .map(([rest]) => rest);
    const include = new Set(query.get('_include') ?? []);
    return runSearch(
      {
        scope: () => this.appointmentScope(meta.actor, query),
        empty: (_scope, criteria) => statuses?.length === 0 || !(criteria.ids ?? []).every(isId),
        page: async (scope, criteria, n) => {
          const cursor = decodeCursor(criteria.cursor);
          const rows = await this.deps.appointments.appointments({
            ids: criteria.ids,
            ...scope,
            statuses: statuses as never,
            ...criteria.date,
            lastUpdated: criteria.lastUpdated,
            afterId: cursor?.id ?? null,
            descending: criteria.descending,
            limit: n + 1,
          });
          return keysetPage(rows, n, (r) => ({ at: '', id: r.id }));
        },
        audit: (rows) =>
          this.audit(
            meta,
            'appointment',
            rows.map((r) => ({ patientId: r.patient_id, id: r.id })),
            'list',
          ),
        resource: completedOnly ? encounterResource : appointmentResource,
        include: async (rows) => [
          ...(include.has(`${type}:patient`)
            ? await this.includePatients(
                meta,
                rows.map((r) => r.patient_id),
              )
            : []),
          ...(include.has(`${type}:practitioner`) ? await this.includePractitioners(rows.map((r) => r.doctor_id)) : []),
        ],
      },
      query,
      count,
      { dateParam: 'date', sortable: true, total },
    );
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
        { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated (the last change); prefixes eq, gt, lt, ge, le' },
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
      update: async (meta, id, body, versionId) => {
        const wanted = readAppointmentUpdate(body, id);
        const [row] = await this.deps.appointments.appointments({ ids: [id], afterId: null, descending: true, limit: 1 });
        if (!row || !this.visibleAppointment(meta.actor, row)) throw notFound('Appointment', id);
        const stale = () => new FhirError(412, 'conflict', `Appointment/${id} has changed since version ${versionId}; read it again (ETag) and retry.`);
        if (appointmentVersion(row) !== versionId) throw stale();
        const current = appointmentResource(row);
        // PUT replaces the resource, but only the status can change here: anything else must be sent as it is.
        const same = (a: string | undefined, b: unknown) => a === undefined || new Date(a).getTime() === new Date(String(b)).getTime();
        const parties = (current.participant as { actor: { reference: string } }[]).map((p) => p.actor.reference).sort();
        if (!same(wanted.start, current.start) || !same(wanted.end, current.end))
          throw new FhirError(
            422,
            'processing',
            'Appointment.start and end cannot be changed by PUT; book another Slot (or reschedule in the app).',
            'Appointment.start',
          );
        if (wanted.participants && JSON.stringify([...wanted.participants].sort()) !== JSON.stringify(parties))
          throw new FhirError(422, 'processing', 'Appointment.participant cannot be changed.', 'Appointment.participant');
        if (wanted.status === current.status) return current;
        const status = UPDATABLE_APPOINTMENT_STATUS[wanted.status];
        if (!status)
          throw new FhirError(
            422,
            'processing',
            `Appointment.status cannot become "${wanted.status}" (from ${String(current.status)}: cancelled, arrived, fulfilled or noshow, as the clinic's rules allow).`,
            'Appointment.status',
          );
        const changed = await this.deps.booking
          .changeStatus(meta.actor, id, { status, ...(wanted.cancelReason && { reason: wanted.cancelReason }) } as never, { expectedUpdatedAt: row.updated_at })
          .catch((err: unknown) => {
            if (err instanceof AppError && err.status === 412) throw stale();
            throw err;
          });
        // As the REST status route: the change is recorded, and a cancellation ends the care relationship it gave.
        await this.deps.audit.record(this.deps.db, meta, [
          { patientId: changed.patient_id, resourceType: 'appointment', resourceId: id, action: 'status_change', details: { via: 'fhir' } },
          ...(status === 'cancelled'
            ? [
                {
                  patientId: changed.patient_id,
                  resourceType: 'care_relationship',
                  resourceId: changed.doctor_id,
                  action: 'revoke' as const,
                  details: { cause: 'appointment', appointment_id: id, via: 'fhir' },
                },
              ]
            : []),
        ]);
        const [after] = await this.deps.appointments.appointments({ ids: [id], afterId: null, descending: true, limit: 1 });
        return appointmentResource(after!);
      },
      read: async (meta, id) => {
        const [row] = await this.deps.appointments.appointments({ ids: [id], afterId: null, descending: true, limit: 1 });
        if (!row || !this.visibleAppointment(meta.actor, row)) throw notFound('Appointment', id);
        await this.audit(meta, 'appointment', [{ patientId: row.patient_id, id }], 'read');
        return appointmentResource(row);
      },
      search: (meta, query, count, { total }) => this.appointmentSearch(meta, query, count, total, 'Appointment'),
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
        { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated (the appointment’s last change); prefixes eq, gt, lt, ge, le' },
      ],
      includes: ['Encounter:patient', 'Encounter:practitioner'],
      read: async (meta, id) => {
        const [row] = await this.deps.appointments.appointments({ ids: [id], statuses: ['completed'], afterId: null, descending: true, limit: 1 });
        if (!row || !this.visibleAppointment(meta.actor, row)) throw notFound('Encounter', id);
        await this.audit(meta, 'appointment', [{ patientId: row.patient_id, id }], 'read');
        return encounterResource(row);
      },
      search: (meta, query, count, { total }) => this.appointmentSearch(meta, query, count, total, 'Encounter'),
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
  private directorySearch(query: Query, count: number, total: boolean, referenceParam: string, resource: (doctor: DoctorDto) => Resource) {
    const specialties = tokensOf(query, 'specialty').filter((t) => t.system === undefined || t.system === SPECIALTY_SYSTEM);
    if (query.has('specialty') && specialties.length > 1) throw new FhirError(400, 'not-supported', 'specialty takes one code here.', 'specialty');
    const referenced = (query.get(referenceParam) ?? []).flatMap((v) => v.split(',')).map((v) => parseReference(referenceParam, v, 'Practitioner'));
    return runSearch(
      {
        scope: () => undefined,
        empty: () => query.has('specialty') && specialties.length === 0,
        page: async (_scope, criteria, n) => {
          if (referenced.length) {
            if (criteria.cursor) return { rows: [], next: null };
            const found: DoctorDto[] = [];
            for (const id of new Set(referenced)) {
              const doctor = await this.deps.doctors.getDoctor(id).catch(() => null);
              if (doctor && (!specialties[0] || doctor.specialty === specialties[0].code)) found.push(doctor);
            }
            return { rows: found, next: null };
          }
          const page = await this.deps.doctors
            .listDoctors({ specialty: specialties[0]?.code as never, limit: n, cursor: criteria.cursor })
            .catch((err: unknown) => {
              if (err instanceof AppError && err.status < 500) throw invalid(`The search could not be run: ${err.detail}`, 'specialty');
              throw err;
            });
          return { rows: page.items, next: page.next_cursor };
        },
        resource,
        countChunk: 100,
      },
      query,
      count,
      { total },
    );
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
      search: (_meta, query, count, { total }) => this.directorySearch(query, count, total, 'practitioner', practitionerRoleResource),
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
      search: (_meta, query, count, { total }) => this.directorySearch(query, count, total, 'actor', scheduleResource),
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
      search: (_meta, query, count, { total }) =>
        runSearch(
          {
            scope: () => {
              const schedule = single(query, 'schedule');
              if (!schedule) throw invalid('Slot search needs schedule=Schedule/<doctor id>.', 'schedule');
              return parseReference('schedule', schedule, 'Schedule');
            },
            empty: () => rulesOut(query, 'status', 'free'),
            page: async (doctorId, criteria, n) => {
              try {
                const page = await this.deps.slots.listFree(doctorId, {
                  from: criteria.date.from?.at.toISOString(),
                  to: criteria.date.to?.at.toISOString(),
                  limit: n,
                  cursor: criteria.cursor,
                });
                return { rows: page.items, next: page.next_cursor };
              } catch (err) {
                if (err instanceof AppError && err.status === 404) throw notFound('Schedule', doctorId);
                if (err instanceof AppError && err.status < 500) throw invalid(err.detail, 'start');
                throw err;
              }
            },
            resource: slotResource,
            countChunk: 100,
          },
          query,
          count,
          { dateParam: 'start', total },
        ),
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
      search: (meta, query, count, { total }) => {
        const patient = single(query, 'patient');
        const agent = single(query, 'agent');
        const entity = single(query, 'entity');
        const agentId = agent ? (agent.split('/').at(-1) ?? '') : undefined;
        if (agentId !== undefined && !isId(agentId)) throw invalid('agent must reference a Patient or Practitioner by id.', 'agent');
        const entityId = entity ? entity.split('/').at(-1) : undefined;
        const patientId = patient ? parseReference('patient', patient, 'Patient') : undefined;
        return runSearch(
          {
            // The audit list applies its own rule (admins all, a patient their own record, others 403).
            scope: () => undefined,
            page: async (_scope, criteria, n) => {
              const page = await list(meta, {
                patient_id: patientId,
                actor_id: agentId,
                resource_id: entityId,
                from: criteria.date.from?.at.toISOString(),
                to: criteria.date.to?.at.toISOString(),
                limit: n,
                cursor: criteria.cursor,
              });
              return { rows: page.items, next: page.next_cursor };
            },
            resource: auditEventResource,
            countChunk: 100,
          },
          query,
          count,
          { dateParam: 'date', total },
        );
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

/** Who wrote a chat message, as a Communication.sender: a Patient, a Practitioner (doctors), else the staff user or the assistant by name. */
function senderOf(row: PatientMessageRow): Record<string, unknown> | undefined {
  if (row.sender_role === 'patient' && row.sender_id) return { reference: `Patient/${row.sender_id}` };
  if (row.sender_role === 'doctor' && row.sender_id) return { reference: `Practitioner/${row.sender_id}` };
  if ((row.sender_role === 'nurse' || row.sender_role === 'admin') && row.sender_id)
    return { identifier: { system: USER_ID_SYSTEM, value: row.sender_id }, display: row.sender_role === 'nurse' ? 'Nurse' : 'Clinic administrator' };
  if (row.sender_role === 'assistant') return { display: 'CareBridge assistant' };
  return undefined; // system notices have no author
}

/** A chat message as a Communication (docs/FHIR.md mapping table). */
function communicationResource(row: PatientMessageRow, base: string): Resource {
  const sender = senderOf(row);
  return {
    resourceType: 'Communication',
    id: row.id,
    meta: { lastUpdated: row.created_at.toISOString() },
    status: 'completed',
    subject: { reference: `Patient/${row.patient_id}` },
    sent: row.created_at.toISOString(),
    ...(sender && { sender }),
    payload: [
      row.kind === 'file' && row.file_id
        ? { contentAttachment: { url: `${base}/api/v1/files/${row.file_id}/download`, ...(row.content && { title: row.content }) } }
        : { contentString: row.content },
    ],
  };
}
