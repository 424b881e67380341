import { DateTime } from 'luxon';
import { ValidationError } from '../../platform/errors.js';
import { isValidTimeZone } from '../../platform/time.js';

/** RFC 3339 with an explicit offset: "2026-03-30T09:00:00+02:00" or "...Z". */
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Parses an input time. A time without an offset is ambiguous (whose 09:00?), so it is
 * refused with a 422 naming the field rather than guessed in the server's zone.
 */
export function parseInstant(value: string, path: string): Date {
  if (!INSTANT_RE.test(value)) {
    const hint = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)
      ? 'needs a UTC offset (e.g. "Z" or "+02:00")'
      : 'must be an RFC 3339 date-time with offset';
    throw new ValidationError(`${path.slice(1)} ${hint}.`, [{ path, message: hint }]);
  }
  const parsed = DateTime.fromISO(value, { setZone: true });
  if (!parsed.isValid) throw new ValidationError(`${path.slice(1)} is not a real date-time.`, [{ path, message: 'is not a valid date-time' }]);
  return parsed.toJSDate();
}

export function requireTimeZone(zone: string, path: string): string {
  if (!isValidTimeZone(zone) || !DateTime.now().setZone(zone).isValid) {
    throw new ValidationError(`Unknown time zone "${zone}"; use an IANA name such as "Europe/Berlin".`, [{ path, message: 'is not a known IANA time zone' }]);
  }
  return zone;
}

/** The instant shown in a zone, with its offset: "2026-03-30T09:00:00.000+02:00". */
export function localIso(date: Date, zone: string): string {
  return DateTime.fromJSDate(date, { zone }).toISO() ?? date.toISOString();
}

export interface RangeSpec {
  startDate: string;
  endDate: string;
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  daysOfWeek: number[];
  dayStart: string;
  dayEnd: string;
  slotMinutes: number;
  breakMinutes: number;
  breaks: { start: string; end: string }[];
  timeZone: string;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/**
 * Generates slot instants for a local-time window on each chosen day. Every slot start is
 * built from the local wall-clock time in the doctor's zone (never by adding 24 h to the
 * previous day), so 09:00 stays 09:00 local on both sides of a DST change. Local times
 * that don't exist (spring-forward gap) are skipped; slot length is real elapsed time.
 */
export function generateRangeSlots(spec: RangeSpec): { start: Date; end: Date }[] {
  const out: { start: Date; end: Date }[] = [];
  const first = DateTime.fromISO(spec.startDate, { zone: spec.timeZone });
  const last = DateTime.fromISO(spec.endDate, { zone: spec.timeZone });
  const windowStart = minutesOf(spec.dayStart);
  const windowEnd = minutesOf(spec.dayEnd);
  const breaks = spec.breaks.map((b) => ({ start: minutesOf(b.start), end: minutesOf(b.end) }));
  const step = spec.slotMinutes + spec.breakMinutes;
  for (let day = first; day <= last; day = day.plus({ days: 1 })) {
    if (!spec.daysOfWeek.includes(day.weekday)) continue;
    for (let m = windowStart; m + spec.slotMinutes <= windowEnd; m += step) {
      const slotEndMinute = m + spec.slotMinutes;
      if (breaks.some((b) => m < b.end && slotEndMinute > b.start)) continue;
      const start = DateTime.fromObject({ year: day.year, month: day.month, day: day.day, hour: Math.floor(m / 60), minute: m % 60 }, { zone: spec.timeZone });
      if (!start.isValid || start.hour !== Math.floor(m / 60) || start.minute !== m % 60) continue; // in a DST gap
      const end = start.plus({ minutes: spec.slotMinutes });
      out.push({ start: start.toJSDate(), end: end.toJSDate() });
    }
  }
  return out;
}

export function daysBetween(a: string, b: string): number {
  return DateTime.fromISO(b, { zone: 'UTC' }).diff(DateTime.fromISO(a, { zone: 'UTC' }), 'days').days;
}

export function todayIn(zone: string): string {
  return DateTime.now().setZone(zone).toISODate() ?? new Date().toISOString().slice(0, 10);
}
