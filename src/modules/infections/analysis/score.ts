import type { Features } from './analyse.js';

/**
 * From features to labels and risk (docs/DERMA.md, "Rules"). Nothing here was fitted to
 * outcome data: the weights are Stolz's ABCD rule for pigmented lesions and written rules for
 * the inflammatory classes, and the probabilities are a soft version of those rules with a
 * fixed share kept for "unclear". They say how strongly the rules point, not how often the
 * label is right.
 */
export const LABELS = [
  'benign_naevus',
  'atypical_pigmented_lesion',
  'melanoma_suspected',
  'eczema_dermatitis',
  'tinea_fungal',
  'bacterial_infection',
  'unclear',
] as const;
export type Label = (typeof LABELS)[number];
export type Risk = 'low' | 'medium' | 'high';

/** Stolz et al. 1994: TDS = 1.3·A + 0.1·B + 0.5·C + 0.5·D; < 4.75 benign, 4.75–5.45 suspicious, > 5.45 melanoma likely. */
export const TDS_WEIGHTS = { A: 1.3, B: 0.1, C: 0.5, D: 0.5 } as const;
export const TDS_SUSPICIOUS = 4.75;
export const TDS_MELANOMA = 5.45;

export interface Scored {
  kind: 'pigmented' | 'inflammatory';
  pigmented_probability: number;
  tds: number;
  predictions: { label: Label; probability: number }[];
  top_label: Label;
  confidence: number;
  risk: Risk;
  reasons: string[];
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const r3 = (v: number) => Math.round(v * 1000) / 1000;

export function totalDermoscopyScore(f: Pick<Features, 'asymmetry' | 'border' | 'colour' | 'differential_structures'>): number {
  return TDS_WEIGHTS.A * f.asymmetry.score + TDS_WEIGHTS.B * f.border.score + TDS_WEIGHTS.C * f.colour.score + TDS_WEIGHTS.D * f.differential_structures.score;
}

export function scoreFeatures(f: Features): Scored {
  const reasons: string[] = [];
  // Melanin darkens (ΔL) without much redness; erythema raises a* (ΔA) far more than it darkens.
  const redness = Math.max(f.redness_delta_a, 0);
  const pPig = sigmoid((f.pigmentation_delta_l - 1.2 * redness) / 4);
  const kind = pPig >= 0.5 ? 'pigmented' : 'inflammatory';

  const tds = totalDermoscopyScore(f);
  const s = 0.3;
  const q1 = sigmoid((tds - TDS_SUSPICIOUS) / s);
  const q2 = sigmoid((tds - TDS_MELANOMA) / s);
  const pigmented = { benign_naevus: 1 - q1, atypical_pigmented_lesion: q1 - q2, melanoma_suspected: q2 };

  // Inflammatory classes: annular with central clearing → tinea; yellow crust or pus → bacterial; otherwise dermatitis.
  const scores = {
    eczema_dermatitis: 1 + (f.border.abrupt_segments <= 2 ? 0.5 : 0),
    tinea_fungal: 4 * f.central_clearing,
    bacterial_infection: 40 * f.yellow_fraction + (f.erythema_index > 12 ? 0.5 : 0),
  };
  const z = Object.values(scores).reduce((acc, v) => acc + Math.exp(v), 0);
  const inflammatory = Object.fromEntries(Object.entries(scores).map(([k, v]) => [k, Math.exp(v) / z])) as Record<keyof typeof scores, number>;

  // The share left to "unclear": never below 0.2 (a photo and a rule, not an examination), more when the picture is doubtful.
  let unclear = 0.2;
  if (f.hair_fraction > 0.05) unclear += 0.1;
  if (f.segmentation.contrast_delta_e < 12) unclear += 0.1;
  if (f.segmentation.otsu_separability < 0.6) unclear += 0.1;
  unclear = Math.min(unclear, 0.5);

  const probability: Record<Label, number> = {
    benign_naevus: (1 - unclear) * pPig * pigmented.benign_naevus,
    atypical_pigmented_lesion: (1 - unclear) * pPig * pigmented.atypical_pigmented_lesion,
    melanoma_suspected: (1 - unclear) * pPig * pigmented.melanoma_suspected,
    eczema_dermatitis: (1 - unclear) * (1 - pPig) * inflammatory.eczema_dermatitis,
    tinea_fungal: (1 - unclear) * (1 - pPig) * inflammatory.tinea_fungal,
    bacterial_infection: (1 - unclear) * (1 - pPig) * inflammatory.bacterial_infection,
    unclear,
  };
  const predictions = LABELS.map((label) => ({ label, probability: r3(probability[label]) })).sort((a, b) => b.probability - a.probability);
  const top = predictions[0]!;

  let risk: Risk;
  if (kind === 'pigmented') {
    reasons.push(
      `Pigmented lesion: total dermoscopy score ${tds.toFixed(2)} (A ${f.asymmetry.score}, B ${f.border.score}, C ${f.colour.score}, D ${f.differential_structures.score}; cut-offs ${TDS_SUSPICIOUS} and ${TDS_MELANOMA}).`,
    );
    risk = tds > TDS_MELANOMA ? 'high' : tds >= TDS_SUSPICIOUS ? 'medium' : 'low';
    if (risk === 'low' && f.diameter.mm !== null && f.diameter.mm > 6) {
      risk = 'medium';
      reasons.push(`Larger than 6 mm across (${f.diameter.mm} mm).`);
    }
  } else {
    reasons.push(`Red, inflamed area (redness Δa* ${f.redness_delta_a}, erythema index ${f.erythema_index}).`);
    if (f.central_clearing >= 0.4) reasons.push('Ring-shaped, with a paler centre (as in ringworm).');
    if (f.yellow_fraction >= 0.03) reasons.push('Yellowish areas (crust or pus) inside the lesion.');
    risk = inflammatory.bacterial_infection >= 0.5 ? 'medium' : 'low';
    if (f.diameter.mm !== null && f.diameter.mm > 50) {
      risk = 'medium';
      reasons.push(`Large area (${f.diameter.mm} mm across).`);
    }
  }
  // A rule that gives melanoma a real share never lets the answer be "low".
  if (risk === 'low' && probability.melanoma_suspected >= 0.2) risk = 'medium';
  if (f.asymmetry.score === 2) reasons.push('Asymmetric about both principal axes.');
  if (f.colour.present.length >= 3) reasons.push(`${f.colour.present.length} dermoscopy colours: ${f.colour.present.join(', ')}.`);
  // Structure cues (structures.ts): screening aids with how clearly each rule fired, not findings of an examination.
  const cues = f.differential_structures.findings.filter((s) => s.present && s.structure !== 'structureless_area');
  if (cues.length)
    reasons.push(
      `Structures seen (screening cues, not a diagnosis): ${cues.map((s) => `${s.structure.replace(/_/g, ' ')} (confidence ${s.confidence})`).join(', ')}.`,
    );
  return {
    kind,
    pigmented_probability: r3(pPig),
    tds: Math.round(tds * 100) / 100,
    predictions,
    top_label: top.label,
    confidence: top.probability,
    risk,
    reasons,
  };
}
