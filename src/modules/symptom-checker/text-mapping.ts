/**
 * Text mapping: free text and symptom lists → knowledge-base evidence ids, through the shared
 * clinical text layer (src/modules/clinical-text): concepts matched order-free within a clause,
 * each scoped (negated → absent; historical, hypothetical, generic and figurative mentions are not
 * findings of now), and numbers with units read for what they measure (an age is not a duration).
 *
 * Temperatures become evidence (≥ 38 °C fever, ≥ 39 °C high fever, < 37.5 °C no fever); an age or a
 * gestation stated in the text is returned in `quantities` for the interview to use.
 * Within one text, and across the inputs of one request, the later statement about a finding wins
 * ("no fever yesterday, fever now"); `conflicts` lists such findings so the reply can show them.
 * Nothing here throws on user text: what cannot be mapped is returned as `unrecognised` with the
 * closest evidence as suggestions.
 */
import type { KnowledgeBase } from './kb/types.js';
import { getModel } from './inference.js';
import { HYPO_GLUCOSE_MMOL } from './complaint-triage.js';
import type { EvidenceState } from './inference.js';
import { editDistance } from '../../platform/text.js';
import { parseQuantities, stem, understand, type Quantities } from '../clinical-text/index.js';

export { editDistance, stem };

export interface Mention {
  evidence_id: string;
  name: string;
  state: EvidenceState;
  /** The matched words of the input. */
  text: string;
}

export interface Suggestion {
  id: string;
  name: string;
}

export interface Unrecognised {
  text: string;
  suggestions: Suggestion[];
}

export interface MappingResult {
  /** Final state per evidence (later mentions win within a text). */
  evidence: Record<string, EvidenceState>;
  mentions: Mention[];
  unrecognised: Unrecognised[];
  duration_days?: number;
  quantities: Quantities;
}

export { normalise } from './suggest-index.js';
import { normalise } from './suggest-index.js';

/** Days of the first duration in a text ("for 3 days", "since Tuesday"), never an age. */
export function parseDurationDays(text: string, now?: Date): number | undefined {
  return parseQuantities(text, now).duration_days;
}

/** Duration option of the `duration` group for a number of days. */
export function durationOption(days: number): string {
  if (days < 1) return 'dur_lt_1d';
  if (days <= 7) return 'dur_1_7d';
  if (days <= 28) return 'dur_1_4w';
  return 'dur_gt_4w';
}

/** Fever evidence implied by a stated temperature (NICE NG143: fever is ≥ 38 °C). */
function temperatureEvidence(c: number): [string, EvidenceState][] {
  if (c >= 39)
    return [
      ['fever', 'present'],
      ['fever_high', 'present'],
    ];
  if (c >= 38)
    return [
      ['fever', 'present'],
      ['fever_high', 'absent'],
    ];
  // Below 35 °C is hypothermia for anyone (NHS); below 36 °C only in a baby, which the interview
  // decides once it knows the age (BABY_LOW_TEMP_C in complaint-triage.ts).
  if (c < 35)
    return [
      ['fever', 'absent'],
      ['temp_low', 'present'],
    ];
  if (c < 37.5) return [['fever', 'absent']];
  return [];
}

/** Maps one free text to evidence (with scope). Never throws. */
export function mapText(kb: KnowledgeBase, text: string, now?: Date): MappingResult {
  const model = getModel(kb);
  const u = understand(model.lexicon, typeof text === 'string' ? text : '', now);
  const mentions: Mention[] = [];
  for (const m of [...u.mentions].sort((a, b) => a.start - b.start)) {
    const i = model.evIndex.get(m.concept);
    if (i === undefined) continue;
    let state: EvidenceState;
    if (m.status === 'affirmed' || m.status === 'resolved') state = 'present';
    else if (m.status === 'negated') state = 'absent';
    // A risk factor is history by nature ("spleen removed years ago", "back from Nigeria 2 weeks ago").
    else if (m.status === 'historical' && model.evidence[i]!.type === 'risk_factor') state = 'present';
    else continue; // history, hypotheticals, questions, idioms: not a finding of now
    mentions.push({ evidence_id: m.concept, name: model.evidence[i]!.name, state, text: u.text.slice(m.start, m.end) });
  }
  const evidence: Record<string, EvidenceState> = {};
  // A more specific mention of the same words wins over a shorter one only by order of appearance.
  for (const m of mentions) evidence[m.evidence_id] = m.state;
  if (u.quantities.temperature_c !== undefined) {
    for (const [id, s] of temperatureEvidence(u.quantities.temperature_c)) {
      if (!model.evIndex.has(id) || (s === 'absent' && evidence[id] === 'present' && id !== 'fever')) continue;
      evidence[id] = s;
      mentions.push({ evidence_id: id, name: model.evidence[model.evIndex.get(id)!]!.name, state: s, text: `${u.quantities.temperature_c} °C` });
    }
  }
  const g = u.quantities.glucose_mmol;
  if (g !== undefined && g < HYPO_GLUCOSE_MMOL && model.evIndex.has('blood_glucose_low') && evidence['blood_glucose_low'] === undefined) {
    evidence['blood_glucose_low'] = 'present';
    mentions.push({
      evidence_id: 'blood_glucose_low',
      name: model.evidence[model.evIndex.get('blood_glucose_low')!]!.name,
      state: 'present',
      text: `${g} mmol/L`,
    });
  }
  if (u.quantities.gestation_weeks !== undefined && model.evIndex.has('pregnant')) evidence['pregnant'] = 'present';
  const result: MappingResult = { evidence, mentions, unrecognised: [], quantities: u.quantities };
  if (u.quantities.duration_days !== undefined) result.duration_days = u.quantities.duration_days;
  return result;
}

/** Closest evidence to an unrecognised phrase (by stem overlap and edit distance). */
/** Suggestions are for short phrases a person typed as a symptom; longer text gets none. */
const SUGGEST_MAX_CHARS = 60;
/** At most this many unrecognised inputs of one request get suggestions (bounds the work). */
const SUGGEST_MAX_ITEMS = 3;

export function suggest(kb: KnowledgeBase, text: string, limit = 3): Suggestion[] {
  if (text.length > SUGGEST_MAX_CHARS) return [];
  const names = getModel(kb).suggestIndex;
  const norm = normalise(text).trim();
  const words = norm
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 2)
    .map(stem);
  const scored: { id: string; name: string; score: number }[] = [];
  for (const n of names) {
    let score = 0;
    for (const w of words) {
      if (n.stems.has(w)) score += 1;
      else
        for (const s of n.stems) {
          if (s.length >= 4 && w.length >= 4 && (s.startsWith(w) || w.startsWith(s))) {
            score += 0.6;
            break;
          }
          // Typos rarely change the first letter; checking only those keeps this loop cheap.
          if (s[0] === w[0] && editDistance(s, w, 2) <= (w.length >= 7 ? 2 : 1)) {
            score += 0.7;
            break;
          }
        }
    }
    // Whole-phrase similarity against the name and the first synonyms only: the full synonym lists
    // (thousands of phrases) would make one unrecognised phrase cost tens of milliseconds.
    for (const t of n.texts.slice(0, 6)) {
      const max = Math.max(2, Math.floor(t.length / 3));
      const d = editDistance(norm, t, max);
      if (d <= max) score = Math.max(score, 1.5 * (1 - d / (max + 1)));
    }
    if (score > 0.5) scored.push({ id: n.id, name: n.name, score });
  }
  return scored
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map(({ id, name }) => ({ id, name }));
}

/**
 * Maps a list of symptom strings and an optional free text. List items that map to nothing are
 * `unrecognised` with suggestions; a free text that maps to nothing is unrecognised as a whole.
 * `conflicts` lists evidence ids stated present in one input and absent in another.
 */
export function mapSymptoms(kb: KnowledgeBase, symptoms: string[], text?: string): MappingResult & { conflicts: string[] } {
  const evidence: Record<string, EvidenceState> = {};
  const mentions: Mention[] = [];
  const unrecognised: Unrecognised[] = [];
  const conflicts = new Set<string>();
  let duration: number | undefined;
  const quantities: Quantities = {};
  const merge = (r: MappingResult) => {
    for (const [k, v] of Object.entries(r.quantities) as [keyof Quantities, number][]) {
      if (k === 'temperature_c') quantities[k] = Math.max(quantities[k] ?? v, v);
      else quantities[k] ??= v;
    }
    for (const [id, s] of Object.entries(r.evidence)) {
      if (evidence[id] !== undefined && evidence[id] !== s) conflicts.add(id);
      evidence[id] = s;
    }
    mentions.push(...r.mentions);
    if (r.duration_days !== undefined && duration === undefined) duration = r.duration_days;
  };
  for (const s of symptoms) {
    if (typeof s !== 'string' || s.trim() === '') continue;
    const r = mapText(kb, s);
    if (r.mentions.length === 0) unrecognised.push({ text: s, suggestions: unrecognised.length < SUGGEST_MAX_ITEMS ? suggest(kb, s) : [] });
    merge(r);
  }
  if (text && text.trim()) {
    const r = mapText(kb, text);
    if (r.mentions.length === 0 && Object.keys(r.quantities).length === 0)
      unrecognised.push({ text, suggestions: unrecognised.length < SUGGEST_MAX_ITEMS ? suggest(kb, text) : [] });
    merge(r);
  }
  const out: MappingResult & { conflicts: string[] } = { evidence, mentions, unrecognised, conflicts: [...conflicts], quantities };
  if (duration !== undefined) out.duration_days = duration;
  return out;
}
