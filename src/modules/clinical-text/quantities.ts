/**
 * Numbers with units, each tied to what it measures, so that "my 9 month old" is an age and not a
 * symptom lasting 270 days, "33 weeks pregnant" is a gestation, "temp 39.4" / "102F" a temperature,
 * "pulse 140" a heart rate and "since Tuesday" / "for 3 days" / "since 2 days" a duration.
 *
 * Every expression is anchored on a unit or a cue word; a bare number means nothing. Ages and
 * gestations are removed from the text before durations are read, so the same number is never
 * counted twice. All patterns are linear regular expressions (no nested quantifiers).
 */

export interface Quantities {
  /** Age of the person described, in years (fractional for babies). */
  age_years?: number;
  /** Weeks of pregnancy, when stated. */
  gestation_weeks?: number;
  /** Highest body temperature stated, °C (converted from °F). */
  temperature_c?: number;
  /** Heart rate, beats per minute. */
  heart_rate?: number;
  /** Lowest blood glucose stated, mmol/L (converted from mg/dL). */
  glucose_mmol?: number;
  /** How long the problem has lasted, days. */
  duration_days?: number;
}

const NUM_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  eighteen: 18,
  twenty: 20,
  few: 3,
  couple: 2,
  several: 4,
  half: 0.5,
};
const NUM = String.raw`(\d+(?:[.,]\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|eighteen|twenty|few|couple(?: of)?|several|half an?)`;

function num(raw: string): number {
  const r = raw
    .replace(/ of$/, '')
    .replace(/^half an?$/, 'half')
    .replace(',', '.');
  return /^\d/.test(r) ? Number(r) : (NUM_WORDS[r] ?? NaN);
}

const UNIT_YEARS: Record<string, number> = {
  y: 1,
  yr: 1,
  year: 1,
  month: 1 / 12,
  mo: 1 / 12,
  mth: 1 / 12,
  m: 1 / 12,
  week: 7 / 365,
  wk: 7 / 365,
  w: 7 / 365,
  day: 1 / 365,
  d: 1 / 365,
};
const UNIT_DAYS: Record<string, number> = {
  minute: 1 / 1440,
  min: 1 / 1440,
  hour: 1 / 24,
  hr: 1 / 24,
  h: 1 / 24,
  day: 1,
  night: 1,
  week: 7,
  wk: 7,
  fortnight: 14,
  month: 30,
  year: 365,
  yr: 365,
};
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const AGE_RE = new RegExp(String.raw`\b${NUM}[\s-]*(years?|yrs?|y|months?|mos?|mths?|m|weeks?|wks?|w|days?|d)[\s-]*(?:old\b|o\b|\/o\b)`, 'g');
const AGE_YO_RE = /\b(\d{1,3})\s*(?:yo|y\/o|yrs?o)\b/g;
/** "my 18 month", "our 3 week": a possessive before a bare age is a person, not a duration. */
const AGE_POSSESSIVE_RE = new RegExp(
  String.raw`\b(?:my|our|her|his|their)\s+${NUM}[\s-]*(years?|yrs?|months?|mths?|mos?|weeks?|wks?|days?)\b(?!\s*(?:ago|of|since|now|later|after|before|pregnant|postpartum))`,
  'g',
);
/**
 * "my baby 1 year is shaking", "son 4 years has a rash", "daughter (8 months)": a number right after a
 * person noun is that person's age (common in second-language English), not how long it has lasted.
 */
const AGE_NOUN_RE = new RegExp(
  String.raw`\b(?:baby|babies|bub|son|daughter|boy|girl|child|kid|toddler|infant|grandson|granddaughter|grandchild|nephew|niece|twins?)(?:\s*[,(]\s*|\s+(?:is|is only|only|of|aged?)\s+|\s+)${NUM}[\s-]*(years?|yrs?|months?|mths?|mos?|weeks?|wks?|days?)\b(?!\s*(?:ago|of|since|now|later|after|before|into|pregnant|postpartum))`,
  'g',
);
const AGE_CUE_RE =
  /\b(?:aged?|i am|i'm|im|he is|she is|he's|she's|hes|shes)\s+(\d{1,3})(?:\s*(?:years?|yrs?))?\b(?!\s*(?:weeks?|wks?|days?|hours?|minutes?|mins?|times?|kg|lbs?|stone|cm|mm|percent|%|°|degrees?|c\b|f\b|pregnant))/g;
const NEWBORN_RE = /\b(newborn|new born|new-born|neonate)\b/;
const GESTATION_RE = [
  // "I'm 32 weeks" is said of a pregnancy, never of how long a symptom has lasted.
  /\b(?:i'm|im|i am|she's|shes|she is|wife is|partner is)\s+(\d{1,2})\s*(?:\+\d\s*)?(?:weeks?|wks?)\b(?!\s*(?:old|ago|post|after|since))/,
  /\b(\d{1,2})\s*(?:\+\d)?\s*(?:weeks?|wks?|w)\s*(?:pregnant|gestation|along|preg)\b/,
  /\bpregnant\s*(?:at|with|and|,)?\s*(?:about|around)?\s*(\d{1,2})\s*(?:weeks?|wks?)\b/,
  /\b(\d{1,2})\s*(?:weeks?|wks?)\s*(?:into|in)\s*(?:my|the|her)?\s*pregnancy\b/,
  /\b(?:at|@)\s*(\d{1,2})\s*(?:weeks?|wks?)\b(?=[^.?!]*\b(?:pregnan|baby|bump)\w*)/,
  // Obstetric notation "37+2" is always a gestation.
  /(?<![\d.+])([1-4]\d)\s*\+\s*[0-6](?![\d.])(?:\s*(?:weeks?|wks?))?/,
  // A text that opens with "37 weeks, …" / "30 wks and …" states where a pregnancy is: a symptom
  // lasting 20+ weeks is never announced that way ("for 37 weeks", "37 weeks of …" stay durations).
  /^\s*([2-4]\d)\s*(?:weeks?|wks?)\s*(?:[,:;\-–]|and\b|now\b|today\b)/,
];
const TRIMESTER_RE = /\b(first|1st|second|2nd|third|3rd)\s+trimester\b/;
const TEMP_UNIT_RE =
  /\b(\d{2,3}(?:[.,]\d{1,2})?)\s*(?:°\s*|degrees?\s*|deg\s*)?(c|f|celsius|centigrade|fahrenheit)\b|\b(\d{2,3}(?:[.,]\d{1,2})?)\s*°|\b(\d{2,3}(?:[.,]\d{1,2})?)\s*degrees?\b/g;
const TEMP_CUE_RE =
  /\b(?:temp\w*|tempr\w*|fever\w*|thermometer|pyrexia|febrile|reading|read|running|spiked?|spiking|high of|hot|burning up|boiling)\b[^.?!\d]{0,25}?(\d{2,3}(?:[.,]\d{1,2})?)\b/g;
/**
 * A number with one decimal in the range of body temperatures (34.0–42.9: low temperatures matter in a
 * baby), not followed by another unit, is a temperature.
 */
const TEMP_DECIMAL_RE =
  /(?<![\d.,])(3[4-9]|4[0-2])[.,](\d)(?![\d.,])(?!\s*(?:weeks?|wks?|kg|kilos?|lbs?|cm|mm|ml|years?|yrs?|months?|days?|hours?|%|percent|mmol|units?))/g;
/**
 * A blood glucose reading: a glucose cue ("sugar", "glucose", "BM", "meter says", "reading") then a
 * number, or a number with mmol/L or mg/dL. Never a count of days or times ("sugars high for 2 days").
 */
const GLUCOSE_RE =
  /\b(?:blood\s+sugars?|sugars?|glucose|bms?|bgs?|cbg|meter|monitor|libre|reading)\s*(?:levels?\s*)?(?:is|was|of|at|says|said|reads|read|showing|shows|showed|=|:|down\s+to|dropped\s+to|gone\s+down\s+to)?\s*(?:only\s+|just\s+|now\s+)?(\d{1,3}(?:[.,]\d)?)\s*(mmol(?:\s*\/\s*l)?|mg\s*\/?\s*dl)?(?![\d.,])(?!\s*(?:days?|weeks?|wks?|hours?|hrs?|mins?|minutes?|months?|years?|yrs?|times?|x\b|%|am\b|pm\b|units?|kg|lbs?|stone))|(?<![\d.,])(\d{1,3}(?:[.,]\d)?)\s*(mmol(?:\s*\/\s*l)?|mg\s*\/?\s*dl)\b/g;
const HR_RE = /\b(?:pulse|heart\s*rate|hr|heart(?:beat)?\s*(?:is|at|of)?|bpm)\D{0,15}?(\d{2,3})\b|\b(\d{2,3})\s*(?:bpm|beats)\b/g;
const DUR_RE = new RegExp(
  String.raw`\b(?:for|since|past|last|over|about|around|nearly|almost|already|it's been|its been|been)?\s*(?:the\s+)?${NUM}\s+(minutes?|mins?|hours?|hrs?|h|days?|nights?|weeks?|wks?|fortnights?|months?|years?|yrs?)\b(?!\s*(?:old|pregnant|postpartum|post partum|after (?:birth|delivery|giving birth)))`,
  'g',
);
const AGO_RE = /\b(?:since|from|started|began|start(?:ed)? on|beginning|on)\s+(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/;

/** Converts a number read as a temperature into °C, or undefined when implausible. */
function toCelsius(value: number, unit?: string): number | undefined {
  if (!Number.isFinite(value)) return undefined;
  const u = unit?.[0];
  if (u === 'f' || (!u && value >= 93 && value <= 110)) {
    const c = ((value - 32) * 5) / 9;
    return c >= 33 && c <= 44 ? Math.round(c * 10) / 10 : undefined;
  }
  if (u === 'c' || (!u && value >= 34 && value <= 43.5)) return value >= 30 && value <= 44 ? value : undefined;
  return undefined;
}

/**
 * Reads the quantities of a text. `now` (for "since Tuesday") defaults to the current date.
 * Never throws; unparseable or implausible numbers are ignored.
 */
export function parseQuantities(input: string, now: Date = new Date()): Quantities {
  const q: Quantities = {};
  let text = input
    .toLowerCase()
    .replace(/[\u2018\u2019`´]/g, "'")
    .replace(/º/g, '°');

  // Ages, most specific first; the matched words are blanked so durations don't see them.
  const blank = (m: RegExpExecArray | RegExpMatchArray) => {
    const start = m.index ?? 0;
    text = text.slice(0, start) + ' '.repeat(m[0].length) + text.slice(start + m[0].length);
  };
  for (const m of [...text.matchAll(AGE_RE)]) {
    const n = num(m[1]!);
    const unit = m[2]!.replace(/s$/, '');
    const factor = UNIT_YEARS[unit] ?? UNIT_YEARS[unit.slice(0, 2)] ?? UNIT_YEARS[unit[0]!];
    if (Number.isFinite(n) && factor !== undefined && q.age_years === undefined) q.age_years = Math.round(n * factor * 1000) / 1000;
    blank(m);
  }
  for (const m of [...text.matchAll(AGE_POSSESSIVE_RE)]) {
    const n = num(m[1]!);
    const unit = m[2]!.replace(/s$/, '');
    const factor = UNIT_YEARS[unit] ?? UNIT_YEARS[unit.slice(0, 2)] ?? UNIT_YEARS[unit[0]!];
    if (Number.isFinite(n) && factor !== undefined && q.age_years === undefined) q.age_years = Math.round(n * factor * 1000) / 1000;
    blank(m);
  }
  for (const m of [...text.matchAll(AGE_NOUN_RE)]) {
    const n = num(m[1]!);
    const unit = m[2]!.replace(/s$/, '');
    const factor = UNIT_YEARS[unit] ?? UNIT_YEARS[unit.slice(0, 2)] ?? UNIT_YEARS[unit[0]!];
    if (Number.isFinite(n) && factor !== undefined && q.age_years === undefined) q.age_years = Math.round(n * factor * 1000) / 1000;
    blank(m);
  }
  for (const m of [...text.matchAll(AGE_YO_RE)]) {
    if (q.age_years === undefined) q.age_years = Number(m[1]);
    blank(m);
  }
  if (q.age_years === undefined) {
    for (const m of [...text.matchAll(AGE_CUE_RE)]) {
      const n = Number(m[1]);
      if (n >= 1 && n <= 115) {
        q.age_years = n;
        blank(m);
        break;
      }
    }
  }
  if (q.age_years === undefined && NEWBORN_RE.test(text)) q.age_years = 0.02;
  if (q.age_years !== undefined && (q.age_years < 0 || q.age_years > 120)) delete q.age_years;

  for (const re of GESTATION_RE) {
    const m = text.match(re);
    if (m) {
      const w = Number(m[1]);
      if (w >= 1 && w <= 44) {
        q.gestation_weeks = w;
        blank(m);
        break;
      }
    }
  }
  if (q.gestation_weeks === undefined) {
    const t = text.match(TRIMESTER_RE);
    if (t) q.gestation_weeks = /first|1st/.test(t[1]!) ? 8 : /second|2nd/.test(t[1]!) ? 20 : 32;
  }

  const temps: number[] = [];
  for (const m of text.matchAll(TEMP_UNIT_RE)) {
    const raw = m[1] ?? m[3] ?? m[4];
    const c = toCelsius(Number(raw!.replace(',', '.')), m[2]);
    if (c !== undefined) temps.push(c);
  }
  for (const m of text.matchAll(TEMP_CUE_RE)) {
    const c = toCelsius(Number(m[1]!.replace(',', '.')));
    if (c !== undefined) temps.push(c);
  }
  for (const m of text.matchAll(TEMP_DECIMAL_RE)) {
    const c = toCelsius(Number(`${m[1]}.${m[2]}`));
    if (c !== undefined) temps.push(c);
  }
  if (temps.length) q.temperature_c = Math.max(...temps);

  for (const m of text.matchAll(HR_RE)) {
    const n = Number(m[1] ?? m[2]);
    if (n >= 25 && n <= 260 && toCelsius(n) === undefined) {
      q.heart_rate = n;
      break;
    }
  }

  for (const m of text.matchAll(GLUCOSE_RE)) {
    const raw = Number((m[1] ?? m[3])!.replace(',', '.'));
    const unit = m[2] ?? m[4];
    const mmol = unit && /mg/.test(unit) ? raw / 18 : raw;
    if (!(mmol >= 0.5 && mmol <= 40)) continue;
    q.glucose_mmol = Math.round(Math.min(q.glucose_mmol ?? mmol, mmol) * 10) / 10;
  }

  let days: number | undefined;
  for (const m of text.matchAll(DUR_RE)) {
    const n = num(m[1]!);
    const unit = m[2]!.replace(/s$/, '');
    const factor = UNIT_DAYS[unit] ?? UNIT_DAYS[unit.replace(/r$/, 'rs').replace(/s$/, '')];
    if (Number.isFinite(n) && factor !== undefined) {
      days = n * factor;
      break;
    }
  }
  if (days === undefined) {
    const wd = text.match(AGO_RE);
    if (wd) {
      const target = WEEKDAYS.indexOf(wd[1]!);
      const diff = (now.getUTCDay() - target + 7) % 7;
      days = diff === 0 ? 7 : diff;
    }
  }
  if (days === undefined) {
    if (
      /\b(this morning|this evening|this afternoon|tonight|just now|an hour ago|minutes ago|few minutes|since lunch|since breakfast|earlier today|suddenly today|just started|started today)\b/.test(
        text,
      )
    )
      days = 0.3;
    else if (/\b(yesterday|last night|overnight)\b/.test(text)) days = 1;
    else if (/\b(all week|since last week|last week)\b/.test(text)) days = 7;
    else if (/\b(for ages|for months|last month|since last month)\b/.test(text)) days = 30;
  }
  if (days !== undefined && days >= 0 && days <= 36500) q.duration_days = days;
  return q;
}
