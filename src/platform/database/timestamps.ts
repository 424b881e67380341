/**
 * Parses PostgreSQL's text form of a `timestamptz` ('2026-12-08 09:00:00.123456+00', DateStyle
 * ISO) into a Date without regular expressions. The generic parser `pg` uses (postgres-date,
 * three regular expressions per value) was a visible share of the CPU of list endpoints, which
 * parse five timestamps per row (docs/BENCHMARKS.md, "Read paths"). Anything this fast path does
 * not recognise exactly — infinity, BC, years before 1000 or after 9999, another DateStyle — goes
 * to `fallback`, so results are the same as before for every value.
 */
export function timestamptzParser(fallback: (text: string) => unknown): (text: string) => unknown {
  return (text) => parseIsoTimestamptz(text) ?? fallback(text);
}

const ZERO = 48;

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** The Date for 'YYYY-MM-DD HH:MM:SS[.f…]±HH[:MM[:SS]]', or null when the text has another shape. */
export function parseIsoTimestamptz(text: string): Date | null {
  const length = text.length;
  if (length < 22 || text[4] !== '-' || text[7] !== '-' || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':') return null;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 1000 || month < 1 || day < 1 || hour < 0 || minute < 0 || second < 0) return null;
  let at = 19;
  let ms = 0;
  if (text[at] === '.') {
    // Milliseconds are the first three fraction digits (later ones are truncated, as before).
    let scale = 100;
    at++;
    while (at < length) {
      const d = text.charCodeAt(at) - ZERO;
      if (d < 0 || d > 9) break;
      ms += d * scale;
      scale /= 10;
      at++;
    }
    ms = Math.floor(ms);
  }
  const sign = text[at] === '+' ? 1 : text[at] === '-' ? -1 : 0;
  if (sign === 0) return null;
  const offsetHours = digits(text, at + 1, 2);
  if (offsetHours < 0) return null;
  at += 3;
  let offsetSeconds = offsetHours * 3600;
  for (const unit of [60, 1]) {
    if (at === length) break;
    if (text[at] !== ':') return null;
    const part = digits(text, at + 1, 2);
    if (part < 0) return null;
    offsetSeconds += part * unit;
    at += 3;
  }
  if (at !== length) return null;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - sign * offsetSeconds * 1000);
}
