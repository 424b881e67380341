import type { Actor } from '../../platform/access.js';
import type { Db } from '../../platform/database/index.js';
import { ForbiddenError, NotFoundError } from '../../platform/errors.js';
import type { AppointmentDto, SchedulingServices } from '../scheduling/index.js';
import type { ReportsService } from '../reports/index.js';
import type { AuditService, RequestMeta } from '../audit/index.js';
import type { MedicalServices } from '../medical/index.js';
import type { AssistantsRepository } from './assistants.repository.js';
import { followUpRequest } from './nlu/follow-up.js';
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
/** How far back follow-up requests are looked for (a yearly recall written 13 months ago is still found). */
const FOLLOW_UP_LOOKBACK_DAYS = 400;
const MAX_FOLLOW_UP_PATIENTS = 200;

export interface OverdueFollowUp {
  patient_id: string;
  patient_name: string;
  /** Title of the note that asked for the follow-up. */
  title: string;
  written_at: string;
  due_at: string;
  /** The words the interval was read from ("review in 2 weeks"). */
  phrase: string;
}
/** How long the doctor directory (public data) is reused for name matching before it is read again. */
const DIRECTORY_TTL_MS = 60_000;

/**
 * How long a user's time zone is reused. A turn read it from the database every time (one of the
 * reply's four round trips, docs/ASSISTANTS.md "Performance"); a profile's zone rarely changes, and
 * a change reaches the assistant within this time.
 */
const ZONE_TTL_MS = 30_000;
const MAX_ZONES = 10_000;

export class AssistantActions {
  constructor(private readonly deps: ActionDeps) {}

  private readonly zones = new Map<string, { at: number; zone: string }>();

  async zoneOf(userId: string): Promise<string> {
    const now = Date.now();
    const cached = this.zones.get(userId);
    if (cached && now - cached.at < ZONE_TTL_MS) return cached.zone;
    const zone = (await this.deps.timeZoneOf(userId)) ?? 'UTC';
    // Bounded: the oldest entry (Map keeps insertion order) goes first.
    this.zones.delete(userId);
    if (this.zones.size >= MAX_ZONES) this.zones.delete(this.zones.keys().next().value!);
    this.zones.set(userId, { at: now, zone });
    return zone;
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

  /**
   * Overdue follow-ups of the doctor's patients (docs/ASSISTANTS.md "Overdue follow-ups"): the
   * latest follow-up the doctor asked for in their own notes (nlu/follow-up.ts reads "review in
   * 2 weeks", "f/u 2/52"), due before `now`, with no appointment with this doctor (not cancelled)
   * since the note was written. Everything is read through the public services with the doctor's
   * actor: the appointment list (the doctor's own schedule; audited here as the REST read is) and
   * each patient's records (the records service checks the care relationship — a patient whose
   * care ended is skipped — and audits the read).
   */
  async overdueFollowUps(meta: RequestMeta, now: Date): Promise<OverdueFollowUp[]> {
    const since = new Date(now.getTime() - FOLLOW_UP_LOOKBACK_DAYS * 86_400_000);
    const appointments: AppointmentDto[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const result = await this.deps.scheduling.appointments.list(meta.actor, {
        from: since.toISOString(),
        sort: '-start',
        limit: 100,
        ...(cursor && { cursor }),
      });
      appointments.push(...result.items);
      cursor = result.next_cursor ?? undefined;
      if (!cursor) break;
    }
    await this.auditAppointments(meta, appointments, 'list');
    const patients = new Map<string, string>();
    for (const a of appointments)
      if (a.status !== 'cancelled' && a.doctor_id === meta.actor.id && !patients.has(a.patient_id)) patients.set(a.patient_id, a.patient_name);
    const ids = [...patients.keys()].slice(0, MAX_FOLLOW_UP_PATIENTS);
    const overdue: OverdueFollowUp[] = [];
    // A few patients at a time: one records read (and one audit row) per patient.
    for (let i = 0; i < ids.length; i += 5) {
      const batch = ids.slice(i, i + 5);
      const pages = await Promise.all(
        batch.map((patientId) =>
          this.deps.medical.records.list(meta, { patient_id: patientId, from: since.toISOString(), limit: 20 } as never).catch((err: unknown) => {
            // The care relationship ended since the appointment: not this doctor's patient any more.
            if (err instanceof NotFoundError || err instanceof ForbiddenError) return { items: [] };
            throw err;
          }),
        ),
      );
      batch.forEach((patientId, j) => {
        const records = (pages[j]!.items as { author_id: string; title: string; content: string; created_at: string; appointment_id: string | null }[])
          .filter((r) => r.author_id === meta.actor.id)
          .sort((a, b) => b.created_at.localeCompare(a.created_at));
        // The latest note that asks for a follow-up is the plan in force.
        for (const record of records) {
          const request = followUpRequest(`${record.title}. ${record.content}`);
          if (!request) continue;
          const written = Date.parse(record.created_at);
          const due = written + request.days * 86_400_000;
          const seenSince = appointments.some(
            (a) =>
              a.patient_id === patientId &&
              a.doctor_id === meta.actor.id &&
              a.status !== 'cancelled' &&
              a.id !== record.appointment_id &&
              Date.parse(a.start) > written,
          );
          if (due < now.getTime() && !seenSince)
            overdue.push({
              patient_id: patientId,
              patient_name: patients.get(patientId)!,
              title: record.title,
              written_at: record.created_at,
              due_at: new Date(due).toISOString(),
              phrase: request.phrase,
            });
          break;
        }
      });
    }
    return overdue.sort((a, b) => a.due_at.localeCompare(b.due_at));
  }

  async emergencyFlags(patientIds: string[], since: Date) {
    return this.deps.repository.recentEmergencyFlags(this.deps.db, patientIds, since);
  }
}
