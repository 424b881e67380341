import { createRequire } from 'node:module';
import { DateTime } from 'luxon';
import type * as ChronoEn from 'chrono-node/en';

/**
 * chrono-node is loaded on the first date parse, not at start-up, and only its English locale
 * (`chrono-node/en`, whose `parse` is the one `chrono-node` re-exports): the whole package with
 * every locale cost ~14 MB resident and 0.35–1.6 s of start-up for a parser only the
 * assistants use (docs/BENCHMARKS.md, "Footprint"). `require` because `extractDate` is synchronous.
 */
let chronoEn: typeof ChronoEn | undefined;
const chrono = {
  parse: (...args: Parameters<typeof ChronoEn.parse>) => (chronoEn ??= createRequire(import.meta.url)('chrono-node/en') as typeof ChronoEn).parse(...args),
};

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
const PART_RE_ALL = new RegExp(PART_RE.source, 'gi');
const PART_ONLY = new RegExp(`^(?:${PART_RE.source})$`, 'i');
/**
 * Words without which chrono finds no date (digits, day and month names, relative words). A message
 * with none of them skips the parse — most messages ("show my appointments") have no date, and the
 * parse is the costliest step of understanding.
 */
const MAY_HOLD_DATE =
  /\d|\b(?:today|tomorrow|tonight|yesterday|now|noon|midday|midnight|morning|afternoon|evening|night|lunchtime|week|weeks|weekend|month|months|year|years|day|days|hour|hours|fortnight|ago|mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)|\b(?:the \w+(?:st|nd|rd|th))\b/i;
const WEEK_RE = /\b(next|this|coming|following)\s+week\b/i;

/** Phrases that chrono takes for dates but are durations or frequencies ("for 7 days", "every 8 hours"). */
const NOT_DATES =
  /\b(?:for|x)\s*\d+\s*(?:days?|weeks?|months?|d|w)\b|\bevery\s+\d+\s*(?:hours?|hrs?|h|days?)\b|\b(?:once|twice|thrice|\w+\s+times?|\d+\s*x)\s+(?:a|per|each)\s+(?:day|week)\b|\b\d+\s*(?:mg|mcg|g|ml|units?)\b|\bq\d+h\b|\b\d+\s*(?:hourly|hrly)\b/gi;

/** Weekday spellings chrono does not read ("mon", "fri", "sat" it does; "sat" and "sun" are words too, so they are left to it). */
const ABBREVIATED_DAYS: Record<string, string> = { tue: 'tuesday', tues: 'tuesday', weds: 'wednesday', thur: 'thursday', thurs: 'thursday' };
const HOURS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];
const HOUR_WORDS = HOURS.join('|');
const hourOf = (word: string) => String(HOURS.indexOf(word.toLowerCase()) + 1);
const WEEKDAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const DAY_WORD = `(?:today|tomorrow|tonight|${WEEKDAY})`;
const ORDINAL_WORDS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
  eleventh: 11,
  twelfth: 12,
  thirteenth: 13,
  fourteenth: 14,
  fifteenth: 15,
  sixteenth: 16,
  seventeenth: 17,
  eighteenth: 18,
  nineteenth: 19,
  twentieth: 20,
  'twenty first': 21,
  'twenty second': 22,
  'twenty third': 23,
  'twenty fourth': 24,
  'twenty fifth': 25,
  'twenty sixth': 26,
  'twenty seventh': 27,
  'twenty eighth': 28,
  'twenty ninth': 29,
  thirtieth: 30,
  'thirty first': 31,
};
const ORDINAL_WORD_ALTS = Object.keys(ORDINAL_WORDS)
  .sort((a, b) => b.length - a.length)
  .map((w) => w.replace(' ', '[ -]'))
  .join('|');
/** "on the twentieth", "the fourteenth of March" — a day only in date context: "the second one" is a choice, not the 2nd. */
const ORDINAL_WORD_RE = new RegExp(
  `\\b(?<=(?:on|for|to|until|till|by|before|after|from) )the (${ORDINAL_WORD_ALTS})\\b(?!\\s+(?:one|option|slot|time|appointment|doctor|choice|patient))|\\bthe (${ORDINAL_WORD_ALTS})(?= of\\b)`,
  'gi',
);

/**
 * Informal words chrono does not know, rewritten before parsing — by class, not by example:
 * texting spellings ("tmrw", "2day", "nxt wk"), weekday abbreviations ("weds", "tues pm"),
 * British clock phrases ("half 3", "quarter to 4"), a part of the day before its day ("evening
 * tomorrow"), "first thing", "a fortnight", ordinal words ("the twentieth"), "11 30", "10ish".
 */
const REWRITES: [RegExp, string | ((match: string, ...groups: string[]) => string)][] = [
  [/\b(tmrw|tmr|tmrow|tmoz|tomoz|tomoro|tomorro|2moro|2morrow|2mrw|2mro|tomorow|tommorow|tommorrow|tomorrw|tmw)\b/gi, 'tomorrow'],
  [/\b(2day|tday|tdy)\b/gi, 'today'],
  [/\b(2nite|tonite|2night)\b/gi, 'tonight'],
  [/\bnxt\b/gi, 'next'],
  [/\bwks?\b/gi, 'week'],
  [/\b(?:the )?day after tomorrow\b/gi, 'in 2 days'],
  [/\b(?:in )?a fortnight\b/gi, 'in 14 days'],
  [/\b(?:this )?arvo\b/gi, 'this afternoon'],
  [/\bafter lunch\b/gi, 'afternoon'],
  [/\b(tues?|weds|thurs?)\b\.?/gi, (m) => ABBREVIATED_DAYS[m.toLowerCase().replace('.', '')] ?? m],
  [new RegExp(`\\b(${WEEKDAY}|mon|wed|thu|fri|sat|sun|tomorrow|today)\\s+(am|a\\.m\\.)(?![a-z])`, 'gi'), '$1 morning'],
  [new RegExp(`\\b(${WEEKDAY}|mon|wed|thu|fri|sat|sun|tomorrow|today)\\s+(pm|p\\.m\\.)(?![a-z])`, 'gi'), '$1 afternoon'],
  [new RegExp(`\\ba week (?:on |from )?(${DAY_WORD})\\b`, 'gi'), '$1 week'],
  [new RegExp(`\\bfirst thing(?: on)? (${DAY_WORD})\\b`, 'gi'), '$1 morning'],
  [new RegExp(`\\b(${DAY_WORD}) first thing\\b`, 'gi'), '$1 morning'],
  [/\bfirst thing\b/gi, 'morning'],
  [new RegExp(`\\b(?:on |in the )?(morning|afternoon|evening|night) (?:on )?(tomorrow|${WEEKDAY})\\b`, 'gi'), '$2 $1'],
  [new RegExp(`\\b(at|half past|quarter past|quarter to|half) (${HOUR_WORDS})\\b`, 'gi'), (_m, pre, w) => `${pre} ${hourOf(w!)}`],
  [new RegExp(`\\b(${HOUR_WORDS}) (o ?clock|o'clock|oclock|am|pm|in the (?:morning|afternoon|evening))\\b`, 'gi'), (_m, w, post) => `${hourOf(w!)} ${post}`],
  [/\bhalf past (\d{1,2})\b/gi, '$1:30'],
  [/\bquarter past (\d{1,2})\b/gi, '$1:15'],
  [/\bquarter to (\d{1,2})\b/gi, (_m, h) => `${(Number(h) + 11) % 12 || 12}:45`],
  [/\b(at|@) half (\d{1,2})\b/gi, '$1 $2:30'],
  [/\b(\d{1,2})\s*ish\b/gi, '$1'],
  [ORDINAL_WORD_RE, (_m, a, b) => `the ${ORDINAL_WORDS[(a ?? b)!.toLowerCase().replace(/[ -]+/, ' ')]}th`],
  [/\b(at|@)\s*(\d{1,2})\s(\d{2})\b/gi, '$1 $2:$3'],
  // "14:30 tomorrow", "2:30 on Friday": chrono reads the day and drops a clock time written before it.
  [new RegExp(`\\b(\\d{1,2}[:.]\\d{2})\\s+(?:on\\s+)?(${DAY_WORD})\\b`, 'gi'), '$2 at $1'],
  [/\b(?:like|around|about|say)?\s*(\d{1,2})\s+(tomorrow|today)\b/gi, ' $2 at $1'],
  // "Saturday 10", "monday 9" (a bare clock hour right after the day): "at 10".
  [new RegExp(`\\b(${WEEKDAY})\\s+(\\d{1,2})(?![\\d:.]|\\s*(?:st|nd|rd|th|am|pm|a\\.m|p\\.m|of|/|-)\\b)`, 'gi'), '$1 at $2'],
  [/\b\d+\s*(?:minutes?|mins?)\b/gi, ''],
];
/** "Thursday week", "a week on Friday", "a week today", "a week tomorrow" (British): that day plus seven. */
/** What introduces the day meant when two are named: "to Friday", "for the 24th", "instead on Monday". */
const TARGET_BEFORE = /\b(?:to|for|until|till|instead|into|onto|over to|moved? to|change to|make it)\s+(?:on\s+)?(?:the\s+|a\s+|next\s+|this\s+)?$/i;
const BARE_WEEKDAY = new RegExp(`^(?:on )?${WEEKDAY}$`, 'i');
const WEEK_AFTER = new RegExp(`\\b(${DAY_WORD}) week\\b`, 'i');

export function extractDate(text: string, zone: string, now: Date = new Date()): DateEntity | null {
  let cleaned = text.replace(NOT_DATES, (m) => ' '.repeat(m.length));
  for (const [re, to] of REWRITES) cleaned = cleaned.replace(re, to as string);
  if (!MAY_HOLD_DATE.test(cleaned)) return null;
  const local = DateTime.fromJSDate(now, { zone });
  const wall = new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second));

  const week = WEEK_RE.exec(cleaned);
  const results = chrono.parse(cleaned, { instant: wall, timezone: 0 }, { forwardDate: true }).filter((r) => !/^\d{1,2}$/.test(r.text.trim()));
  // A result that names a day beats one that only names a part of the day ("evening slots on Wednesday").
  const withDay = results.filter((r) => (r.start.isCertain('day') || r.start.isCertain('weekday')) && !PART_ONLY.test(r.text.trim()));
  // Two days named: the one after "to / for / instead" is the one meant ("move my Monday appointment to Friday").
  const target = withDay.length > 1 ? withDay.find((r) => TARGET_BEFORE.test(cleaned.slice(0, r.index))) : undefined;
  let result = target ?? withDay[0] ?? results[0];
  // A clock time chrono read apart from its day ("14:30 tomorrow", "4pm Thursday").
  const looseTime = results.find((r) => r !== result && r.start.isCertain('hour') && !r.start.isCertain('day') && !r.start.isCertain('weekday'));
  // "the 24th": a day of this month, or the next month once it has passed. It wins over a weekday
  // only as the target ("swap my Tuesday appointment to the 24th").
  const ordinal = /\bthe (\d{1,2})(?:st|nd|rd|th)\b(?!\s+(?:one|option|slot|time|appointment|doctor|choice|patient)\b)/i.exec(cleaned);
  if (ordinal && (!result || !withDay.length || (TARGET_BEFORE.test(cleaned.slice(0, ordinal.index)) && !target && withDay[0]!.index < ordinal.index))) {
    const dayOfMonth = Number(ordinal[1]);
    let d = local.set({ day: Math.min(dayOfMonth, local.daysInMonth ?? 28) }).startOf('day');
    if (d < local.startOf('day')) d = d.plus({ months: 1 });
    if (d.day === dayOfMonth) {
      // "the 14th at 3": a time right after it.
      const after = chrono.parse(cleaned.slice(ordinal.index + ordinal[0].length, ordinal.index + ordinal[0].length + 16), { instant: wall, timezone: 0 })[0];
      if (after?.start.isCertain('hour')) {
        let hour = after.start.get('hour')!;
        if (!after.start.isCertain('meridiem') && hour >= 1 && hour <= 7) hour += 12;
        const at = d.setZone(zone, { keepLocalTime: true }).set({ hour, minute: after.start.get('minute') ?? 0 });
        return entity(`${ordinal[0]} ${after.text}`, at, at.plus({ minutes: 30 }), 'time', local);
      }
      const start = d.setZone(zone, { keepLocalTime: true });
      return entity(ordinal[0], start, start.plus({ days: 1 }), 'day', local);
    }
  }
  // "move it from Friday to Monday": the day after "to" is the one meant.
  if (result?.end && result.end.get('day') !== result.start.get('day') && !result.end.isCertain('hour')) {
    const again = chrono.parse(result.text.split(/\bto\b/i).at(-1) ?? '', { instant: wall, timezone: 0 }, { forwardDate: true })[0];
    if (again) result = again;
  }
  const parts = [...cleaned.matchAll(PART_RE_ALL)];
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
  // A bare weekday is the next one AFTER today ("Tuesday" said on a Tuesday is next week's); "this Tuesday" / "today" stay.
  const later = (BARE_WEEKDAY.test(result.text.trim()) && day === local.day && month === local.month ? 7 : 0) + (WEEK_AFTER.test(cleaned) ? 7 : 0);
  if (later) ({ year, month, day } = DateTime.fromObject({ year, month, day }).plus({ days: later }));
  const phrase = part && !result.text.toLowerCase().includes(part[1]!.toLowerCase()) ? `${result.text} ${part[0]}` : result.text;
  // chrono moved "this afternoon" to tomorrow when it is already past 15:00; today is meant while the afternoon lasts.
  if (/\b(this|today)\b/i.test(result.text) && part) {
    ({ year, month, day } = local);
  }
  const dayStart = DateTime.fromObject({ year, month, day }, { zone });
  if (!dayStart.isValid) return null;

  const clock = s.isCertain('hour') ? s : looseTime && Math.abs(looseTime.index - result.index) <= 24 ? looseTime.start : null;
  if (clock) {
    let hour = clock.get('hour')!;
    const minute = clock.get('minute') ?? 0;
    if (!clock.isCertain('meridiem') && hour >= 1 && hour <= 7) hour += 12;
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
