import type { PatientProfileDto, DoctorDto } from '../scheduling/index.js';
import { ANALYTES, type ObservationReadRow, type ReportRow } from '../reports/index.js';

/**
 * REST rows → FHIR R4 resources (the mapping table is docs/FHIR.md). Ids are the REST ids
 * (docs/API.md §9). Only what the clinic stores is said; nothing is invented to fill a field.
 */

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
/** Our own code system for analytes without a LOINC code in reports/analytes.ts. */
export const ANALYTE_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/analyte';
export const USER_ID_SYSTEM = 'https://carebridge.dev/fhir/identifier/user';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const DIAGNOSTIC_SERVICE = 'http://terminology.hl7.org/CodeSystem/v2-0074';

export type Resource = { resourceType: string; id: string; meta?: { lastUpdated?: string; versionId?: string } } & Record<string, unknown>;

const LOINC_BY_KEY = new Map(ANALYTES.filter((a) => a.loinc).map((a) => [a.key, a.loinc!]));
const KEY_BY_LOINC = new Map(ANALYTES.filter((a) => a.loinc).map((a) => [a.loinc!, a.key]));

/** The analyte key a `code` search token names: a LOINC code we know, or one of our own analyte codes. */
export function analyteKeyOf(token: { system?: string; code: string }): string | null {
  if (token.system === undefined || token.system === LOINC) {
    const key = KEY_BY_LOINC.get(token.code);
    if (key) return key;
  }
  if (token.system === undefined || token.system === ANALYTE_SYSTEM) return token.code;
  return null;
}

// UCUM codes of the units the report parser writes (reports/analytes.ts); anything else is sent as text only.
const UCUM_CODES: Record<string, string> = {
  'g/dL': 'g/dL',
  '%': '%',
  '10^9/L': '10*9/L',
  '10^12/L': '10*12/L',
  fL: 'fL',
  pg: 'pg',
  'mg/dL': 'mg/dL',
  'mmol/L': 'mmol/L',
  'mL/min/1.73m2': 'mL/min/{1.73_m2}',
  'U/L': 'U/L',
  'mIU/L': 'm[IU]/L',
  'ng/dL': 'ng/dL',
  'mg/L': 'mg/L',
  'ng/mL': 'ng/mL',
  'pg/mL': 'pg/mL',
  'g/L': 'g/L',
  'umol/L': 'umol/L',
  'µmol/L': 'umol/L',
};

function quantity(value: number, unit: string | null) {
  const code = unit ? UCUM_CODES[unit] : undefined;
  return { value, ...(unit && { unit }), ...(code && { system: UCUM, code }) };
}

function splitName(fullName: string): { text: string; family?: string; given?: string[] } {
  const parts = fullName.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return { text: fullName };
  if (parts.length === 1) return { text: fullName, family: parts[0] };
  return { text: fullName, family: parts.at(-1), given: parts.slice(0, -1) };
}

export function patientResource(p: PatientProfileDto): Resource {
  return {
    resourceType: 'Patient',
    id: p.user_id,
    ...(p.updated_at && { meta: { lastUpdated: p.updated_at } }),
    identifier: [{ system: USER_ID_SYSTEM, value: p.user_id }],
    active: true,
    name: [{ use: 'official', ...splitName(p.full_name) }],
    telecom: [{ system: 'email', value: p.email }, ...(p.phone ? [{ system: 'phone', value: p.phone }] : [])],
    gender: p.sex ?? 'unknown',
    ...(p.date_of_birth && { birthDate: p.date_of_birth.slice(0, 10) }),
    ...(p.address && { address: [{ text: p.address }] }),
    ...(p.emergency_contact && {
      contact: [
        {
          name: { text: p.emergency_contact.name },
          telecom: [{ system: 'phone', value: p.emergency_contact.phone }],
          ...(p.emergency_contact.relationship && { relationship: [{ text: p.emergency_contact.relationship }] }),
        },
      ],
    }),
  };
}

export function practitionerResource(d: DoctorDto): Resource {
  return {
    resourceType: 'Practitioner',
    id: d.id,
    identifier: [{ system: USER_ID_SYSTEM, value: d.id }],
    active: true,
    name: [{ use: 'official', ...splitName(d.full_name.replace(/^Dr\.?\s+/i, '')), prefix: ['Dr'] }],
    ...(d.qualifications.length && { qualification: d.qualifications.map((q) => ({ code: { text: q } })) }),
    ...(d.languages.length && { communication: d.languages.map((code) => ({ coding: [{ system: 'urn:ietf:bcp:47', code }] })) }),
  };
}

const INTERPRETATIONS: Record<string, { code: string; display: string }> = {
  low: { code: 'L', display: 'Low' },
  normal: { code: 'N', display: 'Normal' },
  high: { code: 'H', display: 'High' },
};

function interpretation(row: ObservationReadRow) {
  if (!row.flag) return undefined;
  // The parser's `critical` does not say which side; the value against the range does.
  const side = row.flag === 'critical' ? (row.ref_low !== null && row.value < row.ref_low ? 'LL' : 'HH') : INTERPRETATIONS[row.flag]?.code;
  const display = side === 'LL' ? 'Critical low' : side === 'HH' ? 'Critical high' : INTERPRETATIONS[row.flag]?.display;
  return side ? [{ coding: [{ system: INTERPRETATION, code: side, display }], text: row.flag }] : undefined;
}

export function observationResource(row: ObservationReadRow): Resource {
  const loinc = LOINC_BY_KEY.get(row.code);
  const range = row.ref_low !== null || row.ref_high !== null || row.reference_range;
  const flags = interpretation(row);
  return {
    resourceType: 'Observation',
    id: row.id,
    meta: { lastUpdated: row.report_created_at.toISOString() },
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: 'laboratory', display: 'Laboratory' }] }],
    code: {
      coding: [loinc ? { system: LOINC, code: loinc, display: row.name } : { system: ANALYTE_SYSTEM, code: row.code, display: row.name }],
      text: row.name,
    },
    subject: { reference: `Patient/${row.patient_id}` },
    effectiveDateTime: row.observed_at.toISOString(),
    issued: row.report_created_at.toISOString(),
    valueQuantity: quantity(row.value, row.unit),
    ...(flags && { interpretation: flags }),
    ...(range && {
      referenceRange: [
        {
          ...(row.ref_low !== null && { low: quantity(row.ref_low, row.unit) }),
          ...(row.ref_high !== null && { high: quantity(row.ref_high, row.unit) }),
          ...(row.reference_range && { text: row.reference_range }),
        },
      ],
    }),
  };
}

export function diagnosticReportResource(row: ReportRow, observationIds: string[], baseUrl: string): Resource {
  return {
    resourceType: 'DiagnosticReport',
    id: row.id,
    meta: { lastUpdated: row.created_at.toISOString() },
    status: row.status === 'parsed' ? 'final' : 'partial',
    category: [{ coding: [{ system: DIAGNOSTIC_SERVICE, code: 'LAB', display: 'Laboratory' }] }],
    // No panel code is known for an uploaded report: a text code, as US Core allows for "other" reports.
    code: { text: 'Laboratory report' },
    subject: { reference: `Patient/${row.patient_id}` },
    effectiveDateTime: row.collected_at.toISOString(),
    issued: row.created_at.toISOString(),
    result: observationIds.map((id) => ({ reference: `Observation/${id}` })),
    presentedForm: [
      {
        contentType: row.format === 'pdf' ? 'application/pdf' : 'text/csv',
        url: `${baseUrl}/api/v1/files/${row.file_id}/download`,
        title: `Original ${row.format.toUpperCase()} report`,
      },
    ],
  };
}

const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
const CONDITION_VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
const UCUM_DAYS = { unit: 'days', system: UCUM, code: 'd' };

/**
 * Items stored inside one row (a record's diagnoses, a prescription's drugs) get FHIR ids
 * `<row id>.<position>`: stable as long as the row's items are (records keep every version;
 * prescriptions never change their items).
 */
export function itemId(rowId: string, index: number): string {
  return `${rowId}.${index}`;
}

const ITEM_ID_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{1,3})$/i;
export function parseItemId(id: string): { rowId: string; index: number } | null {
  const m = ITEM_ID_RE.exec(id);
  return m ? { rowId: m[1]!.toLowerCase(), index: Number(m[2]) } : null;
}

export interface DiagnosisSource {
  id: string;
  patient_id: string;
  author_id: string;
  appointment_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  diagnoses: { code?: string | null; text: string }[];
}

/** One diagnosis of a medical record, as a Condition (US Core: an encounter diagnosis). */
export function conditionResource(row: DiagnosisSource, index: number): Resource {
  const diagnosis = row.diagnoses[index]!;
  return {
    resourceType: 'Condition',
    id: itemId(row.id, index),
    meta: { versionId: String(row.version), lastUpdated: row.updated_at.toISOString() },
    // The clinic records diagnoses, not their resolution: every stored diagnosis is reported as active.
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: CONDITION_VERIFICATION, code: 'confirmed' }] },
    category: [{ coding: [{ system: CONDITION_CATEGORY, code: 'encounter-diagnosis', display: 'Encounter Diagnosis' }] }],
    code: { ...(diagnosis.code && { coding: [{ system: ICD10, code: diagnosis.code }] }), text: diagnosis.text },
    subject: { reference: `Patient/${row.patient_id}` },
    recordedDate: row.created_at.toISOString(),
    recorder: { reference: `Practitioner/${row.author_id}` },
  };
}

export interface PrescriptionSource {
  id: string;
  patient_id: string;
  doctor_id: string;
  status: 'active' | 'completed' | 'cancelled';
  created_at: Date;
  updated_at: Date;
  notes: string | null;
  items: {
    drug: string;
    strength?: string;
    dose: string;
    route?: string;
    frequency: string;
    duration_days?: number;
    quantity?: number;
    refills?: number;
    instructions?: string;
  }[];
}

/** One drug of a prescription, as a MedicationRequest (text-coded medication: no RxNorm table is held). */
export function medicationRequestResource(row: PrescriptionSource, index: number): Resource {
  const item = row.items[index]!;
  const medication = [item.drug, item.strength].filter(Boolean).join(' ');
  const dosage = [item.dose, item.route, item.frequency, item.duration_days ? `for ${item.duration_days} days` : null, item.instructions]
    .filter(Boolean)
    .join(', ');
  return {
    resourceType: 'MedicationRequest',
    id: itemId(row.id, index),
    meta: { lastUpdated: row.updated_at.toISOString() },
    status: row.status,
    intent: 'order',
    // US Core must-support: a prescription of this outpatient clinic is taken at home (community), and it is
    // the clinic's own order, not a medication the patient reported.
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'community', display: 'Community' }] }],
    reportedBoolean: false,
    medicationCodeableConcept: { text: medication },
    subject: { reference: `Patient/${row.patient_id}` },
    authoredOn: row.created_at.toISOString(),
    requester: { reference: `Practitioner/${row.doctor_id}` },
    dosageInstruction: [{ text: dosage, ...(item.route && { route: { text: item.route } }) }],
    ...((item.quantity !== undefined || item.refills !== undefined || item.duration_days !== undefined) && {
      dispenseRequest: {
        ...(item.refills !== undefined && { numberOfRepeatsAllowed: item.refills }),
        ...(item.quantity !== undefined && { quantity: { value: item.quantity } }),
        ...(item.duration_days !== undefined && { expectedSupplyDuration: { value: item.duration_days, ...UCUM_DAYS } }),
      },
    }),
    ...(row.notes && { note: [{ text: row.notes }] }),
  };
}

export interface AppointmentSource {
  id: string;
  patient_id: string;
  doctor_id: string;
  start_at: Date;
  end_at: Date;
  type: string;
  status: string;
  reason: string | null;
  cancel_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

// REST status → FHIR Appointment.status (R4 value set appointmentstatus).
const APPOINTMENT_STATUS: Record<string, string> = {
  scheduled: 'booked',
  confirmed: 'booked',
  in_progress: 'arrived',
  completed: 'fulfilled',
  cancelled: 'cancelled',
  no_show: 'noshow',
};
export const FHIR_APPOINTMENT_STATUS = APPOINTMENT_STATUS;
const ENCOUNTER_CLASS = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** An appointment's meta.versionId: when it last changed, in milliseconds (repositories write updated_at from a JavaScript Date). */
export function appointmentVersion(row: { updated_at: Date }): string {
  return String(row.updated_at.getTime());
}

export function appointmentResource(row: AppointmentSource): Resource {
  const cancelled = row.status === 'cancelled';
  return {
    resourceType: 'Appointment',
    id: row.id,
    // The version is the last change, to the millisecond: PUT with If-Match compares it under the row lock (docs/FHIR.md, "Updates").
    meta: { versionId: appointmentVersion(row), lastUpdated: row.updated_at.toISOString() },
    status: APPOINTMENT_STATUS[row.status] ?? 'booked',
    ...(cancelled && row.cancel_reason && { cancelationReason: { text: row.cancel_reason } }),
    appointmentType: { text: row.type === 'video' ? 'Video consultation' : 'In-person consultation' },
    ...(row.reason && { reasonCode: [{ text: row.reason }] }),
    start: row.start_at.toISOString(),
    end: row.end_at.toISOString(),
    minutesDuration: Math.round((row.end_at.getTime() - row.start_at.getTime()) / 60_000),
    created: row.created_at.toISOString(),
    participant: [
      { actor: { reference: `Patient/${row.patient_id}` }, required: 'required', status: cancelled ? 'declined' : 'accepted' },
      { actor: { reference: `Practitioner/${row.doctor_id}` }, required: 'required', status: cancelled ? 'declined' : 'accepted' },
    ],
  };
}

/** A completed appointment is the Encounter that took place (id = the appointment's id). */
export function encounterResource(row: AppointmentSource): Resource {
  return {
    resourceType: 'Encounter',
    id: row.id,
    meta: { lastUpdated: row.updated_at.toISOString() },
    status: 'finished',
    class: row.type === 'video' ? { system: ENCOUNTER_CLASS, code: 'VR', display: 'virtual' } : { system: ENCOUNTER_CLASS, code: 'AMB', display: 'ambulatory' },
    subject: { reference: `Patient/${row.patient_id}` },
    participant: [{ individual: { reference: `Practitioner/${row.doctor_id}` } }],
    appointment: [{ reference: `Appointment/${row.id}` }],
    period: { start: row.start_at.toISOString(), end: row.end_at.toISOString() },
    ...(row.reason && { reasonCode: [{ text: row.reason }] }),
  };
}

/** Our specialty codes (scheduling's SPECIALTIES): a code system of our own, since no national one is assumed. */
export const SPECIALTY_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/specialty';
const specialtyConcept = (specialty: string) => ({
  coding: [{ system: SPECIALTY_SYSTEM, code: specialty, display: specialty.replace(/_/g, ' ') }],
  text: specialty.replace(/_/g, ' '),
});

/** The doctor's role in this clinic (id = the doctor's id): their specialty. */
export function practitionerRoleResource(d: DoctorDto): Resource {
  return {
    resourceType: 'PractitionerRole',
    id: d.id,
    active: true,
    practitioner: { reference: `Practitioner/${d.id}` },
    ...(d.specialty && { specialty: [specialtyConcept(d.specialty)] }),
  };
}

/** One Schedule per approved doctor (id = the doctor's id): the bookable time of that doctor. */
export function scheduleResource(d: DoctorDto): Resource {
  return {
    resourceType: 'Schedule',
    id: d.id,
    active: true,
    actor: [{ reference: `Practitioner/${d.id}` }],
    ...(d.specialty && { specialty: [specialtyConcept(d.specialty)] }),
    comment: `Bookable time of ${d.full_name} (${d.time_zone})`,
  };
}

export function slotResource(slot: { id: string; doctor_id: string; start: string; end: string }): Resource {
  return { resourceType: 'Slot', id: slot.id, schedule: { reference: `Schedule/${slot.doctor_id}` }, status: 'free', start: slot.start, end: slot.end };
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: { id: string; role: string; full_name: string | null } | null;
  patient_id: string | null;
  resource_type: string;
  resource_id: string | null;
  resource_ids: string[] | null;
  action: string;
  ip: string | null;
}

// Our audit actions → FHIR AuditEvent.action (C create, R read, U update, D delete, E execute: a search).
const AUDIT_ACTION: Record<string, string> = {
  read: 'R',
  download: 'R',
  list: 'E',
  create: 'C',
  upload: 'C',
  update: 'U',
  status_change: 'U',
  grant: 'U',
  revoke: 'U',
  consent: 'U',
  delete: 'D',
};
const AUDIT_RESOURCE_SYSTEM = 'https://carebridge.dev/fhir/CodeSystem/audit-resource';

/** One row of the audit log (GET /api/v1/audit) as an AuditEvent. */
export function auditEventResource(e: AuditEntry): Resource {
  const who = e.actor
    ? e.actor.role === 'patient'
      ? { reference: `Patient/${e.actor.id}` }
      : e.actor.role === 'doctor'
        ? { reference: `Practitioner/${e.actor.id}` }
        : { identifier: { system: USER_ID_SYSTEM, value: e.actor.id }, ...(e.actor.full_name && { display: e.actor.full_name }) }
    : { display: 'CareBridge (system)' };
  const objects = e.resource_ids?.length ? e.resource_ids : e.resource_id ? [e.resource_id] : [];
  return {
    resourceType: 'AuditEvent',
    id: e.id,
    type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'RESTful Operation' },
    action: AUDIT_ACTION[e.action] ?? 'E',
    recorded: e.at,
    outcome: '0',
    agent: [{ who, requestor: true, ...(e.ip && { network: { address: e.ip, type: '2' } }) }],
    source: { observer: { display: 'CareBridge' } },
    entity: [
      ...(e.patient_id
        ? [
            {
              what: { reference: `Patient/${e.patient_id}` },
              role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1', display: 'Patient' },
            },
          ]
        : []),
      ...objects.map((id) => ({ what: { identifier: { value: id } }, type: { system: AUDIT_RESOURCE_SYSTEM, code: e.resource_type } })),
    ],
  };
}
