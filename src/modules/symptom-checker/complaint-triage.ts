/**
 * Complaint-based triage, separate from diagnosis (kb/complaints.json, documented in
 * kb/COMPLAINTS.md): the way the Manchester Triage System and NHS 111 work, the presenting
 * complaint(s) bring a list of discriminators ordered from most to least urgent, and general
 * discriminators (airway, breathing, consciousness, haemorrhage, population floors such as fever in
 * a baby under 3 months) apply to every presentation. The most urgent discriminator that is present
 * sets a floor on the triage level; the differential (triage.ts) may raise it, never lower it.
 *
 * The interview must not stop while an emergency-level discriminator of an active complaint (or a
 * general one) is still unanswered: `pendingDiscriminatorEvidence` lists what to ask, most urgent
 * first.
 */
import type { AgeRange, Complaint, Discriminator, KnowledgeBase, Sex, TriageLevel } from './kb/types.js';
import { triageRank } from './kb/types.js';
import type { EvidenceMap } from './inference.js';

/**
 * A stated heart rate at or above this, from age 12, is a racing heart (palpitations) whatever words
 * go with it: Resuscitation Council UK adult tachycardia algorithm (a rate over 150/min is likely an
 * arrhythmia); children's normal rates run higher (NICE NG143: > 160 under 1 year is tachycardia).
 */
export const TACHYCARDIA_RATE = 150;
export const TACHYCARDIA_MIN_AGE = 12;
/** NHS "Low blood sugar (hypoglycaemia)": a stated blood sugar below 4 mmol/L is a hypo. */
export const HYPO_GLUCOSE_MMOL = 4;
/** Under 1 year, a temperature below this is low (WHO IMCI young infant; NICE NG51 lists < 36 °C as a sepsis risk). */
export const BABY_LOW_TEMP_C = 36;

export interface TriagePatient {
  age: number;
  sex: Sex;
  pregnant: boolean | null;
  gestation_weeks?: number | null;
}

export interface FiredDiscriminator {
  id: string;
  name: string;
  level: Exclude<TriageLevel, 'self_care'>;
  complaint: string | null;
  source: string;
}

function inAge(range: AgeRange | undefined, age: number): boolean {
  if (!range) return true;
  if (range.min_years !== undefined && age < range.min_years) return false;
  if (range.max_years !== undefined && age >= range.max_years) return false;
  return true;
}

function discriminatorApplies(d: Discriminator, p: TriagePatient): boolean {
  if (!inAge(d.age, p.age)) return false;
  if (d.sex && d.sex !== p.sex) return false;
  if (d.pregnancy) {
    if (p.pregnant !== true) return false;
    const w = p.gestation_weeks;
    // Unknown gestation: the rule applies (a pregnancy problem is never dismissed for want of a date).
    if (w !== undefined && w !== null) {
      if (d.pregnancy.min_weeks !== undefined && w < d.pregnancy.min_weeks) return false;
      if (d.pregnancy.max_weeks !== undefined && w >= d.pregnancy.max_weeks) return false;
    }
  }
  return true;
}

/**
 * Whether the discriminator with this id applies to this patient (age, sex, pregnancy); undefined
 * for an unknown id. The emergency detector reads text without knowing who is ill, so it tries
 * several ages; the checker, which knows the patient, drops what does not apply to them.
 */
export function discriminatorAppliesTo(kb: KnowledgeBase, id: string, p: TriagePatient): boolean | undefined {
  const d = kb.complaints.general.find((x) => x.id === id) ?? kb.complaints.complaints.flatMap((c) => c.discriminators).find((x) => x.id === id);
  return d === undefined ? undefined : discriminatorApplies(d, p);
}

/** Complaints whose trigger findings are present, for this patient's age. */
export function activeComplaints(kb: KnowledgeBase, ev: EvidenceMap, p: TriagePatient): Complaint[] {
  return kb.complaints.complaints.filter((c) => inAge(c.age, p.age) && c.triggers.some((t) => ev[t] === 'present'));
}

/** Applicable discriminators in asking order: general first (life threats), then each complaint's. */
export function applicableDiscriminators(kb: KnowledgeBase, ev: EvidenceMap, p: TriagePatient): { d: Discriminator; complaint: string | null }[] {
  const out: { d: Discriminator; complaint: string | null }[] = [];
  for (const d of kb.complaints.general) if (discriminatorApplies(d, p)) out.push({ d, complaint: null });
  for (const c of activeComplaints(kb, ev, p)) for (const d of c.discriminators) if (discriminatorApplies(d, p)) out.push({ d, complaint: c.id });
  return out;
}

function fires(d: Discriminator, ev: EvidenceMap): boolean {
  if (d.all && !d.all.every((e) => ev[e] === 'present')) return false;
  if (d.any && d.any.length > 0 && !d.any.some((e) => ev[e] === 'present')) return false;
  return (d.all?.length ?? 0) + (d.any?.length ?? 0) > 0;
}

function ruledOut(d: Discriminator, ev: EvidenceMap): boolean {
  if (d.all?.some((e) => ev[e] === 'absent')) return true;
  if (d.any && d.any.length > 0 && d.any.every((e) => ev[e] === 'absent')) return true;
  return false;
}

/** Discriminators present now, most urgent first. */
export function firedDiscriminators(kb: KnowledgeBase, ev: EvidenceMap, p: TriagePatient): FiredDiscriminator[] {
  const seen = new Set<string>();
  const out: FiredDiscriminator[] = [];
  for (const { d, complaint } of applicableDiscriminators(kb, ev, p)) {
    if (seen.has(d.id) || !fires(d, ev)) continue;
    seen.add(d.id);
    out.push({ id: d.id, name: d.name, level: d.level, complaint, source: d.source });
  }
  return out.sort((a, b) => triageRank(b.level) - triageRank(a.level));
}

/**
 * Evidence still to ask before the interview may stop: for every applicable discriminator at
 * `minLevel` or above that is neither present nor ruled out, its first unanswered finding. Each
 * finding once, in this order:
 *  1. discriminators already partly present ("fever" known, "on chemotherapy?" missing);
 *  2. the presenting complaints' own discriminators, most urgent first;
 *  3. general discriminators for a population (a baby's floppiness, a pregnancy's bleeding).
 * General discriminators with nothing present and no population are not asked: a person typing to
 * us is breathing and conscious, and the text layer catches those if they are mentioned (MTS assesses
 * them by observation, not by asking). `isAskable` filters findings that cannot be asked.
 */
export function pendingDiscriminatorEvidence(
  kb: KnowledgeBase,
  ev: EvidenceMap,
  p: TriagePatient,
  minLevel: TriageLevel,
  isAskable: (evidenceId: string) => boolean,
): { evidence: string; discriminator: string; level: TriageLevel }[] {
  const min = triageRank(minLevel);
  const out: { evidence: string; discriminator: string; level: TriageLevel; tier: number }[] = [];
  const seen = new Set<string>();
  for (const { d, complaint } of applicableDiscriminators(kb, ev, p)) {
    if (triageRank(d.level) < min || fires(d, ev) || ruledOut(d, ev)) continue;
    const ids = [...(d.all ?? []), ...(d.any ?? [])];
    const partial = ids.some((e) => ev[e] === 'present');
    const population = d.age !== undefined || d.pregnancy !== undefined || d.sex !== undefined;
    const tier = partial ? 0 : complaint !== null ? 1 : population ? 2 : -1;
    if (tier < 0) continue;
    const ask = ids.find((e) => ev[e] === undefined && isAskable(e));
    if (ask === undefined || seen.has(ask)) continue;
    seen.add(ask);
    out.push({ evidence: ask, discriminator: d.id, level: d.level, tier });
  }
  return out
    .sort((a, b) => a.tier - b.tier || triageRank(b.level) - triageRank(a.level))
    .map(({ evidence, discriminator, level }) => ({ evidence, discriminator, level }));
}
