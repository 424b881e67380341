import type { Actor } from '../../platform/access.js';
import type { Db } from '../../platform/database/index.js';
import type { AppointmentDto, SchedulingServices } from '../scheduling/index.js';
import type { ReportsService } from '../reports/index.js';
import type { AuditService, RequestMeta } from '../audit/index.js';
import type { MedicalServices } from '../medical/index.js';
import type { AssistantsRepository } from './assistants.repository.js';
import type { Person } from './nlu/index.js';

/**
 * The action layer: everything the assistants do goes through the same services — and so the
 * same permission checks, audit and events — as the REST API, with the caller's own actor.
 * Nothing here reads another module's tables. A service error (404, 409, 422) reaches the
 * dialogue as an AppError and becomes a plain reply.
 */
export interface SlotOption {
  slot_id: string;
  doctor_id: string;
  doctor_name: string;
  start: string;
  end: string;
}

export interface AppointmentOption {
  id: string;
  doctor_id: string;
  doctor_name: string;
  patient_name: string;
  start: string;
  status: string;
}

export interface ActionDeps {
  db: Db;
  scheduling: Pick<SchedulingServices, 'appointments' | 'slots' | 'profiles'>;
  medical: Pick<MedicalServices, 'prescriptions' | 'records'>;
  reports: ReportsService;
  audit: AuditService;
  repository: AssistantsRepository;
  timeZoneOf: (userId: string) => Promise<string | null>;
}

const MAX_DIRECTORY = 300;
/** How long the doctor directory (public data) is reused for name matching before it is read again. */
const DIRECTORY_TTL_MS = 60_000;

export class AssistantActions {
  constructor(private readonly deps: ActionDeps) {}

  async zoneOf(userId: string): Promise<string> {
    return (await this.deps.timeZoneOf(userId)) ?? 'UTC';
  }

  // ---- directory and slots ----

  async doctors(query: { specialty?: string; q?: string; limit?: number }) {
    const page = await this.deps.scheduling.profiles.listDoctors({
      ...(query.specialty && { specialty: query.specialty as never }),
      ...(query.q && { q: query.q }),
      limit: query.limit ?? 10,
    });
    return page.items;
  }

  private directoryCache: { at: number; people: Promise<Person[]> } | null = null;

  /**
   * Every active doctor's id and name (the directory is public): the list doctor names are matched
   * against. Read once a minute at most, not page by page on every message that might name a doctor;
   * a doctor who joins or leaves is matched (or not) within that minute.
   */
  async directory(): Promise<Person[]> {
    const cached = this.directoryCache;
    if (cached && Date.now() - cached.at < DIRECTORY_TTL_MS) return cached.people;
    const people = this.readDirectory();
    this.directoryCache = { at: Date.now(), people };
    people.catch(() => {
      if (this.directoryCache?.people === people) this.directoryCache = null;
    });
    return people;
  }

  private async readDirectory(): Promise<Person[]> {
    const people: Person[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.scheduling.profiles.listDoctors({ limit: 100, ...(cursor && { cursor }) });
      for (const d of page.items) people.push({ id: d.id, name: d.full_name });
      cursor = page.next_cursor ?? undefined;
    } while (cursor && people.length < MAX_DIRECTORY);
    return people;
  }

  /** Up to `limit` free slots in [from, to) of one doctor, or of the doctors of a specialty (earliest first). */
  async freeSlots(callerId: string, target: { doctorId?: string; specialty?: string }, from: Date, to: Date, limit = 3): Promise<SlotOption[]> {
    const doctors = target.doctorId
      ? [await this.deps.scheduling.profiles.getDoctor(target.doctorId)]
      : await this.doctors({ ...(target.specialty && { specialty: target.specialty }), limit: 20 });
    const window = { from: from.toISOString(), to: new Date(Math.min(to.getTime(), from.getTime() + 59 * 86_400_000)).toISOString(), limit };
    // One read per doctor, at the same time rather than one after another.
    const pages = await Promise.all(doctors.map((doctor) => this.deps.scheduling.slots.listFree(doctor.id, window, callerId)));
    const options: SlotOption[] = [];
    doctors.forEach((doctor, i) => {
      for (const slot of pages[i]!.items)
        options.push({ slot_id: slot.id, doctor_id: doctor.id, doctor_name: doctor.full_name, start: slot.start, end: slot.end });
    });
    options.sort((a, b) => a.start.localeCompare(b.start));
    return options.slice(0, limit);
  }

  // ---- appointments ----

  async book(meta: RequestMeta, slotId: string, reason: string | undefined): Promise<AppointmentDto> {
    const appointment = await this.deps.scheduling.appointments.book(meta.actor, { slot_id: slotId, ...(reason && { reason: reason.slice(0, 2000) }) });
    await this.auditAppointments(meta, [appointment], 'create');
    return appointment;
  }

  /** The caller's appointments in [from, to) (patient: own; doctor: own schedule), earliest first. */
  async appointments(
    meta: RequestMeta,
    range: { from?: string; to?: string; status?: AppointmentDto['status']; limit?: number; descending?: boolean },
  ): Promise<AppointmentDto[]> {
    const page = await this.deps.scheduling.appointments.list(meta.actor, {
      ...(range.from && { from: range.from }),
      ...(range.to && { to: range.to }),
      ...(range.status && { status: range.status }),
      ...(range.descending && { sort: '-start' as const }),
      limit: range.limit ?? 20,
    });
    await this.auditAppointments(meta, page.items, 'list');
    return page.items;
  }

  async upcoming(meta: RequestMeta): Promise<AppointmentDto[]> {
    const items = await this.appointments(meta, { from: new Date().toISOString(), limit: 20 });
    return items.filter((a) => a.status === 'scheduled' || a.status === 'confirmed');
  }

  async cancel(meta: RequestMeta, appointmentId: string): Promise<AppointmentDto> {
    const result = await this.deps.scheduling.appointments.changeStatus(meta.actor, appointmentId, {
      status: 'cancelled',
      reason: 'Cancelled through the assistant',
    });
    await this.auditAppointments(meta, [result], 'status_change');
    return result;
  }

  async reschedule(meta: RequestMeta, appointmentId: string, slotId: string): Promise<AppointmentDto> {
    const result = await this.deps.scheduling.appointments.reschedule(meta.actor, appointmentId, slotId);
    await this.auditAppointments(meta, [result], 'update');
    return result;
  }

  private async auditAppointments(meta: RequestMeta, items: AppointmentDto[], action: 'list' | 'read' | 'create' | 'update' | 'status_change'): Promise<void> {
    const patients = [...new Set(items.map((a) => a.patient_id))];
    if (!patients.length) return;
    await this.deps.audit.record(
      this.deps.db,
      meta,
      patients.map((patientId) => ({ patientId, resourceType: 'appointment', resourceId: null, action: action as never, details: { via: 'assistant' } })),
    );
  }

  // ---- clinical data (patient: own; doctor: own patients — the services check) ----

  async prescriptions(meta: RequestMeta, patientId?: string) {
    const page = await this.deps.medical.prescriptions.list(meta, { limit: 20, ...(patientId && { patient_id: patientId }) });
    return page.items;
  }

  async records(meta: RequestMeta, patientId?: string) {
    const page = await this.deps.medical.records.list(meta, { limit: 10, ...(patientId && { patient_id: patientId }) } as never);
    return page.items as {
      id: string;
      record_type: string;
      title: string;
      content: string;
      diagnoses?: { code?: string | null; text: string }[];
      created_at: string;
    }[];
  }

  async reports(meta: RequestMeta, patientId?: string) {
    const page = await this.deps.reports.list(meta, { limit: 10, ...(patientId && { patient_id: patientId }) });
    return page.items;
  }

  async report(meta: RequestMeta, id: string) {
    return this.deps.reports.get(meta, id);
  }

  async trend(meta: RequestMeta, patientId: string, name: string) {
    return this.deps.reports.trend(meta, patientId, { name, limit: 10 });
  }

  // ---- doctor ----

  /**
   * The doctor's patients: everyone they have or had a non-cancelled appointment with (from
   * their own schedule, through the appointments service), most recent first. Patients
   * linked only by client assignment or a shared chat room are not listed here (they can
   * still be named: the history and prescribing services check the care relationship).
   */
  async myPatients(meta: RequestMeta): Promise<Person[]> {
    const seen = new Map<string, Person>();
    const page = await this.deps.scheduling.appointments.list(meta.actor, { sort: '-start', limit: 100 });
    for (const a of page.items) if (a.status !== 'cancelled' && !seen.has(a.patient_id)) seen.set(a.patient_id, { id: a.patient_id, name: a.patient_name });
    return [...seen.values()];
  }

  async prescribe(
    meta: RequestMeta,
    body: {
      patient_id: string;
      items: { drug: string; dose: string; frequency: string; route?: string; duration_days?: number }[];
      confirm_warnings?: boolean;
    },
  ) {
    return this.deps.medical.prescriptions.create(meta, body);
  }

  async addRecord(
    meta: RequestMeta,
    body: { patient_id: string; record_type: 'diagnosis' | 'note'; title: string; content: string; diagnoses?: { text: string }[] },
  ) {
    return this.deps.medical.records.create(meta, body as never);
  }

  async block(actor: Actor, start: string, end: string) {
    const minutes = Math.round((Date.parse(end) - Date.parse(start)) / 60_000);
    return this.deps.scheduling.slots.create(actor, { start, duration_minutes: Math.max(5, Math.min(480, minutes)), state: 'blocked' });
  }

  async addAvailability(actor: Actor, input: { date: string; dayStart: string; dayEnd: string; zone: string; slotMinutes: number; weekday: number }) {
    return this.deps.scheduling.slots.createRange(actor, {
      start_date: input.date,
      end_date: input.date,
      days_of_week: [input.weekday],
      day_start: input.dayStart,
      day_end: input.dayEnd,
      slot_minutes: input.slotMinutes,
      time_zone: input.zone,
    } as never);
  }

  async emergencyFlags(patientIds: string[], since: Date) {
    return this.deps.repository.recentEmergencyFlags(this.deps.db, patientIds, since);
  }
}
