import { FhirError, invalid } from './outcome.js';

/**
 * Search-parameter parsing shared by every resource type (docs/FHIR.md, "Search"): dates with
 * prefixes, tokens, references, `_count` and the keyset cursor. Values come from the query
 * string; anything malformed is a 400 OperationOutcome naming the parameter.
 */

export const MAX_COUNT = 100;
export const DEFAULT_COUNT = 20;

export type SearchParamType = 'token' | 'reference' | 'date' | 'string';

export interface SearchParamDefinition {
  name: string;
  type: SearchParamType;
  documentation: string;
}

/** Parameters every search accepts (besides the resource's own). */
export const COMMON_PARAMS = new Set(['_count', '_cursor', '_sort', '_format', '_include', '_revinclude', '_total']);

export interface DateRange {
  from?: { at: Date; inclusive: boolean };
  to?: { at: Date; inclusive: boolean };
}

const DATE_RE = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/**
 * One `date=` value as a range. A partial date is the whole period it names ("2026-03" is the
 * month), so `eq` covers the period, `ge` starts at its beginning, `gt` after its end, and so
 * on, as FHIR R4 §3.1.1.4.3 describes. Dates without a time are read in UTC.
 */
export function parseDate(name: string, raw: string): DateRange {
  const m = DATE_RE.exec(raw);
  if (!m)
    throw invalid(
      `${name}: "${raw}" is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time with a time zone), optionally prefixed by eq, gt, lt, ge or le.`,
      name,
    );
  const [, prefix = 'eq', y, mo, d, hh, mm, ss, zone] = m;
  if (hh !== undefined && zone === undefined) throw invalid(`${name}: a date-time needs a time zone (Z or ±hh:mm).`, name);
  let start: Date;
  let end: Date;
  if (hh !== undefined) {
    const text = `${y}-${mo}-${d}T${hh}:${mm}:${ss ?? '00'}${zone}`;
    start = new Date(text);
    end = new Date(start.getTime() + (ss === undefined ? 60_000 : 1000));
  } else if (d !== undefined) {
    start = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
    end = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d) + 1));
    if (start.getUTCDate() !== Number(d)) throw invalid(`${name}: "${raw}" is not a calendar date.`, name);
  } else if (mo !== undefined) {
    if (Number(mo) < 1 || Number(mo) > 12) throw invalid(`${name}: "${raw}" has no such month.`, name);
    start = new Date(Date.UTC(Number(y), Number(mo) - 1, 1));
    end = new Date(Date.UTC(Number(y), Number(mo), 1));
  } else {
    start = new Date(Date.UTC(Number(y), 0, 1));
    end = new Date(Date.UTC(Number(y) + 1, 0, 1));
  }
  if (Number.isNaN(start.getTime())) throw invalid(`${name}: "${raw}" is not a valid date.`, name);
  switch (prefix) {
    case 'eq':
      return { from: { at: start, inclusive: true }, to: { at: end, inclusive: false } };
    case 'ge':
      return { from: { at: start, inclusive: true } };
    case 'gt':
      return { from: { at: end, inclusive: true } };
    case 'le':
      return { to: { at: end, inclusive: false } };
    case 'lt':
      return { to: { at: start, inclusive: false } };
    default:
      throw new FhirError(400, 'not-supported', `${name}: the prefix "${prefix}" is not supported (eq, gt, lt, ge, le are).`, name);
  }
}

/** Several `date=` values are ANDed (`date=ge2026-01-01&date=lt2026-02-01`): the tightest bounds win. */
export function intersectDates(ranges: DateRange[]): DateRange {
  const out: DateRange = {};
  for (const r of ranges) {
    if (r.from && (!out.from || r.from.at > out.from.at || (r.from.at.getTime() === out.from.at.getTime() && !r.from.inclusive))) out.from = r.from;
    if (r.to && (!out.to || r.to.at < out.to.at || (r.to.at.getTime() === out.to.at.getTime() && !r.to.inclusive))) out.to = r.to;
  }
  return out;
}

export interface Token {
  system?: string;
  code: string;
}

/** `system|code`, `|code` (no system) or `code` (any system); comma-separated values are ORed. */
export function parseTokens(name: string, raw: string): Token[] {
  return raw.split(',').map((part) => {
    const bar = part.indexOf('|');
    const token = bar < 0 ? { code: part } : { system: part.slice(0, bar), code: part.slice(bar + 1) };
    if (!token.code) throw invalid(`${name}: "${part}" has no code.`, name);
    return token;
  });
}

/** Every token given for `name` (repeated parameters and comma-separated values alike). */
export function tokensOf(query: Query, name: string): Token[] {
  return (query.get(name) ?? []).flatMap((value) => parseTokens(name, value));
}

/**
 * Whether `name` was given but none of its values is `code`, the only one this server stores
 * for it (e.g. category=vital-signs on lab Observations): such a search matches nothing.
 */
export function rulesOut(query: Query, name: string, code: string): boolean {
  const tokens = tokensOf(query, name);
  return tokens.length > 0 && !tokens.some((t) => t.code === code);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isId = (value: string) => UUID_RE.test(value);

/** `Patient/<id>`, a full URL ending in it, or a bare id; only references to `type` are accepted. */
export function parseReference(name: string, raw: string, type: string): string {
  const parts = raw.split('/');
  const id = parts.at(-1) ?? '';
  const given = parts.length > 1 ? parts.at(-2) : type;
  if (given !== type) throw invalid(`${name}: only ${type} references are supported here, not "${raw}".`, name);
  if (!isId(id)) throw invalid(`${name}: "${raw}" is not a ${type} reference (${type}/<id>).`, name);
  return id;
}

export function parseCount(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_COUNT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw invalid('_count must be a whole number ≥ 0.', '_count');
  return Math.min(n, MAX_COUNT);
}

export interface Cursor {
  at: string;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.at, cursor.id])).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | null {
  if (raw === undefined) return null;
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && isId(value[1])) {
      return { at: value[0], id: value[1] };
    }
  } catch {
    // fall through: any undecodable cursor is the same client error
  }
  throw invalid('_cursor is not a cursor this server issued; follow the Bundle\'s "next" link.', '_cursor');
}

/** The query as name → values (repeated parameters keep every value). */
export type Query = Map<string, string[]>;

export function queryOf(url: string): Query {
  const out: Query = new Map();
  const at = url.indexOf('?');
  if (at < 0) return out;
  for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
    const list = out.get(name) ?? [];
    list.push(value);
    out.set(name, list);
  }
  return out;
}

export const single = (query: Query, name: string): string | undefined => {
  const values = query.get(name);
  if (values && values.length > 1) throw invalid(`${name} may be given once.`, name);
  return values?.[0];
};
