/** The bodies FHIR clients may POST (docs/FHIR.md, "Writes"), read and checked before anything is stored. */
import { ANALYTES } from '../reports/index.js';
import { LOINC } from './mapping.js';
import { invalid } from './outcome.js';
import { parseReference } from './search.js';

/** What a posted lab Observation says, checked (docs/FHIR.md, "Writes"). */
export interface PostedLabResult {
  patientId: string;
  name: string;
  value: number;
  unit: string | null;
  range: string | null;
  effective: Date;
}

const STATUSES = new Set(['final', 'amended', 'corrected', 'preliminary']);
const NAME_BY_LOINC = new Map(ANALYTES.filter((a) => a.loinc).map((a) => [a.loinc!, a.name]));

type Json = Record<string, unknown>;
const object = (value: unknown): Json | null => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null);
const text = (value: unknown, max = 200): string | null => (typeof value === 'string' && value.trim() && value.length <= max ? value.trim() : null);

function finite(value: unknown, path: string): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(`${path} must be a number.`, path);
  return value;
}

/**
 * Reads a lab Observation posted by an external lab: a numeric result (valueQuantity) for a
 * Patient, with a code (LOINC, or at least a text), an effective time and optionally a
 * reference range. Anything else is a 400 OperationOutcome naming the element.
 */
export function readLabResult(body: unknown): PostedLabResult {
  const resource = object(body);
  if (!resource || resource.resourceType !== 'Observation')
    throw invalid('The body must be an Observation resource (resourceType "Observation").', 'Observation.resourceType');
  if (!STATUSES.has(String(resource.status)))
    throw invalid('Observation.status must be final, amended, corrected or preliminary for a lab result.', 'Observation.status');
  const categories = Array.isArray(resource.category) ? (resource.category as Json[]) : [];
  if (categories.length && !categories.some((c) => Array.isArray(c?.coding) && (c.coding as Json[]).some((coding) => coding?.code === 'laboratory'))) {
    throw invalid('Only laboratory Observations can be posted (category laboratory).', 'Observation.category');
  }
  const subject = object(resource.subject);
  if (!subject || typeof subject.reference !== 'string') throw invalid('Observation.subject must reference the Patient (Patient/<id>).', 'Observation.subject');
  const patientId = parseReference('Observation.subject', subject.reference, 'Patient');

  const code = object(resource.code);
  const codings = Array.isArray(code?.coding) ? (code!.coding as Json[]) : [];
  const loinc = codings.find((c) => c?.system === LOINC && typeof c.code === 'string');
  const name = (loinc && NAME_BY_LOINC.get(loinc.code as string)) ?? text(code?.text) ?? codings.map((c) => text(c?.display)).find(Boolean) ?? null;
  if (!name) throw invalid('Observation.code needs a LOINC coding this server knows, a text or a display.', 'Observation.code');

  const quantity = object(resource.valueQuantity);
  if (!quantity) throw invalid('Only numeric results (valueQuantity) can be posted.', 'Observation.valueQuantity');
  const value = finite(quantity.value, 'Observation.valueQuantity.value');
  if (value === null) throw invalid('Observation.valueQuantity.value is required.', 'Observation.valueQuantity.value');
  const unit = text(quantity.unit, 40) ?? text(quantity.code, 40);

  const effectiveText = resource.effectiveDateTime ?? object(resource.effectivePeriod)?.start;
  const effective = typeof effectiveText === 'string' && /^\d{4}-\d{2}-\d{2}(T.+)?$/.test(effectiveText) ? new Date(effectiveText) : null;
  if (!effective || Number.isNaN(effective.getTime()))
    throw invalid('Observation.effectiveDateTime (when the sample was taken) is required.', 'Observation.effectiveDateTime');
  if (effective.getTime() > Date.now() + 5 * 60_000) throw invalid('Observation.effectiveDateTime is in the future.', 'Observation.effectiveDateTime');

  const range = Array.isArray(resource.referenceRange) ? object(resource.referenceRange[0]) : null;
  const low = finite(object(range?.low)?.value, 'Observation.referenceRange.low.value');
  const high = finite(object(range?.high)?.value, 'Observation.referenceRange.high.value');
  const rangeText = low !== null && high !== null ? `${low}-${high}` : high !== null ? `<${high}` : low !== null ? `>${low}` : text(range?.text, 100);
  return { patientId, name, value, unit, range: rangeText, effective };
}

/** The result as the one-row CSV lab report the reports area parses, flags and trends. */
export function labResultCsv(result: PostedLabResult): Buffer {
  const cell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  return Buffer.from(`Test,Result,Units,Reference Range\n${[result.name, String(result.value), result.unit ?? '', result.range ?? ''].map(cell).join(',')}\n`);
}

/** What a posted Appointment asks for: a booking of one free Slot (docs/FHIR.md, "Writes"). */
export interface PostedBooking {
  slotId: string;
  patientId: string | undefined;
  type: 'video' | 'in_person' | undefined;
  reason: string | undefined;
}

/**
 * Reads a booking request: `status` booked (or proposed/pending, which this clinic books at
 * once), `slot[0]` the free Slot, optionally the Patient participant (staff booking for a
 * patient), `appointmentType.text` video/in person and `reasonCode[0].text`.
 */
export function readBooking(body: unknown): PostedBooking {
  const resource = object(body);
  if (!resource || resource.resourceType !== 'Appointment')
    throw invalid('The body must be an Appointment resource (resourceType "Appointment").', 'Appointment.resourceType');
  if (!['booked', 'proposed', 'pending'].includes(String(resource.status)))
    throw invalid('Appointment.status must be booked (or proposed/pending) to book.', 'Appointment.status');
  const slots = Array.isArray(resource.slot) ? (resource.slot as unknown[]) : [];
  const slot = object(slots[0]);
  if (slots.length !== 1 || typeof slot?.reference !== 'string')
    throw invalid('Appointment.slot must reference exactly one free Slot (Slot/<id>).', 'Appointment.slot');
  const slotId = parseReference('Appointment.slot', slot.reference, 'Slot');
  const participants = Array.isArray(resource.participant) ? (resource.participant as unknown[]).map(object) : [];
  const patients = participants.map((p) => object(p?.actor)?.reference).filter((r): r is string => typeof r === 'string' && /(^|\/)Patient\//.test(r));
  if (patients.length > 1) throw invalid('An appointment has one Patient participant.', 'Appointment.participant');
  const patientId = patients[0] ? parseReference('Appointment.participant.actor', patients[0], 'Patient') : undefined;
  const typeText = text(object(resource.appointmentType)?.text, 100)?.toLowerCase();
  const type =
    typeText === undefined || typeText === null
      ? undefined
      : /video|virtual|online|remote/.test(typeText)
        ? 'video'
        : /person|clinic|office/.test(typeText)
          ? 'in_person'
          : undefined;
  if (typeText && !type) throw invalid('Appointment.appointmentType.text must say video or in person.', 'Appointment.appointmentType');
  const reasons = Array.isArray(resource.reasonCode) ? (resource.reasonCode as unknown[]) : [];
  const reason = reasons.length ? (text(object(reasons[0])?.text, 2000) ?? undefined) : undefined;
  return { slotId, patientId, type, reason };
}

/** What a PUT Appointment may change (docs/FHIR.md, "Updates"): the status, and the reason of a cancellation. */
export interface AppointmentUpdate {
  status: string;
  cancelReason: string | undefined;
  start: string | undefined;
  end: string | undefined;
  participants: string[] | undefined;
}

/** Reads a PUT Appointment body: the resource itself, for the id in the URL (FHIR R4 §3.1.0.4). */
export function readAppointmentUpdate(body: unknown, id: string): AppointmentUpdate {
  const resource = object(body);
  if (!resource || resource.resourceType !== 'Appointment')
    throw invalid('The body must be an Appointment resource (resourceType "Appointment").', 'Appointment.resourceType');
  if (resource.id !== id) throw invalid(`Appointment.id must be "${id}", the id in the URL.`, 'Appointment.id');
  const status = text(resource.status, 40);
  if (!status) throw invalid('Appointment.status is required.', 'Appointment.status');
  const participants = Array.isArray(resource.participant)
    ? (resource.participant as unknown[]).map((p) => object(object(p)?.actor)?.reference).filter((r): r is string => typeof r === 'string')
    : undefined;
  return {
    status,
    cancelReason: text(object(resource.cancelationReason)?.text, 2000) ?? undefined,
    start: typeof resource.start === 'string' ? resource.start : undefined,
    end: typeof resource.end === 'string' ? resource.end : undefined,
    participants,
  };
}
