/**
 * Screening one message for emergencies with the knowledge base's own concepts and triage rules, so
 * that chat, the assistants and the symptom checker judge the same words the same way (the emergency
 * detector in src/modules/emergency builds on this).
 *
 * The message is read by the clinical text layer (concepts with scope, numbers with units). Findings
 * stated as present now (affirmed, also about someone else who is with the writer) fire
 *  - red-flag findings (kb/evidence.json `red_flag`),
 *  - compound rules (kb/red-flag-rules.json),
 *  - emergency-level discriminators, general and of every complaint the message presents
 *    (kb/complaints.json),
 * for the person described: an age or pregnancy stated in the message is used; when unstated, rules
 * that need an age band or a sex are tried for every band and sex the message allows, so an
 * unstated detail never hides an emergency. Findings that have settled ("it's gone now") fire at
 * most at `consultation_24`; negated, historical, hypothetical, generic and figurative mentions
 * never fire.
 */
import { understand } from '../clinical-text/index.js';
import type { Quantities } from '../clinical-text/index.js';
import { getKnowledgeBase } from './kb/loader.js';
import type { KnowledgeBase, Sex } from './kb/types.js';
import { denseEvidence, getModel } from './inference.js';
import type { EvidenceMap } from './inference.js';
import { BABY_LOW_TEMP_C, HYPO_GLUCOSE_MMOL, TACHYCARDIA_MIN_AGE, TACHYCARDIA_RATE, firedDiscriminators } from './complaint-triage.js';
import type { TriagePatient } from './complaint-triage.js';
import { findRedFlags } from './triage.js';

export interface ScreenedFlag {
  id: string;
  name: string;
  level: 'emergency_ambulance' | 'emergency' | 'consultation_24';
  /** An emergency read only from a statement that it has passed, hence `consultation_24`. */
  settled?: boolean;
  /** The complaint whose discriminator fired (null for general ones and red-flag findings). */
  complaint: string | null;
  /** Evidence ids that made it fire. */
  evidence: string[];
  /** Character range in the message covering the findings that made it fire. */
  start: number;
  end: number;
}

export interface Screening {
  flags: ScreenedFlag[];
  concepts: { id: string; status: string; start: number; end: number }[];
  quantities: Quantities;
}

/**
 * Ages tried when the message states none: adults always; babies and children only when the
 * message speaks of one (an infant-only rule must not fire on an adult's breathlessness).
 */
const ADULT_PROBES = [30, 75];
const BABY_WORDS =
  /\b(?:baby|babies|infant|newborn|new born|neonate|toddler|bub|little one|month old|months old|week old|weeks old|nappy|nappies|diaper|breastfe\w*|formula|bottle)\b/i;
const CHILD_WORDS = /\b(?:child|children|kid|kids|son|daughter|boy|girl|toddler|year old|years old|yo|school)\b/i;
function agesFor(text: string, q: Quantities): number[] {
  if (q.age_years !== undefined) return [q.age_years];
  const ages = [...ADULT_PROBES];
  if (BABY_WORDS.test(text)) ages.push(0.1, 0.4, 1);
  if (CHILD_WORDS.test(text)) ages.push(4, 10);
  return ages;
}

export function screenText(text: string, kb: KnowledgeBase = getKnowledgeBase()): Screening {
  const model = getModel(kb);
  const u = understand(model.lexicon, text);
  const spans = new Map<string, { start: number; end: number }>();
  const affirmed: EvidenceMap = {};
  const settled: EvidenceMap = {};
  for (const m of u.mentions) {
    if (m.status === 'affirmed') {
      affirmed[m.concept] = 'present';
      spans.set(m.concept, { start: m.start, end: m.end });
    } else if (m.status === 'resolved') {
      settled[m.concept] = 'present';
      if (!spans.has(m.concept)) spans.set(m.concept, { start: m.start, end: m.end });
    }
  }
  // A present refinement implies its finding ("pain spreading to the jaw" is chest pain) — unless the
  // writer denied that finding and never affirmed it ("left arm sore from the gym, no chest pain").
  const denied = new Set(u.mentions.filter((m) => m.status === 'negated').map((m) => m.concept));
  for (const [id] of Object.entries(affirmed)) {
    const p = model.evidence[model.evIndex.get(id) ?? -1]?.parent;
    if (p && denied.has(p) && affirmed[p] !== 'present') delete affirmed[id];
  }
  for (const [id] of Object.entries(affirmed)) {
    const parent = model.evidence[model.evIndex.get(id) ?? -1]?.parent;
    if (parent) affirmed[parent] = 'present';
  }
  const t = u.quantities.temperature_c;
  if (t !== undefined && t >= 38) {
    affirmed['fever'] = 'present';
    if (t >= 39) affirmed['fever_high'] = 'present';
  }
  // A message's reader does not know who is ill: below 35 °C is hypothermia for anyone (NHS); below
  // 36 °C only for a baby (WHO IMCI young infant), so an adult's 35.9 is not an alarm by itself.
  if (t !== undefined && (t < 35 || (t < BABY_LOW_TEMP_C && ((u.quantities.age_years ?? 99) < 1 || BABY_WORDS.test(u.text))))) affirmed['temp_low'] = 'present';
  const g = u.quantities.glucose_mmol;
  if (g !== undefined && g < HYPO_GLUCOSE_MMOL) affirmed['blood_glucose_low'] = 'present';
  const hr = u.quantities.heart_rate;
  if (hr !== undefined && hr >= TACHYCARDIA_RATE && (u.quantities.age_years ?? TACHYCARDIA_MIN_AGE) >= TACHYCARDIA_MIN_AGE && !BABY_WORDS.test(u.text)) {
    affirmed['palpitations'] = 'present';
  }
  const pregnant = u.quantities.gestation_weeks !== undefined || affirmed['pregnant'] === 'present';
  const ages = agesFor(u.text, u.quantities);
  const sexes: Sex[] = pregnant ? ['female'] : ['female', 'male'];

  const flags = new Map<string, ScreenedFlag>();
  const index = indexOf(kb);
  const fire = (ev: EvidenceMap, settledOnly: boolean) => {
    for (const age of ages) {
      for (const sex of sexes) {
        const patient: TriagePatient = { age, sex, pregnant, gestation_weeks: u.quantities.gestation_weeks ?? null };
        const found: Omit<ScreenedFlag, 'start' | 'end'>[] = [];
        for (const d of firedDiscriminators(kb, ev, patient)) {
          if (d.level !== 'emergency' && d.level !== 'emergency_ambulance') continue;
          const disc = index.discriminators.get(d.id);
          const evidence = [...(disc?.all ?? []), ...(disc?.any ?? [])].filter((e) => ev[e] === 'present');
          found.push({ id: d.id, name: d.name, level: d.level, complaint: d.complaint, evidence });
        }
        for (const f of findRedFlags(model, denseEvidence(model, ev), { age, sex })) {
          const evidence = f.source === 'evidence' ? [f.id] : (index.rules.get(f.id)?.all ?? []);
          found.push({ id: f.id, name: f.name, level: f.level, complaint: null, evidence });
        }
        for (const f of found) {
          if (flags.has(f.id)) continue;
          const ranges = f.evidence.map((e) => spans.get(e)).filter((r): r is { start: number; end: number } => r !== undefined);
          const start = ranges.length ? Math.min(...ranges.map((r) => r.start)) : 0;
          const end = ranges.length ? Math.max(...ranges.map((r) => r.end)) : 0;
          flags.set(f.id, settledOnly ? { ...f, level: 'consultation_24', settled: true, start, end } : { ...f, start, end });
        }
      }
    }
  };
  fire(affirmed, false);
  if (Object.keys(settled).length) fire({ ...settled, ...affirmed }, true);
  return {
    flags: [...flags.values()],
    concepts: u.mentions.map((m) => ({ id: m.concept, status: m.status, start: m.start, end: m.end })),
    quantities: u.quantities,
  };
}

type Discriminator = KnowledgeBase['complaints']['general'][number];
type RedFlagRule = KnowledgeBase['red_flag_rules'][number];

/** Discriminators (general and per complaint) and red-flag rules by id, built once per knowledge base. */
const indexes = new WeakMap<KnowledgeBase, { discriminators: Map<string, Discriminator>; rules: Map<string, RedFlagRule> }>();
function indexOf(kb: KnowledgeBase) {
  let index = indexes.get(kb);
  if (!index) {
    const discriminators = new Map<string, Discriminator>();
    for (const d of kb.complaints.general) if (!discriminators.has(d.id)) discriminators.set(d.id, d);
    for (const c of kb.complaints.complaints) for (const d of c.discriminators) if (!discriminators.has(d.id)) discriminators.set(d.id, d);
    const rules = new Map<string, RedFlagRule>();
    for (const r of kb.red_flag_rules) if (!rules.has(r.id)) rules.set(r.id, r);
    index = { discriminators, rules };
    indexes.set(kb, index);
  }
  return index;
}
