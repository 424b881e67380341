/**
 * Triage on the Infermedica scale from the condition posterior and red flags.
 *
 * 1. Red flags first: any present evidence marked `red_flag` sets the level at once to its
 *    `red_flag_level` (default `emergency`), whatever the probabilities say; so do the compound
 *    rules in kb/red-flag-rules.json (e.g. fever in a baby under 3 months) and emergencies found
 *    in the free text by the emergency detector. The reason names each flag.
 * 2. Otherwise probability-weighted: for each level L from the most urgent down, the cumulative
 *    probability of conditions whose typical level is L or more urgent is compared with a
 *    threshold θ_L (kb/meta.json). The first level whose cumulative mass reaches its threshold
 *    wins; if none does, `self_care`. Thresholds fall with urgency (θ_ambulance < θ_consultation):
 *    the cost of missing a time-critical condition is much higher than that of over-triage.
 * The result never goes below the red-flag level.
 */
import { TRIAGE_LEVELS, triageRank } from './kb/types.js';
import type { TriageLevel } from './kb/types.js';
import type { CompiledModel, PatientContext } from './inference.js';

export const DISCLAIMER =
  'This is not a diagnosis. It is an automated estimate from the answers you gave and cannot replace ' +
  'an examination by a health professional. If you feel very unwell, your symptoms get worse, or you ' +
  'are worried, contact a doctor. In an emergency call your local emergency number (999 / 112 / 911).';

export interface RedFlag {
  id: string;
  name: string;
  level: 'emergency' | 'emergency_ambulance';
  source: 'evidence' | 'rule' | 'text' | 'discriminator';
}

export interface TriageResult {
  level: TriageLevel;
  reason: string;
  red_flags: RedFlag[];
}

/** What each level asks the patient to do, for the reasons shown with the advice. */
export const LEVEL_TEXT: Record<TriageLevel, string> = {
  emergency_ambulance: 'call an ambulance now',
  emergency: 'go to an emergency department now',
  consultation_24: 'see a doctor within 24 hours',
  consultation: 'book an appointment with a doctor',
  self_care: 'self-care is likely enough; see a doctor if it gets worse or does not improve',
};

/** Red flags present in the evidence (dense: 1 present, -1 absent, 0 unknown). */
export function findRedFlags(model: CompiledModel, ev: Int8Array, patient: PatientContext): RedFlag[] {
  const flags: RedFlag[] = [];
  for (let e = 0; e < model.nE; e++) {
    const item = model.evidence[e]!;
    if (ev[e] === 1 && item.red_flag) {
      flags.push({ id: item.id, name: item.name, level: item.red_flag_level ?? 'emergency', source: 'evidence' });
    }
  }
  for (const rule of model.kb.red_flag_rules) {
    if (rule.min_age !== undefined && patient.age < rule.min_age) continue;
    if (rule.max_age !== undefined && patient.age >= rule.max_age) continue;
    if (
      rule.all.every((id) => {
        const i = model.evIndex.get(id);
        return i !== undefined && ev[i] === 1;
      })
    ) {
      flags.push({ id: rule.id, name: rule.reason, level: rule.level, source: 'rule' });
    }
  }
  return flags;
}

export function computeTriage(model: CompiledModel, post: Float64Array, redFlags: RedFlag[]): TriageResult {
  const th = model.kb.meta.triage_thresholds;
  // Cumulative mass per rank and the most probable condition at each level, for the reason.
  const mass = [0, 0, 0, 0, 0];
  const top: (number | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  for (let c = 0; c < model.nC; c++) {
    const r = model.triageRank[c]!;
    mass[r]! += post[c]!;
    const t = top[r];
    if (t === undefined || post[c]! > post[t]!) top[r] = c;
  }
  let level: TriageLevel = 'self_care';
  let cum = 0;
  let reason = '';
  for (const L of TRIAGE_LEVELS) {
    if (L === 'self_care') break;
    const r = triageRank(L);
    cum += mass[r]!;
    if (cum >= th[L]) {
      level = L;
      // Name the most probable condition at this level or above.
      let best: number | undefined;
      for (let rr = r; rr <= 4; rr++) {
        const t = top[rr];
        if (t !== undefined && (best === undefined || post[t]! > post[best]!)) best = t;
      }
      const c = best !== undefined ? model.conditions[best]! : undefined;
      reason =
        `${Math.round(cum * 100)}% combined probability of conditions that need you to ${LEVEL_TEXT[L]}` +
        (c ? ` (most likely of these: ${c.name}, ${Math.round(post[best!]! * 100)}%).` : '.');
      break;
    }
  }
  if (!reason) reason = `The most likely causes usually get better with self-care (${LEVEL_TEXT.self_care}).`;

  if (redFlags.length > 0) {
    const flagLevel = redFlags.some((f) => f.level === 'emergency_ambulance') ? 'emergency_ambulance' : 'emergency';
    if (triageRank(flagLevel) > triageRank(level)) level = flagLevel;
    const names = [...new Set(redFlags.map((f) => f.name))].join('; ');
    reason = `Red flag: ${names}. This needs urgent assessment: ${LEVEL_TEXT[level]}.`;
  }
  return { level, reason, red_flags: redFlags };
}
