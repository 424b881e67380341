import type { Db } from '../../platform/database/index.js';
import { isExclusionViolation } from '../../platform/database/index.js';
import type { Actor } from '../../platform/access.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { ProfilesRepository } from './profiles.repository.js';
import type { SlotRow, SlotsRepository } from './slots.repository.js';
import type { CreateSlotBody, OwnSlotsQuery, PublicSlotsQuery, SlotDto, SlotsRangeBody } from './scheduling.schemas.js';
import { parseTimeFilters } from '../../platform/http/time-filter.js';
import { daysBetween, generateRangeSlots, localIso, parseInstant, requireTimeZone, todayIn } from './time.js';

const DAY_MS = 86_400_000;
/** How far ahead availability may be published. */
export const MAX_AHEAD_DAYS = 366;
/** Longest date span one slots-range request may cover. */
export const MAX_RANGE_DAYS = 92;
const MAX_RANGE_SLOTS = 5000;
const WEEKDAYS: Record<string, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };

export function toSlotDto(row: SlotRow, zone: string): SlotDto {
  return {
    id: row.id,
    doctor_id: row.doctor_id,
    start: iso(row.start_at),
    end: iso(row.end_at),
    state: row.status,
    time_zone: zone,
    start_local: localIso(row.start_at, zone),
    end_local: localIso(row.end_at, zone),
  };
}

/** A doctor's availability: single slots, generated ranges, listing and removal. */
export class SlotsService {
  constructor(
    private readonly db: Db,
    private readonly slots: SlotsRepository,
    private readonly profiles: ProfilesRepository,
  ) {}

  private async doctorSettings(doctorId: string) {
    const row = await this.profiles.findDoctor(this.db, doctorId);
    return {
      timeZone: row?.time_zone ?? row?.user_time_zone ?? 'UTC',
      slotMinutes: row?.default_slot_minutes ?? 30,
      bufferMinutes: row?.buffer_minutes ?? 0,
    };
  }

  async create(actor: Actor, body: CreateSlotBody): Promise<SlotDto> {
    const settings = await this.doctorSettings(actor.id);
    const start = parseInstant(body.start, '/start');
    if (body.end !== undefined && body.duration_minutes !== undefined) {
      throw new ValidationError('Give either end or duration_minutes, not both.', [{ path: '/end', message: 'conflicts with duration_minutes' }]);
    }
    const end = body.end !== undefined ? parseInstant(body.end, '/end') : new Date(start.getTime() + (body.duration_minutes ?? settings.slotMinutes) * 60_000);
    if (end <= start) throw new ValidationError('The slot must end after it starts.', [{ path: '/end', message: 'must be after start' }]);
    if (end.getTime() - start.getTime() > 8 * 3600_000)
      throw new ValidationError('A slot may last at most 8 hours.', [{ path: '/end', message: 'at most 8 hours after start' }]);
    if (start.getTime() < Date.now()) throw new ValidationError('The slot starts in the past.', [{ path: '/start', message: 'must be in the future' }]);
    if (start.getTime() > Date.now() + MAX_AHEAD_DAYS * DAY_MS)
      throw new ValidationError(`Slots can be published at most ${MAX_AHEAD_DAYS} days ahead.`, [{ path: '/start', message: 'too far in the future' }]);
    try {
      const row = await this.slots.insert(this.db, actor.id, start, end, body.state ?? 'free');
      return toSlotDto(row, settings.timeZone);
    } catch (err) {
      if (isExclusionViolation(err, 'slots_no_overlap')) throw new ConflictError('This slot overlaps one of your existing slots.', 'slot-overlap');
      throw err;
    }
  }

  async createRange(actor: Actor, body: SlotsRangeBody) {
    const settings = await this.doctorSettings(actor.id);
    const timeZone = requireTimeZone(body.time_zone ?? settings.timeZone, '/time_zone');
    if (body.end_date < body.start_date)
      throw new ValidationError('end_date is before start_date.', [{ path: '/end_date', message: 'must not be before start_date' }]);
    if (daysBetween(body.start_date, body.end_date) >= MAX_RANGE_DAYS) {
      throw new ValidationError(`One request may cover at most ${MAX_RANGE_DAYS} days; split longer periods.`, [
        { path: '/end_date', message: `at most ${MAX_RANGE_DAYS} days after start_date` },
      ]);
    }
    const today = todayIn(timeZone);
    if (body.start_date < today)
      throw new ValidationError('start_date is in the past.', [{ path: '/start_date', message: `must be ${today} or later in ${timeZone}` }]);
    if (daysBetween(today, body.end_date) > MAX_AHEAD_DAYS)
      throw new ValidationError(`Slots can be published at most ${MAX_AHEAD_DAYS} days ahead.`, [{ path: '/end_date', message: 'too far in the future' }]);
    if (body.day_end <= body.day_start)
      throw new ValidationError('day_end must be after day_start.', [{ path: '/day_end', message: 'must be after day_start' }]);
    for (const [i, b] of (body.breaks ?? []).entries()) {
      if (b.end <= b.start) throw new ValidationError('A break must end after it starts.', [{ path: `/breaks/${i}/end`, message: 'must be after start' }]);
    }
    const days = [...new Set((body.days_of_week ?? [1, 2, 3, 4, 5]).map((d) => (typeof d === 'number' ? d : WEEKDAYS[d]!)))];
    const candidates = generateRangeSlots({
      startDate: body.start_date,
      endDate: body.end_date,
      daysOfWeek: days,
      dayStart: body.day_start,
      dayEnd: body.day_end,
      slotMinutes: body.slot_minutes ?? settings.slotMinutes,
      breakMinutes: body.break_minutes ?? settings.bufferMinutes,
      breaks: body.breaks ?? [],
      timeZone,
    });
    if (candidates.length > MAX_RANGE_SLOTS)
      throw new ValidationError(`That would create ${candidates.length} slots; at most ${MAX_RANGE_SLOTS} per request.`, [
        { path: '/end_date', message: 'range too large' },
      ]);
    const now = Date.now();
    const future = candidates.filter((c) => c.start.getTime() > now);
    const created = await this.slots.insertMany(this.db, actor.id, future);
    created.sort((a, b) => a.start_at.getTime() - b.start_at.getTime());
    return { created: created.length, skipped: candidates.length - created.length, items: created.map((row) => toSlotDto(row, settings.timeZone)) };
  }

  async listOwn(actor: Actor, query: OwnSlotsQuery) {
    const settings = await this.doctorSettings(actor.id);
    const limit = query.limit ?? 20;
    const { from, to } = await parseTimeFilters(
      { from: { value: query.from, bound: 'start' }, to: { value: query.to, bound: 'end' } },
      query.tz,
      async () => settings.timeZone,
    );
    const rows = await this.slots.listOwn(this.db, actor.id, {
      from,
      to,
      state: query.state,
      after: decodeCursor(query.cursor),
      limit,
    });
    return toPage(
      rows,
      limit,
      (row) => iso(row.start_at),
      (row) => toSlotDto(row, settings.timeZone),
    );
  }

  async remove(actor: Actor, slotId: string): Promise<void> {
    const deleted = await this.slots.deleteUnbooked(this.db, actor.id, slotId);
    if (deleted) return;
    const slot = await this.slots.findLive(this.db, slotId);
    if (!slot || slot.doctor_id !== actor.id) throw new NotFoundError('Slot');
    throw new ConflictError('This slot is booked; cancel or reschedule the appointment first.', 'slot-booked');
  }

  /**
   * Free slots of an active doctor in [from, to) (default: the next 14 days), a page at a
   * time like every list. Plain dates are days in `tz`, else the caller's profile zone
   * (`callerId`), else the doctor's zone.
   */
  async listFree(doctorId: string, query: PublicSlotsQuery, callerId: string | null = null) {
    const doctor = await this.profiles.findDoctor(this.db, doctorId);
    if (!doctor || doctor.status !== 'active') throw new NotFoundError('Doctor');
    const zone = doctor.time_zone ?? doctor.user_time_zone ?? 'UTC';
    const filters = await parseTimeFilters({ from: { value: query.from, bound: 'start' }, to: { value: query.to, bound: 'end' } }, query.tz, async () =>
      callerId ? this.profiles.timeZoneOf(this.db, callerId) : zone,
    );
    const now = new Date();
    const requestedFrom = filters.from ?? now;
    const to = filters.to ?? new Date(requestedFrom.getTime() + 14 * DAY_MS);
    if (to <= requestedFrom) throw new ValidationError('to must be after from.', [{ path: '/to', message: 'must be after from' }]);
    if (to.getTime() - requestedFrom.getTime() > MAX_RANGE_DAYS * DAY_MS)
      throw new ValidationError(`The window may span at most ${MAX_RANGE_DAYS} days.`, [{ path: '/to', message: 'window too long' }]);
    const from = requestedFrom < now ? now : requestedFrom;
    const limit = query.limit ?? 20;
    const rows = await this.slots.listFree(this.db, doctorId, { from, to, after: decodeCursor(query.cursor), limit });
    return toPage(
      rows,
      limit,
      (row) => iso(row.start_at),
      (row) => toSlotDto(row, zone),
    );
  }
}
