import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';

/**
 * Dates and times in a message, resolved in the user's IANA zone (docs/ASSISTANTS.md "Dates").
 *
 * chrono-node finds the phrase and its calendar components; luxon does the zone arithmetic,
 * because chrono's own zone handling knows offsets and abbreviations, not IANA names (and so
 * gets DST days wrong). The trick: chrono is given the user's *wall clock* as a UTC instant,
 * so every component it returns is a wall-clock component in the user's zone, which luxon
 * then turns into the real instant in that zone.
 *
 * Conventions a clinic assistant needs on top of chrono:
 *  - forward-looking: "Friday" is the next Friday (chrono's forwardDate);
 *  - a bare hour 1–7 without am/pm is afternoon ("tomorrow at 3" → 15:00): clinics are closed at 3 am;
 *  - part of day makes a range: morning 08–12, afternoon 12–17, evening 17–21;
 *  - a day without a time is the whole day; "next week" / "this week" are Monday–Sunday ranges.
 */
export interface DateEntity {
  /** The words of the message that gave the date. */
  phrase: string;
  /** RFC 3339 (UTC) of the start of what was meant: the exact time, or the start of the range. */
  value: string;
  /** [from, to) range in RFC 3339, for a day, a part of a day or a week. */
  from: string;
  to: string;
  /** Whether a time of day was given (exact), or only a day / range. */
  grain: 'time' | 'part_of_day' | 'day' | 'week';
  /** The date lies before now (a past date is refused for bookings). */
  past: boolean;
}

const PARTS: Record<string, [number, number]> = {
  morning: [8, 12],
  afternoon: [12, 17],
  evening: [17, 21],
  tonight: [17, 21],
  night: [17, 21],
  lunchtime: [11, 14],
  noon: [12, 13],
};
const PART_RE = /\b(morning|afternoon|evening|tonight|night|lunchtime)\b/i;
const WEEK_RE = /\b(next|this|coming|following)\s+week\b/i;

/** Phrases that chrono takes for dates but are durations or frequencies ("for 7 days", "every 8 hours"). */
const NOT_DATES =
  /\b(?:for|x)\s*\d+\s*(?:days?|weeks?|months?|d|w)\b|\bevery\s+\d+\s*(?:hours?|hrs?|h|days?)\b|\b(?:once|twice|thrice|\w+\s+times?|\d+\s*x)\s+(?:a|per|each)\s+(?:day|week)\b|\b\d+\s*(?:mg|mcg|g|ml|units?)\b|\bq\d+h\b|\b\d+\s*(?:hourly|hrly)\b/gi;

/** Informal words chrono does not know, rewritten before parsing ("tmrw", "this arvo", "day after tomorrow", "11 30"). */
const REWRITES: [RegExp, string][] = [
  [/\b(tmrw|tmr|tmrow|tomoz|2moro|2morrow|tomorow|tommorow|tomorrw)\b/gi, 'tomorrow'],
  [/\b(?:the )?day after tomorrow\b/gi, 'in 2 days'],
  [/\b(?:this )?arvo\b/gi, 'this afternoon'],
  [/\bafter lunch\b/gi, 'afternoon'],
  [/\b(at|@)\s*(\d{1,2})\s(\d{2})\b/gi, '$1 $2:$3'],
  [/\b(?:like|around|about|say)?\s*(\d{1,2})\s+(tomorrow|today)\b/gi, ' $2 at $1'],
  [/\b\d+\s*(?:minutes?|mins?)\b/gi, ''],
];

export function extractDate(text: string, zone: string, now: Date = new Date()): DateEntity | null {
  let cleaned = text.replace(NOT_DATES, (m) => ' '.repeat(m.length));
  for (const [re, to] of REWRITES) cleaned = cleaned.replace(re, to);
  const local = DateTime.fromJSDate(now, { zone });
  const wall = new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second));

  const week = WEEK_RE.exec(cleaned);
  const results = chrono.parse(cleaned, { instant: wall, timezone: 0 }, { forwardDate: true }).filter((r) => !/^\d{1,2}$/.test(r.text.trim()));
  // A result that names a day beats one that only names a part of the day ("evening slots on Wednesday").
  const withDay = results.filter(
    (r) => (r.start.isCertain('day') || r.start.isCertain('weekday')) && !new RegExp(`^(?:${PART_RE.source})$`, 'i').test(r.text.trim()),
  );
  let result = withDay[0] ?? results[0];
  // "the 24th": a day of this month, or the next month once it has passed.
  const ordinal = /\bthe (\d{1,2})(?:st|nd|rd|th)\b/i.exec(cleaned);
  if (ordinal && (!result || !withDay.length)) {
    const dayOfMonth = Number(ordinal[1]);
    let d = local.set({ day: Math.min(dayOfMonth, local.daysInMonth ?? 28) }).startOf('day');
    if (d < local.startOf('day')) d = d.plus({ months: 1 });
    if (d.day === dayOfMonth) return entity(ordinal[0], d, d.plus({ days: 1 }), 'day', local);
  }
  // "move it from Friday to Monday": the day after "to" is the one meant.
  if (result?.end && result.end.get('day') !== result.start.get('day') && !result.end.isCertain('hour')) {
    const again = chrono.parse(result.text.split(/\bto\b/i).at(-1) ?? '', { instant: wall, timezone: 0 }, { forwardDate: true })[0];
    if (again) result = again;
  }
  const parts = [...cleaned.matchAll(new RegExp(PART_RE.source, 'gi'))];
  const part =
    parts.length && result ? parts.reduce((a, b) => (Math.abs(b.index! - result!.index) < Math.abs(a.index! - result!.index) ? b : a)) : (parts[0] ?? null);

  if (week && (!result || result.text.toLowerCase().includes('week'))) {
    const weekStart = local.startOf('week').plus({ weeks: week[1]!.toLowerCase() === 'this' ? 0 : 1 });
    const from = week[1]!.toLowerCase() === 'this' ? DateTime.max(weekStart, local) : weekStart;
    return entity(week[0], from, weekStart.plus({ weeks: 1 }), 'week', local);
  }
  if (!result) {
    // "this afternoon" / "in the morning" without a day: today's part of the day (tomorrow's if it is over).
    if (part) {
      const [a, b] = PARTS[part[1]!.toLowerCase()]!;
      let day = local.startOf('day');
      if (local.hour >= b) day = day.plus({ days: 1 });
      return entity(part[0], day.set({ hour: a }), day.set({ hour: b }), 'part_of_day', local);
    }
    return null;
  }

  const s = result.start;
  let year = s.get('year')!;
  let month = s.get('month')!;
  let day = s.get('day')!;
  const phrase = part && !result.text.toLowerCase().includes(part[1]!.toLowerCase()) ? `${result.text} ${part[0]}` : result.text;
  // chrono moved "this afternoon" to tomorrow when it is already past 15:00; today is meant while the afternoon lasts.
  if (/\b(this|today)\b/i.test(result.text) && part) {
    ({ year, month, day } = local);
  }
  const dayStart = DateTime.fromObject({ year, month, day }, { zone });
  if (!dayStart.isValid) return null;

  if (s.isCertain('hour')) {
    let hour = s.get('hour')!;
    const minute = s.get('minute') ?? 0;
    if (!s.isCertain('meridiem') && hour >= 1 && hour <= 7) hour += 12;
    let start = dayStart.set({ hour, minute });
    // forwardDate only moves dates chrono calls uncertain; "at 3" today after 15:00 means tomorrow.
    if (start < local && !s.isCertain('day') && !s.isCertain('weekday')) start = start.plus({ days: 1 });
    let end = start.plus({ minutes: 30 });
    if (result.end?.isCertain('hour')) {
      const e = result.end;
      let endHour = e.get('hour')!;
      if (!e.isCertain('meridiem') && endHour >= 1 && endHour <= 7) endHour += 12;
      const candidate = start.set({ hour: endHour, minute: e.get('minute') ?? 0 });
      if (candidate > start) end = candidate;
    }
    return entity(phrase, start, end, 'time', local);
  }
  if (part) {
    const [a, b] = PARTS[part[1]!.toLowerCase()]!;
    return entity(phrase, dayStart.set({ hour: a }), dayStart.set({ hour: b }), 'part_of_day', local);
  }
  return entity(phrase, dayStart, dayStart.plus({ days: 1 }), 'day', local);
}

function entity(phrase: string, from: DateTime, to: DateTime, grain: DateEntity['grain'], now: DateTime): DateEntity {
  return {
    phrase: phrase.trim(),
    value: from.toUTC().toISO({ suppressMilliseconds: true })!,
    from: from.toUTC().toISO({ suppressMilliseconds: true })!,
    to: to.toUTC().toISO({ suppressMilliseconds: true })!,
    grain,
    past: to <= now || (grain === 'time' && from < now),
  };
}

/** "3 pm", "15:00", "9:30" in a reply choosing among options: the wall-clock hour and minute, or null. */
export function clockTime(text: string): { hour: number; minute: number } | null {
  const m = /\b(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?![\d%])/i.exec(text);
  if (!m) return null;
  if (!m[2] && !m[3]) {
    // A bare number is a time only with "o'clock"/"at" around it; "2" alone is an ordinal choice.
    if (!/\b(at|o\s?clock|oclock)\b/i.test(text)) return null;
  }
  let hour = Number(m[1]);
  const minute = m[2] ? Number(m[2]) : 0;
  const mer = m[3]?.toLowerCase().replace(/\./g, '');
  if (mer === 'pm' && hour < 12) hour += 12;
  if (mer === 'am' && hour === 12) hour = 0;
  if (!mer && hour >= 1 && hour <= 7) hour += 12;
  if (hour > 23 || minute > 59) return null;
  return { hour, minute };
}
