import type { Db, Tx } from '../../platform/database/index.js';
import { isExclusionViolation, isUniqueViolation } from '../../platform/database/index.js';
import type { Actor, CareRelationships } from '../../platform/access.js';
import type { EventBus } from '../../platform/events.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, AppError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { AppointmentRow, AppointmentsRepository, BookValues } from './appointments.repository.js';
import type { ProfilesRepository } from './profiles.repository.js';
import type { WaitlistOffer, WaitlistService } from './waitlist.service.js';
import type { AppointmentStatus } from './scheduling.tables.js';
import type { AppointmentDto, AppointmentListQuery, BookBody, PatchAppointmentBody, RequestBody, StatusBody } from './scheduling.schemas.js';
import { parseInstant } from './time.js';
import { parseTimeFilters } from '../../platform/http/time-filter.js';

/** Payload of every `appointment.*` domain event (published after commit). */
export interface AppointmentEvent {
  appointmentId: string;
  slotId: string;
  doctorId: string;
  patientId: string;
  start: string;
  end: string;
  type: string;
  status: AppointmentStatus;
  /** Who caused the event. */
  actorId: string;
}
export interface AppointmentCancelledEvent extends AppointmentEvent {
  reason: string;
}
export interface AppointmentRescheduledEvent extends AppointmentEvent {
  previous: { slotId: string; start: string; end: string };
}
export interface AppointmentStatusChangedEvent extends AppointmentEvent {
  from: AppointmentStatus;
  to: AppointmentStatus;
}

export const APPOINTMENT_EVENTS = {
  booked: 'appointment.booked',
  cancelled: 'appointment.cancelled',
  rescheduled: 'appointment.rescheduled',
  statusChanged: 'appointment.status_changed',
} as const;

export function toAppointmentDto(row: AppointmentRow): AppointmentDto {
  return {
    id: row.id,
    slot_id: row.slot_id,
    doctor_id: row.doctor_id,
    patient_id: row.patient_id,
    doctor_name: row.doctor_name,
    patient_name: row.patient_name,
    start: iso(row.start_at),
    end: iso(row.end_at),
    type: row.type,
    status: row.status,
    reason: row.reason,
    notes: row.notes,
    cancel_reason: row.cancel_reason,
    cancelled_by: row.cancelled_by,
    cancelled_at: row.cancelled_at ? iso(row.cancelled_at) : null,
    reschedule_count: row.reschedule_count,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

function eventOf(row: AppointmentRow, actorId: string): AppointmentEvent {
  return {
    appointmentId: row.id,
    slotId: row.slot_id,
    doctorId: row.doctor_id,
    patientId: row.patient_id,
    start: iso(row.start_at),
    end: iso(row.end_at),
    type: row.type,
    status: row.status,
    actorId,
  };
}

type Party = 'doctor' | 'patient' | 'staff';
/** The lifecycle of docs/API.md §2. `when` is checked against the appointment's start. */
const TRANSITIONS: Partial<
  Record<AppointmentStatus, { from: AppointmentStatus[]; who: Party[]; when?: 'before_start' | 'after_start' | 'from_15_min_before' }>
> = {
  confirmed: { from: ['scheduled'], who: ['doctor', 'staff'], when: 'before_start' },
  in_progress: { from: ['scheduled', 'confirmed'], who: ['doctor'], when: 'from_15_min_before' },
  completed: { from: ['in_progress'], who: ['doctor'] },
  cancelled: { from: ['scheduled', 'confirmed'], who: ['doctor', 'patient', 'staff'], when: 'before_start' },
  no_show: { from: ['scheduled', 'confirmed'], who: ['doctor'], when: 'after_start' },
};

const BOOKABLE_SLOT_ERRORS = {
  taken: () => new ConflictError('This slot is no longer available.', 'slot-taken'),
};

/** Booking, lifecycle, reschedule and listing of appointments. */
export class AppointmentsService {
  constructor(
    private readonly db: Db,
    private readonly appointments: AppointmentsRepository,
    private readonly profiles: ProfilesRepository,
    private readonly waitlist: WaitlistService,
    private readonly care: CareRelationships,
    private readonly events: EventBus,
  ) {}

  private partyOf(actor: Actor, row: AppointmentRow): Party | null {
    if (actor.role === 'patient') return row.patient_id === actor.id ? 'patient' : null;
    if (actor.role === 'doctor') return row.doctor_id === actor.id ? 'doctor' : null;
    return 'staff';
  }

  /** The appointment if the caller is a party or clinic staff; otherwise 404 (existence is private). */
  async getVisible(actor: Actor, id: string): Promise<AppointmentRow> {
    const row = await this.appointments.findById(this.db, id);
    if (!row || !this.partyOf(actor, row)) throw new NotFoundError('Appointment');
    return row;
  }

  async get(actor: Actor, id: string): Promise<AppointmentDto> {
    return toAppointmentDto(await this.getVisible(actor, id));
  }

  /** Who the appointment is for: patients book for themselves; staff name the patient. */
  private async resolvePatient(actor: Actor, patientId: string | undefined, ownSlot: boolean): Promise<string> {
    if (actor.role === 'patient') {
      if (patientId && patientId !== actor.id) throw new ForbiddenError('Patients can only book appointments for themselves.');
      return actor.id;
    }
    if (actor.role === 'doctor' && ownSlot && !patientId) {
      throw new AppError(
        422,
        'Unprocessable Content',
        'You cannot book your own slot for yourself; give the patient_id of the patient you are booking for.',
        [{ path: '/patient_id', message: 'required when booking your own slot' }],
        'own-slot',
      );
    }
    if (!patientId) throw new ValidationError('Staff booking for a patient must give patient_id.', [{ path: '/patient_id', message: 'is required' }]);
    const patient = await this.profiles.userRoleStatus(this.db, patientId);
    if (!patient || patient.role !== 'patient' || patient.status !== 'active') throw new NotFoundError('Patient');
    if (actor.role === 'doctor' && !(await this.care.canAccessPatient(this.db, actor, patientId))) throw new NotFoundError('Patient');
    // A booking is a care relationship for the slot's doctor (docs/SECURITY.md). A doctor books
    // follow-ups into their own slots only: a booking into a colleague's slot would open the
    // patient's whole chart to that colleague on the first doctor's word alone. A referral is
    // the patient's booking or the clinic's (a nurse or admin books, or sets up a room).
    if (actor.role === 'doctor' && !ownSlot)
      throw new AppError(
        403,
        'Forbidden',
        'Doctors book their own slots only. To refer a patient to a colleague, ask the patient to book, or the clinic staff (a nurse or admin) to book for them.',
        undefined,
        'referral-via-clinic',
      );
    return patientId;
  }

  async book(actor: Actor, body: BookBody): Promise<AppointmentDto> {
    let target: { slotId: string } | { doctorId: string; start: Date };
    if (body.slot_id) {
      if (body.doctor_id || body.start)
        throw new ValidationError('Give either slot_id, or doctor_id and start — not both.', [{ path: '/slot_id', message: 'conflicts with doctor_id/start' }]);
      target = { slotId: body.slot_id };
    } else if (body.doctor_id && body.start) {
      target = { doctorId: body.doctor_id, start: parseInstant(body.start, '/start') };
    } else {
      throw new ValidationError('Give slot_id, or doctor_id and start.', [{ path: body.doctor_id ? '/start' : '/slot_id', message: 'is required' }]);
    }
    let ownSlot = false;
    if (actor.role === 'doctor') {
      const slot = await this.appointments.diagnoseSlot(this.db, target);
      ownSlot = slot?.doctor_id === actor.id || ('doctorId' in target && target.doctorId === actor.id);
    }
    const patientId = await this.resolvePatient(actor, body.patient_id, ownSlot);
    const values: BookValues = { patientId, bookedBy: actor.id, type: body.type ?? 'video', reason: body.reason ?? null };
    const row = await this.mapBookingErrors(() => this.bookAndAnnounce(actor.id, (trx) => this.appointments.book(trx, target, values)));
    if (!row) throw await this.whyNotBookable(target);
    await this.events.publish(APPOINTMENT_EVENTS.booked, eventOf(row, actor.id));
    return toAppointmentDto(row);
  }

  /** Seed 004: book the earliest free slot of a doctor or specialty after a time. */
  async requestEarliest(actor: Actor, body: RequestBody): Promise<AppointmentDto> {
    if (!body.doctor_id && !body.specialty)
      throw new ValidationError('Give a specialty or a doctor_id.', [{ path: '/specialty', message: 'specialty or doctor_id is required' }]);
    if (body.doctor_id) {
      const doctor = await this.profiles.findDoctor(this.db, body.doctor_id);
      if (!doctor || doctor.status !== 'active') throw new NotFoundError('Doctor');
    }
    const after = body.after ? parseInstant(body.after, '/after') : new Date();
    const values: BookValues = { patientId: actor.id, bookedBy: actor.id, type: body.type ?? 'video', reason: body.reason ?? null };
    const row = await this.mapBookingErrors(() =>
      this.bookAndAnnounce(actor.id, (trx) => this.appointments.bookEarliest(trx, { doctorId: body.doctor_id, specialty: body.specialty, after }, values)),
    );
    if (!row) throw new NotFoundError('Free slot', 'No free slot matches that doctor or specialty after the given time.');
    await this.events.publish(APPOINTMENT_EVENTS.booked, eventOf(row, actor.id));
    return toAppointmentDto(row);
  }

  /**
   * The booking statement and the transactional `appointment.booked` subscribers (the
   * notifications area schedules reminders there) commit together: no reminder for a
   * booking that rolled back, no booking without its reminders.
   */
  private bookAndAnnounce(actorId: string, book: (trx: Tx) => Promise<AppointmentRow | undefined>): Promise<AppointmentRow | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await book(trx);
      if (row) await this.events.publishInTransaction(trx, APPOINTMENT_EVENTS.booked, eventOf(row, actorId));
      return row;
    });
  }

  private async mapBookingErrors<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (isExclusionViolation(err, 'appointments_patient_no_overlap'))
        throw new ConflictError('The patient already has an appointment at that time.', 'patient-busy');
      if (isUniqueViolation(err, 'appointments_one_per_slot')) throw BOOKABLE_SLOT_ERRORS.taken();
      throw err;
    }
  }

  /** After a booking statement matched nothing: the specific reason, as a 4xx. */
  private async whyNotBookable(target: { slotId: string } | { doctorId: string; start: Date }): Promise<AppError> {
    const slot = await this.appointments.diagnoseSlot(this.db, target);
    if (!slot) {
      if ('doctorId' in target) {
        const doctor = await this.profiles.findDoctor(this.db, target.doctorId);
        if (!doctor || doctor.status !== 'active') return new NotFoundError('Doctor');
        if (target.start.getTime() <= Date.now())
          return new ValidationError('That time is in the past.', [{ path: '/start', message: 'must be in the future' }]);
        return new NotFoundError('Slot', 'This doctor has no slot starting at that time.');
      }
      return new NotFoundError('Slot');
    }
    if (slot.doctor_status !== 'active') {
      return new AppError(
        422,
        'Unprocessable Content',
        "This doctor's account is not approved or not active; their slots cannot be booked.",
        undefined,
        'doctor-not-bookable',
      );
    }
    if (slot.start_at.getTime() <= Date.now())
      return new AppError(
        422,
        'Unprocessable Content',
        'This slot has already started.',
        [{ path: '/slot_id', message: 'slot is in the past' }],
        'slot-in-past',
      );
    return BOOKABLE_SLOT_ERRORS.taken();
  }

  async list(actor: Actor, query: AppointmentListQuery) {
    const limit = query.limit ?? 20;
    const descending = query.sort === '-start';
    const { from, to } = await parseTimeFilters({ from: { value: query.from, bound: 'start' }, to: { value: query.to, bound: 'end' } }, query.tz, () =>
      this.profiles.timeZoneOf(this.db, actor.id),
    );
    const rows = await this.appointments.list(this.db, {
      doctorId: actor.role === 'doctor' ? actor.id : query.doctor_id,
      patientId: actor.role === 'patient' ? actor.id : query.patient_id,
      ...(actor.role === 'doctor' && query.doctor_id && query.doctor_id !== actor.id && { doctorId: '00000000-0000-0000-0000-000000000000' }),
      ...(actor.role === 'patient' && query.patient_id && query.patient_id !== actor.id && { patientId: '00000000-0000-0000-0000-000000000000' }),
      status: query.status,
      type: query.type,
      from,
      to,
      descending,
      after: decodeCursor(query.cursor),
      limit,
    });
    return toPage(rows, limit, (row) => iso(row.start_at), toAppointmentDto);
  }

  async patch(actor: Actor, id: string, body: PatchAppointmentBody): Promise<AppointmentDto> {
    const row = await this.getVisible(actor, id);
    if (body.notes !== undefined && actor.role === 'patient') throw new ForbiddenError('Notes are written by the clinic; patients can change the reason.');
    await this.appointments.update(this.db, row.id, {
      ...(body.reason !== undefined && { reason: body.reason }),
      ...(body.notes !== undefined && { notes: body.notes }),
    });
    return this.get(actor, id);
  }

  /**
   * `expectedUpdatedAt`: the change is made only if the appointment was last changed then (FHIR PUT
   * with If-Match, src/modules/fhir): checked under the row lock below, so it is optimistic locking, not a race.
   */
  async changeStatus(actor: Actor, id: string, body: StatusBody, options: { expectedUpdatedAt?: Date } = {}): Promise<AppointmentDto> {
    const visible = await this.getVisible(actor, id);
    const party = this.partyOf(actor, visible)!;
    const rule = TRANSITIONS[body.status];
    if (!rule) throw new ConflictError(`An appointment cannot be moved to ${body.status}.`, 'illegal-transition');
    if (!rule.who.includes(party)) throw new ForbiddenError(`The ${party === 'staff' ? actor.role : party} of an appointment cannot set it to ${body.status}.`);
    if (body.status === 'cancelled' && !body.reason)
      throw new ValidationError('A cancellation needs a reason.', [{ path: '/reason', message: 'is required when cancelling' }]);

    let offer: WaitlistOffer | null = null;
    const updated = await this.db.transaction().execute(async (trx) => {
      const row = await this.appointments.findById(trx, id, true);
      if (!row) throw new NotFoundError('Appointment');
      if (options.expectedUpdatedAt && row.updated_at.getTime() !== options.expectedUpdatedAt.getTime())
        throw new AppError(
          412,
          'Precondition Failed',
          'The appointment has changed since that version was read; read it again.',
          undefined,
          'version-mismatch',
        );
      if (!rule.from.includes(row.status)) throw new ConflictError(`A ${row.status} appointment cannot become ${body.status}.`, 'illegal-transition');
      const now = Date.now();
      const start = row.start_at.getTime();
      if (rule.when === 'before_start' && now >= start)
        throw new ConflictError(`The appointment has already started; it can no longer be ${body.status}.`, 'illegal-transition');
      if (rule.when === 'after_start' && now < start) throw new ConflictError('A no-show can only be recorded after the start time.', 'illegal-transition');
      if (rule.when === 'from_15_min_before' && now < start - 15 * 60_000)
        throw new ConflictError('A consultation can start at most 15 minutes early.', 'illegal-transition');
      await this.appointments.update(
        trx,
        row.id,
        body.status === 'cancelled'
          ? { status: 'cancelled', cancel_reason: body.reason ?? null, cancelled_by: actor.id, cancelled_at: new Date() }
          : { status: body.status },
        [row.status],
      );
      if (body.status === 'cancelled') {
        // The doctor's own cancellation means the time is not available (the slot is blocked;
        // they may delete it). Otherwise the slot is free again and goes to the waitlist first.
        if (party === 'doctor') {
          await this.appointments.setSlotState(trx, row.slot_id, 'blocked');
        } else {
          await this.appointments.setSlotState(trx, row.slot_id, 'free');
          offer = await this.waitlist.offerFreedSlot(
            trx,
            { id: row.slot_id, doctor_id: row.doctor_id, start_at: row.start_at, end_at: row.end_at },
            row.patient_id,
          );
          // The offer's notification is written by the notifications area in this transaction.
          if (offer) await this.events.publishInTransaction(trx, 'waitlist.offered', offer);
        }
      }
      const after = (await this.appointments.findById(trx, id))!;
      // Reminders are cancelled (or kept) in this same transaction (docs/NOTIFICATIONS.md).
      const inTx = eventOf(after, actor.id);
      if (body.status === 'cancelled')
        await this.events.publishInTransaction(trx, APPOINTMENT_EVENTS.cancelled, { ...inTx, reason: body.reason! } satisfies AppointmentCancelledEvent);
      else
        await this.events.publishInTransaction(trx, APPOINTMENT_EVENTS.statusChanged, {
          ...inTx,
          from: row.status,
          to: body.status,
        } satisfies AppointmentStatusChangedEvent);
      return { before: row, after };
    });
    const event = eventOf(updated.after, actor.id);
    if (body.status === 'cancelled') {
      await this.events.publish(APPOINTMENT_EVENTS.cancelled, { ...event, reason: body.reason! } satisfies AppointmentCancelledEvent);
    } else {
      await this.events.publish(APPOINTMENT_EVENTS.statusChanged, {
        ...event,
        from: updated.before.status,
        to: body.status,
      } satisfies AppointmentStatusChangedEvent);
    }
    return toAppointmentDto(updated.after);
  }

  /**
   * Moves an appointment to another free slot of the same doctor, atomically: in one
   * transaction the new slot is taken first (conditional update, so it is never double
   * booked), then the appointment points at it, then the old slot is released (and offered to the
   * waitlist). Any failure
   * rolls back everything — never both slots lost, never both held.
   */
  async reschedule(actor: Actor, id: string, newSlotId: string): Promise<AppointmentDto> {
    const visible = await this.getVisible(actor, id);
    if (visible.slot_id === newSlotId)
      throw new ValidationError('That is already the appointment’s slot.', [{ path: '/slot_id', message: 'must be a different slot' }]);
    const result = await this.db
      .transaction()
      .execute(async (trx) => {
        const row = await this.appointments.findById(trx, id, true);
        if (!row) throw new NotFoundError('Appointment');
        if (!['scheduled', 'confirmed'].includes(row.status))
          throw new ConflictError(`A ${row.status} appointment cannot be rescheduled.`, 'illegal-transition');
        if (row.start_at.getTime() <= Date.now())
          throw new ConflictError('The appointment has already started; it can no longer be rescheduled.', 'illegal-transition');
        const taken = await this.appointments.takeSlot(trx, newSlotId, row.doctor_id);
        if (!taken) {
          const slot = await this.appointments.diagnoseSlot(trx, { slotId: newSlotId });
          if (!slot) throw new NotFoundError('Slot');
          if (slot.doctor_id !== row.doctor_id)
            throw new ValidationError('Choose a slot of the same doctor; to change doctor, cancel and book anew.', [
              { path: '/slot_id', message: 'belongs to another doctor' },
            ]);
          if (slot.start_at.getTime() <= Date.now())
            throw new AppError(
              422,
              'Unprocessable Content',
              'This slot has already started.',
              [{ path: '/slot_id', message: 'slot is in the past' }],
              'slot-in-past',
            );
          throw BOOKABLE_SLOT_ERRORS.taken();
        }
        await this.appointments.update(
          trx,
          row.id,
          { slot_id: taken.id, start_at: taken.start_at, end_at: taken.end_at, status: 'scheduled', bumpReschedule: true },
          [row.status],
        );
        await this.appointments.setSlotState(trx, row.slot_id, 'free');
        const offer = await this.waitlist.offerFreedSlot(
          trx,
          { id: row.slot_id, doctor_id: row.doctor_id, start_at: row.start_at, end_at: row.end_at },
          row.patient_id,
        );
        // The offer's notification is written by the notifications area in this transaction.
        if (offer) await this.events.publishInTransaction(trx, 'waitlist.offered', offer);
        const after = (await this.appointments.findById(trx, id))!;
        // Reminders move to the new time in this same transaction (docs/NOTIFICATIONS.md).
        await this.events.publishInTransaction(trx, APPOINTMENT_EVENTS.rescheduled, {
          ...eventOf(after, actor.id),
          previous: { slotId: row.slot_id, start: iso(row.start_at), end: iso(row.end_at) },
        } satisfies AppointmentRescheduledEvent);
        return { before: row, after, offer };
      })
      .catch((err) => {
        if (isExclusionViolation(err, 'appointments_patient_no_overlap'))
          throw new ConflictError('The patient already has another appointment at that time.', 'patient-busy');
        if (isUniqueViolation(err, 'appointments_one_per_slot')) throw BOOKABLE_SLOT_ERRORS.taken();
        throw err;
      });
    await this.events.publish(APPOINTMENT_EVENTS.rescheduled, {
      ...eventOf(result.after, actor.id),
      previous: { slotId: result.before.slot_id, start: iso(result.before.start_at), end: iso(result.before.end_at) },
    } satisfies AppointmentRescheduledEvent);
    return toAppointmentDto(result.after);
  }
}
