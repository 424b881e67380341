/**
 * Inference: a naive-Bayes model over mutually exclusive conditions, with leak and noise terms.
 *
 *   P(c | E, age, sex) ∝ prior(c) · m_age(c) · m_sex(c) · ∏_{e ∈ E_known} f(e, c)^w
 *
 *   f(e, c) = P(e | c)        when e is present
 *           = 1 − P(e | c)    when e is absent
 *   (unknown evidence contributes nothing: it is simply left out of the product)
 *
 * - P(e | c) is the knowledge-base likelihood when the condition lists e, otherwise the leak of e
 *   (the background rate of e from unrelated causes, per evidence item or by evidence type).
 * - Noise: every likelihood is clamped to [min_likelihood, max_likelihood] so no single answer can
 *   zero out a condition (patients misreport; the KB is imperfect).
 * - w = meta.evidence_weight ≤ 1 tempers the product (naive Bayes double-counts correlated findings
 *   and is over-confident otherwise).
 * - Hierarchy: a child finding ("crushing" chest pain) has likelihoods conditional on its parent
 *   being present; when the parent is absent its children are implied absent and contribute nothing
 *   further (chain rule: P(parent absent) already covers them).
 * - Categorical groups (duration): the options are mutually exclusive; a condition's distribution
 *   over the options is its listed values with the remaining mass spread over unlisted options in
 *   proportion to the group default. A chosen option contributes P(option | c).
 * - Pregnancy is the risk-factor evidence `pregnant` (female, 10–55 y): pregnancy-only conditions
 *   list it with a likelihood near 1 and are thereby suppressed when pregnancy is denied.
 * - Optional feedback adjustments (learning.ts) multiply priors and replace likelihoods, bounded.
 *
 * See MODEL.md for the full description.
 */
import { compileLexicon, type Lexicon } from '../clinical-text/index.js';
import { buildSuggestIndex, type SuggestEntry } from './suggest-index.js';
import { ageBand, triageRank } from './kb/types.js';
import type { Condition, EvidenceItem, KnowledgeBase, Sex, TriageLevel } from './kb/types.js';
import type { ModelAdjustments } from './learning.js';

/**
 * Evidence that is an exposure whose harm comes later: "I feel fine now" neither dates nor settles
 * it. NHS "Paracetamol for adults" (go to A&E if you have taken too much, even if you feel well);
 * NHS "Button batteries" (A&E straight away, even without symptoms); NHS "Snake bites"; NHS
 * "Carbon monoxide poisoning"; NHS "Poisoning".
 */
const EXPOSURES: ReadonlySet<string> = new Set(['overdose', 'button_battery_magnet', 'snake_bite', 'carbon_monoxide_exposure', 'smoke_fumes_inhaled']);

export type EvidenceState = 'present' | 'absent';
export type EvidenceMap = Record<string, EvidenceState>;

export interface PatientContext {
  age: number;
  sex: Sex;
}

export interface CompiledModel {
  kb: KnowledgeBase;
  nC: number;
  nE: number;
  conditions: Condition[];
  condIndex: Map<string, number>;
  evidence: EvidenceItem[];
  evIndex: Map<string, number>;
  /** P(e|c) at [c * nE + e], already clamped. */
  like: Float64Array;
  /** like^weight and (1 − like)^weight, precomputed: the question search evaluates them per candidate. */
  likeW: Float64Array;
  unlikeW: Float64Array;
  /** Prior (with learning adjustments) per condition. */
  prior: Float64Array;
  /** Parent evidence index per evidence (-1 = none). */
  parent: Int32Array;
  /** Group index per evidence (-1 = none). */
  groupOf: Int32Array;
  groups: { id: string; type: 'single' | 'duration'; question: string; options: number[] }[];
  groupIndex: Map<string, number>;
  /** Triage rank per condition (0 self_care … 4 emergency_ambulance). */
  triageRank: Int8Array;
  weight: number;
  /** Evidence indices listed by at least one condition (candidates for questions). */
  informative: Uint8Array;
  /** The evidence vocabulary compiled for the text layer (src/modules/clinical-text). */
  lexicon: Lexicon;
  /** Names and synonyms prepared for suggestions (text-mapping.ts). */
  suggestIndex: SuggestEntry[];
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Builds dense arrays from the knowledge base (and optional learned adjustments). */
export function compileModel(kb: KnowledgeBase, adjustments?: ModelAdjustments): CompiledModel {
  const { meta } = kb;
  const conditions = kb.conditions;
  const evidence = kb.evidence;
  const nC = conditions.length;
  const nE = evidence.length;
  const evIndex = new Map(evidence.map((e, i) => [e.id, i]));
  const condIndex = new Map(conditions.map((c, i) => [c.id, i]));
  const groupIndex = new Map(kb.groups.map((g, i) => [g.id, i]));
  const groups = kb.groups.map((g) => ({ id: g.id, type: g.type, question: g.question, options: g.options.map((o) => evIndex.get(o)!) }));
  const parent = new Int32Array(nE).fill(-1);
  const groupOf = new Int32Array(nE).fill(-1);
  evidence.forEach((e, i) => {
    if (e.parent) parent[i] = evIndex.get(e.parent) ?? -1;
    if (e.group) groupOf[i] = groupIndex.get(e.group) ?? -1;
  });
  const lo = meta.min_likelihood;
  const hi = meta.max_likelihood;
  const like = new Float64Array(nC * nE);
  const prior = new Float64Array(nC);
  const rank = new Int8Array(nC);
  const informative = new Uint8Array(nE);
  conditions.forEach((c, ci) => {
    const adjPrior = adjustments?.prior_factor[c.id] ?? 1;
    prior[ci] = c.prior * adjPrior;
    rank[ci] = triageRank(c.triage);
    const adjLike = adjustments?.likelihood[c.id];
    for (let ei = 0; ei < nE; ei++) {
      const e = evidence[ei]!;
      if (e.group) continue; // filled below
      const listed = c.evidence[e.id];
      let p = listed ?? e.leak ?? meta.default_leak[e.type];
      const adj = adjLike?.[e.id];
      if (adj !== undefined && listed !== undefined) p = adj;
      if (listed !== undefined) informative[ei] = 1;
      like[ci * nE + ei] = clamp(p, lo, hi);
    }
    for (const g of kb.groups) {
      const opts = g.options.map((o) => evIndex.get(o)!);
      let listedMass = 0;
      let unlistedDefault = 0;
      g.options.forEach((o, k) => {
        const v = c.evidence[o];
        if (v !== undefined) {
          listedMass += v;
          informative[opts[k]!] = 1;
        } else unlistedDefault += g.default[k]!;
      });
      const rest = Math.max(0, 1 - listedMass);
      g.options.forEach((o, k) => {
        const v = c.evidence[o];
        const p = v !== undefined ? v : unlistedDefault > 0 ? (rest * g.default[k]!) / unlistedDefault : 0;
        like[ci * nE + opts[k]!] = clamp(p, lo, hi);
      });
    }
  });
  return {
    kb,
    nC,
    nE,
    conditions,
    condIndex,
    evidence,
    evIndex,
    like,
    prior,
    parent,
    groupOf,
    groups,
    groupIndex,
    triageRank: rank,
    weight: meta.evidence_weight,
    informative,
    likeW: like.map((l) => Math.pow(l, meta.evidence_weight)),
    unlikeW: like.map((l) => Math.pow(1 - l, meta.evidence_weight)),
    suggestIndex: buildSuggestIndex(evidence),
    lexicon: compileLexicon(
      evidence
        .filter((e) => e.type !== 'duration')
        .map((e) => ({ id: e.id, name: e.name, synonyms: e.synonyms, patterns: e.patterns, exposure: EXPOSURES.has(e.id) })),
    ),
  };
}

const baseCache = new WeakMap<KnowledgeBase, CompiledModel>();
const adjCache = new WeakMap<ModelAdjustments, WeakMap<KnowledgeBase, CompiledModel>>();

/** Compiled model, cached per knowledge base and adjustments object. */
export function getModel(kb: KnowledgeBase, adjustments?: ModelAdjustments): CompiledModel {
  if (!adjustments) {
    let m = baseCache.get(kb);
    if (!m) {
      m = compileModel(kb);
      baseCache.set(kb, m);
    }
    return m;
  }
  let inner = adjCache.get(adjustments);
  if (!inner) {
    inner = new WeakMap();
    adjCache.set(adjustments, inner);
  }
  let m = inner.get(kb);
  if (!m) {
    m = compileModel(kb, adjustments);
    inner.set(kb, m);
  }
  return m;
}

/** Prior per condition for this patient (unnormalised): base prior × age-band × sex multipliers. */
export function patientPrior(model: CompiledModel, patient: PatientContext): Float64Array {
  const band = ageBand(patient.age);
  const out = new Float64Array(model.nC);
  model.conditions.forEach((c, i) => {
    out[i] = model.prior[i]! * (c.age?.[band] ?? 1) * (c.sex?.[patient.sex] ?? 1);
  });
  return out;
}

/** Evidence state as a dense array: 1 present, -1 absent, 0 unknown. */
export function denseEvidence(model: CompiledModel, evidence: EvidenceMap): Int8Array {
  const d = new Int8Array(model.nE);
  for (const [id, s] of Object.entries(evidence)) {
    const i = model.evIndex.get(id);
    if (i !== undefined) d[i] = s === 'present' ? 1 : -1;
  }
  return d;
}

/**
 * Posterior over conditions (normalised, sums to 1). Works in log space for stability.
 */
export function posteriorDense(model: CompiledModel, patient: PatientContext, ev: Int8Array): Float64Array {
  const { nC, nE, like, parent, groupOf, weight } = model;
  const prior = patientPrior(model, patient);
  // Which groups have a chosen option: then only that option counts.
  const groupChosen = new Int8Array(model.groups.length);
  for (let e = 0; e < nE; e++) if (ev[e] === 1 && groupOf[e]! >= 0) groupChosen[groupOf[e]!] = 1;
  const active: number[] = [];
  for (let e = 0; e < nE; e++) {
    const s = ev[e]!;
    if (s === 0) continue;
    const p = parent[e]!;
    if (p >= 0 && ev[p] !== 1) continue; // parent absent/unknown: the child adds nothing
    const g = groupOf[e]!;
    if (g >= 0 && s === -1 && groupChosen[g]) continue;
    active.push(s === 1 ? e + 1 : -(e + 1));
  }
  const logp = new Float64Array(nC);
  let max = -Infinity;
  for (let c = 0; c < nC; c++) {
    const pr = prior[c]!;
    if (pr <= 0) {
      logp[c] = -Infinity;
      continue;
    }
    let l = Math.log(pr);
    const base = c * nE;
    for (const a of active) {
      const e = a > 0 ? a - 1 : -a - 1;
      const q = like[base + e]!;
      l += weight * Math.log(a > 0 ? q : 1 - q);
    }
    logp[c] = l;
    if (l > max) max = l;
  }
  const out = new Float64Array(nC);
  if (max === -Infinity) {
    out.fill(1 / nC);
    return out;
  }
  let sum = 0;
  for (let c = 0; c < nC; c++) {
    const v = Math.exp(logp[c]! - max);
    out[c] = v;
    sum += v;
  }
  for (let c = 0; c < nC; c++) out[c] = out[c]! / sum;
  return out;
}

export interface RankedCondition {
  id: string;
  name: string;
  icd10: string;
  probability: number;
  triage: TriageLevel;
}

/** Posterior as a sorted list (most probable first). */
export function rankConditions(model: CompiledModel, post: Float64Array, limit = model.nC): RankedCondition[] {
  const idx = Array.from({ length: model.nC }, (_, i) => i).sort((a, b) => post[b]! - post[a]!);
  return idx.slice(0, limit).map((i) => {
    const c = model.conditions[i]!;
    return { id: c.id, name: c.name, icd10: c.icd10, probability: post[i]!, triage: c.triage };
  });
}

/** Convenience: posterior from a sparse evidence map. */
export function computePosterior(kb: KnowledgeBase, patient: PatientContext, evidence: EvidenceMap, adjustments?: ModelAdjustments): RankedCondition[] {
  const model = getModel(kb, adjustments);
  return rankConditions(model, posteriorDense(model, patient, denseEvidence(model, evidence)));
}

// ---------------------------------------------------------------- information gain

function entropy(p: ArrayLike<number>, n: number): number {
  let h = 0;
  for (let i = 0; i < n; i++) {
    const v = p[i]!;
    if (v > 1e-12) h -= v * Math.log2(v);
  }
  return h;
}

/**
 * Expected information gain (bits) of asking about evidence `e` (binary) or group `g` (categorical):
 * entropy of the condition posterior (plus `triageWeight` × entropy of the triage distribution)
 * minus its expectation after the answer, with the answer predicted by Σ_c P(c) P(answer | c).
 */
export function expectedGain(
  model: CompiledModel,
  post: Float64Array,
  outcomes: { e: number; present: boolean }[][],
  triageWeight: number,
  support: number[],
): number {
  const { nE, like, likeW, unlikeW, triageRank: rank } = model;
  // Baseline entropies over the support (renormalised).
  let mass = 0;
  for (const c of support) mass += post[c]!;
  if (mass <= 0) return 0;
  let h0 = 0;
  const t0 = [0, 0, 0, 0, 0];
  for (const c of support) {
    const v = post[c]! / mass;
    if (v > 1e-12) h0 -= v * Math.log2(v);
    t0[rank[c]!]! += v;
  }
  const ht0 = entropy(t0, 5);
  let expH = 0;
  let expHt = 0;
  const tmp = new Float64Array(support.length);
  for (const outcome of outcomes) {
    // Predictive probability of this outcome and the posterior after it (over the support only).
    let pOut = 0;
    let z = 0;
    for (let k = 0; k < support.length; k++) {
      const c = support[k]!;
      let q = 1;
      let qw = 1;
      for (const { e, present } of outcome) {
        const i = c * nE + e;
        q *= present ? like[i]! : 1 - like[i]!;
        qw *= present ? likeW[i]! : unlikeW[i]!;
      }
      pOut += (post[c]! / mass) * q;
      const v = post[c]! * qw;
      tmp[k] = v;
      z += v;
    }
    if (pOut <= 0 || z <= 0) continue;
    let h = 0;
    const t = [0, 0, 0, 0, 0];
    for (let k = 0; k < support.length; k++) {
      const v = tmp[k]! / z;
      if (v > 1e-12) h -= v * Math.log2(v);
      t[rank[support[k]!]!]! += v;
    }
    expH += pOut * h;
    expHt += pOut * entropy(t, 5);
  }
  return h0 - expH + triageWeight * (ht0 - expHt);
}
