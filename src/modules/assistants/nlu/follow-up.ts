/**
 * Follow-up requests in a clinician's record (issue 14, doctor "urgent patients ... overdue
 * follow-ups"). There is no follow-up field in the medical records (src/modules/medical/
 * medical.tables.ts): clinicians write the plan in the note, in the forms UK and US notes use —
 * "review in 2 weeks", "follow up in 3 months", "see again in 6/52", "f/u 2/52", "recall 1 year",
 * "RV 4 wks", "re-check bloods in 10 days". This reads that plan into an interval.
 *
 * Not a request: "no follow-up needed", "follow up if worse / PRN / as needed / SOS" (conditional),
 * "discharged". The last request in the text wins ("review in 2 weeks ... if improving, review in
 * 3 months instead" is taken as 3 months).
 */

const NUMBER_WORDS: Record<string, number> = {
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
  couple: 2,
  few: 3,
};

/** What asks for the patient to be seen again. */
const ASK = String.raw`follow(?:ing)?[ -]?up|f\/u|fu|review(?!ed)|r\/v|rv|see (?:again|back|him|her|them|patient|pt)(?: again)?|recall|return (?:to (?:the )?(?:clinic|surgery|see me)|visit)|come back|re-?check|reassess|re-?assess|repeat (?:bloods?|tests?|labs?)|rebook|re-?book|next (?:appointment|appt|visit)`;
const COUNT = String.raw`(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple(?: of)?|few)`;
const UNIT = String.raw`(days?|d|weeks?|wks?|w|months?|mths?|mo|m|years?|yrs?|y)`;
/** "review in 2 weeks", "f/u: 3 months", "follow-up appointment after 6 wks", "recall 1 year". */
const PLAIN = new RegExp(
  String.raw`\b(?:${ASK})\b[^.;\n]{0,25}?\b(?:in|after|within|at|for)?\s*(?:about |around |approx\.? |~)?${COUNT}\s*(?:-|to)?\s*(?:\d{1,3}\s*)?${UNIT}\b(?!\s+ago)`,
  'gi',
);
/** Clinical shorthand: "2/52" weeks, "5/7" days, "3/12" months (BNF/NHS note conventions). */
const SHORTHAND = new RegExp(String.raw`\b(?:${ASK})\b[^.;\n]{0,20}?\b(\d{1,2})\s*\/\s*(7|52|12)\b`, 'gi');
const NOT_A_REQUEST =
  /\b(?:no (?:further )?(?:follow[ -]?up|f\/u|review|recall)|(?:follow[ -]?up|f\/u|review)s? (?:not|isn't|is not) (?:needed|required|necessary)|discharged|(?:if|when) (?:worse|worsening|not (?:better|improving|improved|settling)|symptoms? (?:persist|return|recur)|needed|required|concerned)|prn|as needed|sos)\b/i;

interface FollowUpRequest {
  /** Interval in days from the record's date. */
  days: number;
  /** The words the interval was read from. */
  phrase: string;
}

function count(word: string): number {
  const w = word.toLowerCase().replace(/ of$/, '');
  return /^\d+$/.test(w) ? Number(w) : (NUMBER_WORDS[w] ?? NaN);
}

function unitDays(unit: string): number {
  const u = unit.toLowerCase();
  if (u.startsWith('d')) return 1;
  if (u.startsWith('w')) return 7;
  if (u.startsWith('y')) return 365;
  return 30; // months: m, mo, mth(s), month(s)
}

/** The follow-up interval a note asks for, or null when it asks for none (or only a conditional one). */
export function followUpRequest(text: string): FollowUpRequest | null {
  const found: { at: number; days: number; phrase: string; conditional: boolean }[] = [];
  for (const m of text.matchAll(PLAIN)) {
    const n = count(m[1]!);
    if (!Number.isFinite(n) || n <= 0) continue;
    found.push({ at: m.index, days: n * unitDays(m[2]!), phrase: m[0], conditional: false });
  }
  for (const m of text.matchAll(SHORTHAND)) {
    const n = Number(m[1]);
    const per = m[2] === '7' ? 1 : m[2] === '52' ? 7 : 30;
    if (n > 0) found.push({ at: m.index, days: n * per, phrase: m[0], conditional: false });
  }
  // A request in the same sentence as a condition ("review in 2 weeks if not better") is conditional.
  const requests = found.filter((f) => {
    const start = Math.max(text.lastIndexOf('.', f.at), text.lastIndexOf('\n', f.at), text.lastIndexOf(';', f.at)) + 1;
    const endDot = text.slice(f.at).search(/[.;\n]/);
    const sentence = text.slice(start, endDot < 0 ? undefined : f.at + endDot);
    return !NOT_A_REQUEST.test(sentence);
  });
  if (!requests.length) return null;
  const last = requests.reduce((a, b) => (b.at >= a.at ? b : a));
  if (last.days > 3 * 365) return null;
  return { days: last.days, phrase: last.phrase.trim() };
}
