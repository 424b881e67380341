/**
 * Emergency detection (docs/API.md §7.2): pure, synchronous, no I/O.
 *
 *   text → normalise (lowercase, typos, contractions) → concept mentions (lexicon regexes)
 *        → scope each mention (negated / historical / hypothetical / generic / figurative /
 *          resolved / affirmed, see context.ts) → rules (combinations of affirmed concepts)
 *        → highest level, matched phrases with offsets in the original text, advice.
 *
 * A rule whose mentions are affirmed fires at its level; one whose mentions are only affirmed or
 * resolved ("I had chest pain yesterday but it's gone now") fires at most at `consultation_24`.
 * Input longer than MAX_INPUT_CHARS is analysed up to that length.
 */
import { buildContext, consumeTriggers, mentionStatus, type ConceptMention, type MentionStatus } from '../clinical-text/index.js';
import { screenText } from '../symptom-checker/index.js';
import { CATEGORY_ADVICE, CONCEPTS, CRISIS_RESOURCES, RULES, type Concept } from './lexicon.js';
import { layReading } from './lay-wording.js';
import { MAX_INPUT_CHARS, normalize, tokenRange } from '../clinical-text/index.js';
import { LEVEL_RANK, type EmergencyCategory, type EmergencyCheck, type EmergencyLevel, type EmergencyMatch } from './types.js';

export type { CrisisResource, EmergencyCategory, EmergencyCheck, EmergencyLevel, EmergencyMatch } from './types.js';
export { MAX_INPUT_CHARS };

/** A phrase-lexicon mention has the shape of a concept mention of the shared text layer. */
type Mention = ConceptMention;

const LEVEL_LEAD: Record<EmergencyLevel, string> = {
  emergency_ambulance:
    'This may be a medical emergency: call an ambulance now (112 in Europe, 911 in the US/Canada, 999 in the UK). Do not wait for an online reply.',
  emergency:
    'This needs urgent medical help: go to the nearest emergency department now, or call 112 / 911 / 999 if the person cannot travel safely or gets worse.',
  consultation_24:
    'No immediate emergency signs were found, but this should be checked by a doctor within 24 hours. If symptoms return, get worse or you feel very unwell, call 112 / 911 / 999.',
  none: 'No emergency warning signs were found in this message. If anyone has severe, sudden or worsening symptoms, call your local emergency number (112 / 911 / 999).',
};

const SELF_HARM_LEAD =
  'Thank you for telling us — you deserve support right now. Please call your local emergency number (112 / 911 / 999) if you are in immediate danger or have hurt yourself, or reach a crisis line now: 988 in the US (call or text), Samaritans on 116 123 in the UK and Ireland.';

/** Every concept mention in `text` with its context status (for debugging and tests). */
export function explainEmergency(text: string): { concept: string; phrase: string; span: [number, number]; status: MentionStatus }[] {
  const input = typeof text === 'string' ? text : '';
  return findMentions(input).map((m) => ({
    concept: m.concept,
    phrase: input.slice(m.start, m.end),
    span: [m.start, m.end],
    status: m.status,
  }));
}

function findMentions(text: string): Mention[] {
  const n = normalize(text);
  const ctx = buildContext(n);
  const raw: { concept: Concept; first: number; last: number }[] = [];
  for (const concept of CONCEPTS) {
    concept.re.lastIndex = 0;
    for (const m of n.canonical.matchAll(concept.re)) {
      if (m[0].length === 0) continue;
      const cs = m.index;
      const ce = cs + m[0].length;
      if (excluded(concept, n.canonical, cs, ce)) continue;
      const [first, last] = tokenRange(n, cs, ce);
      raw.push({ concept, first, last });
    }
  }
  consumeTriggers(ctx, raw);
  return raw.map(({ concept, first, last }) => ({
    concept: concept.id,
    first,
    last,
    start: n.tokens[first]!.start,
    end: n.tokens[last]!.end,
    status: mentionStatus(ctx, first, last, {
      firstPerson: concept.firstPerson === true,
      event: concept.event === true,
      startsNegated: NEGATION_WORD.test(n.tokens[first]!.text),
      exposure: EXPOSURE_CONCEPTS.has(concept.id),
    }),
  }));
}

function excluded(concept: Concept, canonical: string, cs: number, ce: number): boolean {
  if (concept.notFollowedBy && concept.notFollowedBy.test(canonical.slice(ce, ce + 60))) return true;
  if (concept.notPrecededBy && concept.notPrecededBy.test(canonical.slice(Math.max(0, cs - 60), cs))) return true;
  return false;
}

interface Fired {
  rule: string;
  category: EmergencyCategory | string;
  level: EmergencyLevel;
  settled?: boolean;
  start: number;
  end: number;
}

const MAX_PHRASE = 160;
/** Lexicon categories and concepts that are exposures: "I feel fine now" does not settle them (clinical-text MentionOptions.exposure). */
const EXPOSURE_CATEGORIES: ReadonlySet<string> = new Set(['overdose', 'poisoning']);
const EXPOSURE_CONCEPTS: ReadonlySet<string> = new Set(['overdose']);
const NEGATION_WORD = /^(?:not|no|never|cannot|\p{L}+n't)$/u;

/** The phrase lexicon's verdict alone (lexicon.ts). */
function lexiconFired(input: string): Fired[] {
  const mentions = findMentions(input);

  const byConcept = new Map<string, Mention[]>();
  for (const m of mentions) {
    const list = byConcept.get(m.concept);
    if (list) list.push(m);
    else byConcept.set(m.concept, [m]);
  }

  const fired: Fired[] = [];
  for (const rule of RULES) {
    const chosen: Mention[] = [];
    let resolvedOnly = false;
    let ok = true;
    for (const id of rule.all) {
      const list = byConcept.get(id);
      const affirmed = list?.find((m) => m.status === 'affirmed');
      const resolved = list?.find((m) => m.status === 'resolved');
      const pick = affirmed ?? resolved;
      if (!pick) {
        ok = false;
        break;
      }
      if (!affirmed) resolvedOnly = true;
      chosen.push(pick);
    }
    if (!ok || chosen.length === 0) continue;
    let level = rule.level;
    // Feeling fine after an overdose or a poisoning is not recovery (text-screen.ts, EXPOSURES).
    let settled = false;
    if (resolvedOnly && !EXPOSURE_CATEGORIES.has(rule.category) && LEVEL_RANK[level] > LEVEL_RANK.consultation_24) {
      level = 'consultation_24';
      settled = true;
    }
    // Span: the whole combination when it is short, otherwise the first concept's mention.
    let start = Math.min(...chosen.map((m) => m.start));
    let end = Math.max(...chosen.map((m) => m.end));
    if (end - start > MAX_PHRASE) {
      start = chosen[0]!.start;
      end = chosen[0]!.end;
    }
    fired.push({ rule: rule.id, category: rule.category, level, start, end, ...(settled ? { settled } : {}) });
  }
  return fired;
}

/** Complaint ids of kb/complaints.json → the detector's categories (the others keep their id). */
const COMPLAINT_CATEGORY: Record<string, EmergencyCategory> = {
  chest_pain: 'cardiac',
  palpitations: 'cardiac',
  breathlessness: 'breathing',
  breathing_problem_child: 'breathing',
  choking_foreign_body: 'breathing',
  drowning: 'breathing',
  allergic_reaction: 'anaphylaxis',
  limb_weakness_numbness: 'stroke',
  speech_problem: 'stroke',
  confusion: 'stroke',
  seizure: 'seizure',
  collapse: 'unconscious',
  head_injury: 'head_injury',
  wound_bleeding: 'bleeding',
  vomiting_blood: 'bleeding',
  rectal_bleeding: 'bleeding',
  burns: 'burns',
  testicular_pain: 'testicular_torsion',
  overdose_poisoning: 'overdose',
  gas_inhalation: 'overdose',
  mental_health_crisis: 'self_harm',
  pregnancy_problem: 'pregnancy',
  vaginal_bleeding: 'pregnancy',
  postnatal_problem: 'pregnancy',
  fever_infant: 'infant',
  unwell_baby: 'infant',
  crying_baby: 'infant',
  abdominal_pain_adult: 'acute_abdomen',
  abdominal_pain_child: 'acute_abdomen',
  fever_adult: 'sepsis',
  fever_child: 'sepsis',
  rash: 'meningitis',
};

/** Rules of the symptom checker's knowledge base on the shared concepts (text-screen.ts). */
function conceptFired(input: string): Fired[] {
  return screenText(input).flags.map((f) => ({
    rule: `kb.${f.id}`,
    category: (f.complaint && COMPLAINT_CATEGORY[f.complaint]) || (f.complaint ?? 'general'),
    level: f.level,
    start: f.start,
    end: f.end,
    ...(f.settled ? { settled: true } : {}),
  }));
}

/**
 * The message as written, then — when that finds no emergency — a reading of it with chat wording
 * put in words the lexicon knows (lay-wording.ts): "my chest is paining", "I got stabbed".
 */
export function detectEmergency(text: string): EmergencyCheck {
  const input = typeof text === 'string' ? text : '';
  const asWritten = detectAsWritten(input);
  if (asWritten.is_emergency) return asWritten;
  const reading = layReading(input);
  if (reading === null) return asWritten;
  const reread = detectAsWritten(reading);
  if (!reread.is_emergency) return asWritten;
  // The reading's offsets do not point into the message: the whole message is the span, and the
  // phrase is the reading's (what was understood), not a slice of what was typed.
  return { ...reread, matched: reread.matched.map((m) => ({ ...m, span: [0, input.length] })) };
}

function detectAsWritten(input: string): EmergencyCheck {
  const fired = [...conceptFired(input), ...lexiconFired(input)];

  let level: EmergencyLevel = 'none';
  for (const f of fired) if (LEVEL_RANK[f.level] > LEVEL_RANK[level]) level = f.level;

  // Report each rule once; drop a rule whose span and category repeat a more urgent one.
  fired.sort((a, b) => LEVEL_RANK[b.level] - LEVEL_RANK[a.level] || a.start - b.start);
  const matched: EmergencyMatch[] = [];
  const seen = new Set<string>();
  for (const f of fired) {
    const key = `${f.category}:${f.start}:${f.end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    matched.push({
      category: f.category,
      phrase: input.slice(f.start, f.end),
      span: [f.start, f.end],
      rule: f.rule,
      level: f.level,
      ...(f.settled ? { settled: true } : {}),
    });
  }

  const isEmergency = LEVEL_RANK[level] >= LEVEL_RANK.emergency;
  const selfHarm = fired.some((f) => f.category === 'self_harm' && LEVEL_RANK[f.level] >= LEVEL_RANK.emergency);
  const result: EmergencyCheck = {
    is_emergency: isEmergency,
    level,
    matched,
    advice: buildAdvice(level, fired, selfHarm),
  };
  if (selfHarm) result.crisis_resources = CRISIS_RESOURCES.map((r) => ({ name: r.name, contact: r.contact }));
  return result;
}

function buildAdvice(level: EmergencyLevel, fired: Fired[], selfHarm: boolean): string {
  const parts: string[] = [];
  if (selfHarm) parts.push(SELF_HARM_LEAD);
  if (!selfHarm || level !== 'emergency') parts.push(LEVEL_LEAD[level]);
  const categories: EmergencyCategory[] = [];
  for (const f of fired) {
    if (f.level !== level && !(selfHarm && f.category === 'self_harm')) continue;
    const c = f.category as EmergencyCategory;
    if (CATEGORY_ADVICE[c] !== undefined && !categories.includes(c)) categories.push(c);
  }
  for (const c of categories.slice(0, 3)) parts.push(CATEGORY_ADVICE[c]);
  return parts.join(' ');
}
