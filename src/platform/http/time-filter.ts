import { DateTime } from 'luxon';
import { Type } from 'typebox';
import { ValidationError } from '../errors.js';
import { isValidTimeZone } from '../time.js';

/**
 * Date filters in query strings (`from`, `to`, `available_from`, …), the same way on every
 * list (docs/API.md §0, "Date filters"):
 *  - an RFC 3339 instant with an offset: `2026-12-07T09:00:00Z`, `2026-12-07T09:00:00%2B01:00`
 *    (in a URL, `+` must be sent as `%2B`: a bare `+` means a space);
 *  - or a plain date `YYYY-MM-DD`: that calendar day in the caller's time zone. As a lower
 *    bound it means the start of the day; as an upper bound (`to`), the end of the day, so
 *    `from=2026-12-07&to=2026-12-07` is the whole of 7 December.
 * The caller's time zone is the `tz` query parameter when given, otherwise the caller's
 * profile time zone (patient or doctor profile, else the account's), otherwise UTC.
 */
export const TimeFilter = Type.String({
  minLength: 1,
  maxLength: 40,
  description: 'YYYY-MM-DD (that day in `tz` or your profile time zone) or an RFC 3339 date-time with offset; in a URL write "+" as %2B',
});
export const TzParam = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'IANA time zone for plain dates in the filters (default: your profile time zone, else UTC)',
});

const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i;
/** "2026-12-07T09:00:00 01:00": the "+" of the offset arrived as a space (unencoded in a URL). */
const MANGLED_PLUS_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)? \d{2}:?\d{2}$/i;

export const PLUS_HINT = 'in a URL, write the "+" of an offset as %2B (a bare "+" arrives as a space)';

function invalid(path: string, message: string): never {
  const field = path.replace(/^\//, '');
  throw new ValidationError(`${field} ${message}.`, [{ path, message }]);
}

/** Checks a `tz` parameter or profile zone: an IANA name the runtime knows. */
export function requireZone(zone: string, path = '/tz'): string {
  if (!isValidTimeZone(zone) || !DateTime.now().setZone(zone).isValid) invalid(path, 'is not a known IANA time zone (e.g. Europe/Berlin)');
  return zone;
}

export type Bound = 'start' | 'end';

/** Whether a filter value is a plain date (and so needs the caller's time zone). */
export function isPlainDate(value: string): boolean {
  return DATE_RE.test(value.trim());
}

/**
 * Parses one date filter. `bound` says what a plain date stands for: the start of that day
 * (`start`) or the start of the next day (`end`, for exclusive upper bounds).
 */
export function parseTimeFilter(value: string, path: string, zone: string, bound: Bound = 'start'): Date {
  const text = value.trim();
  if (DATE_RE.test(text)) {
    const day = DateTime.fromISO(text, { zone });
    if (!day.isValid) invalid(path, 'is not a real date');
    return (bound === 'end' ? day.plus({ days: 1 }) : day).startOf('day').toJSDate();
  }
  if (INSTANT_RE.test(text)) {
    const parsed = DateTime.fromISO(text, { setZone: true });
    if (!parsed.isValid) invalid(path, 'is not a real date-time');
    return parsed.toJSDate();
  }
  if (MANGLED_PLUS_RE.test(value)) invalid(path, `has a space where its UTC offset's "+" should be: ${PLUS_HINT}`);
  if (LOCAL_RE.test(text)) invalid(path, `needs a UTC offset (e.g. "Z" or "%2B02:00"), or give a plain date YYYY-MM-DD`);
  invalid(path, `must be a date (YYYY-MM-DD) or an RFC 3339 date-time with offset, e.g. 2026-12-07T09:00:00Z; ${PLUS_HINT}`);
}

/**
 * Parses a set of filters, asking for the caller's time zone only when a plain date needs
 * it: `tz` if given, else `callerZone()` (the profile), else UTC.
 */
export async function parseTimeFilters<K extends string>(
  filters: Partial<Record<K, { value: string | undefined; bound: Bound }>>,
  tz: string | undefined,
  callerZone: () => Promise<string | null | undefined>,
): Promise<Partial<Record<K, Date>>> {
  const zoneOf = (() => {
    let zone: Promise<string> | undefined;
    return () => (zone ??= tz ? Promise.resolve(requireZone(tz)) : callerZone().then((z) => (z && isValidTimeZone(z) ? z : 'UTC')));
  })();
  if (tz) requireZone(tz);
  const out: Partial<Record<K, Date>> = {};
  for (const [name, filter] of Object.entries(filters) as [K, { value: string | undefined; bound: Bound } | undefined][]) {
    if (!filter || filter.value === undefined) continue;
    const zone = isPlainDate(filter.value) ? await zoneOf() : 'UTC';
    out[name] = parseTimeFilter(filter.value, `/${name}`, zone, filter.bound);
  }
  return out;
}
