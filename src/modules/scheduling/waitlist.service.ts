import { DateTime } from 'luxon';
import type { Db, Executor } from '../../platform/database/index.js';
import type { Actor } from '../../platform/access.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import { iso } from '../../platform/http/schemas.js';
import type { ProfilesRepository } from './profiles.repository.js';
import type { WaitlistRepository, WaitlistRow } from './waitlist.repository.js';
import type { JoinWaitlistBody, WaitlistEntryDto } from './scheduling.schemas.js';
import { MAX_RANGE_DAYS } from './slots.service.js';
import { daysBetween, requireTimeZone, todayIn } from './time.js';

function toDto(row: WaitlistRow): WaitlistEntryDto {
  return {
    id: row.id,
    patient_id: row.patient_id,
    doctor_id: row.doctor_id,
    specialty: row.specialty,
    from: iso(row.window_start),
    to: iso(row.window_end),
    type: row.type,
    status: row.status,
    offered_slot_id: row.offered_slot_id,
    created_at: iso(row.created_at),
  };
}

export interface WaitlistOffer {
  offerId: string;
  entryId: string;
  patientId: string;
  slotId: string;
  doctorId: string;
  start: string;
  end: string;
}

/**
 * Waitlist (issue item 5): a patient waits for a doctor or a specialty within a date range.
 * When a slot is freed by a cancellation, the oldest matching entry gets an offer; the caller
 * publishes `waitlist.offered` in the same transaction, and the notifications area writes the
 * patient's notification there (one in-app row, plus email and push per the patient's
 * preferences). The offer does not hold the slot: the
 * patient books it like any other (first come, first served).
 */
export class WaitlistService {
  constructor(
    private readonly db: Db,
    private readonly waitlist: WaitlistRepository,
    private readonly profiles: ProfilesRepository,
  ) {}

  async join(actor: Actor, body: JoinWaitlistBody): Promise<WaitlistEntryDto> {
    if (!body.doctor_id && !body.specialty)
      throw new ValidationError('Give a doctor_id or a specialty to wait for.', [{ path: '/doctor_id', message: 'doctor_id or specialty is required' }]);
    if (body.doctor_id) {
      const doctor = await this.profiles.findDoctor(this.db, body.doctor_id);
      if (!doctor || doctor.status !== 'active') throw new NotFoundError('Doctor');
    }
    const patient = await this.profiles.findPatient(this.db, actor.id);
    const zone = requireTimeZone(body.time_zone ?? patient?.time_zone ?? patient?.user_time_zone ?? 'UTC', '/time_zone');
    if (body.to_date < body.from_date)
      throw new ValidationError('to_date is before from_date.', [{ path: '/to_date', message: 'must not be before from_date' }]);
    if (body.to_date < todayIn(zone)) throw new ValidationError('The date range is in the past.', [{ path: '/to_date', message: 'must be today or later' }]);
    if (daysBetween(body.from_date, body.to_date) >= MAX_RANGE_DAYS)
      throw new ValidationError(`A waitlist range may span at most ${MAX_RANGE_DAYS} days.`, [{ path: '/to_date', message: 'range too long' }]);
    const row = await this.waitlist.insert(this.db, {
      patient_id: actor.id,
      doctor_id: body.doctor_id ?? null,
      specialty: body.doctor_id ? null : (body.specialty ?? null),
      window_start: DateTime.fromISO(body.from_date, { zone }).startOf('day').toJSDate(),
      window_end: DateTime.fromISO(body.to_date, { zone }).plus({ days: 1 }).startOf('day').toJSDate(),
      type: body.type ?? null,
    });
    return toDto(row);
  }

  async list(actor: Actor, limit: number) {
    const rows = await this.waitlist.list(this.db, {
      patientId: actor.role === 'patient' ? actor.id : undefined,
      doctorId: actor.role === 'doctor' ? actor.id : undefined,
      limit,
    });
    return { items: rows.map(toDto), next_cursor: null };
  }

  async leave(actor: Actor, id: string): Promise<void> {
    if (!(await this.waitlist.cancel(this.db, id, actor.id))) throw new NotFoundError('Waitlist entry');
  }

  /**
   * Called inside the cancelling transaction with the freed slot. Notifying the patient is
   * the notifications area's (through the `waitlist.offered` event the caller publishes in
   * this transaction), never a write to its table from here.
   */
  async offerFreedSlot(trx: Executor, slot: { id: string; doctor_id: string; start_at: Date; end_at: Date }, freedBy: string): Promise<WaitlistOffer | null> {
    const entry = await this.waitlist.firstMatch(trx, slot, freedBy);
    if (!entry) return null;
    const offerId = await this.waitlist.recordOffer(trx, entry.id, slot.id, entry.patient_id);
    return {
      offerId,
      entryId: entry.id,
      patientId: entry.patient_id,
      slotId: slot.id,
      doctorId: slot.doctor_id,
      start: iso(slot.start_at),
      end: iso(slot.end_at),
    };
  }
}
