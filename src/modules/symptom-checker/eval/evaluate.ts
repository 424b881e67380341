/**
 * Evaluation harness: runs the vignettes through the interview with a simulated patient (answers
 * from the vignette, "unknown" for anything it does not mention) and computes accuracy figures.
 * A triage discriminator question (a red flag the interview must rule out) that the vignette does
 * not mention is answered "no": a written case states the red flags that are present, and "don't
 * know" to one is a safety-net answer in its own right (interview.ts: never self-care or routine).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getKnowledgeBase } from '../kb/loader.js';
import { TRIAGE_LEVELS } from '../kb/types.js';
import type { KnowledgeBase, TriageLevel } from '../kb/types.js';
import { answer, rankState, startInterview } from '../interview.js';
import type { EngineOptions, InterviewResult } from '../interview.js';

export interface Vignette {
  id: string;
  age: number;
  sex: 'male' | 'female';
  text?: string;
  symptoms?: string[];
  pregnant?: boolean;
  duration_days?: number;
  /** What the patient answers if asked: evidence id → present/absent; group id → option id. */
  answers: Record<string, string>;
  expected_condition: string;
  expected_triage: TriageLevel;
}

export interface VignetteResult {
  id: string;
  expected_condition: string;
  expected_triage: TriageLevel;
  rank: number | null;
  top: string[];
  triage: TriageLevel;
  questions: number;
  stop_reason: string | null;
  red_flags: string[];
}

export interface EvalReport {
  n: number;
  top1: number;
  top3: number;
  top10: number;
  triage_accuracy: number;
  emergent_recall: number;
  emergent_n: number;
  over_triage: number;
  under_triage: number;
  mean_questions: number;
  per_level: Record<string, { n: number; correct: number }>;
  results: VignetteResult[];
}

export const VIGNETTES_FILE = fileURLToPath(new URL('./vignettes.json', import.meta.url));

export function loadVignettes(file = VIGNETTES_FILE): Vignette[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { vignettes: Vignette[] }).vignettes;
}

/** Problems in the vignette file (unknown ids etc.); the harness refuses to run with any. */
export function checkVignettes(vs: Vignette[], kb: KnowledgeBase = getKnowledgeBase()): string[] {
  const errs: string[] = [];
  const ev = new Set(kb.evidence.map((e) => e.id));
  const groups = new Map(kb.groups.map((g) => [g.id, new Set(g.options)]));
  const conds = new Set(kb.conditions.map((c) => c.id));
  const ids = new Set<string>();
  for (const v of vs) {
    if (ids.has(v.id)) errs.push(`${v.id}: duplicate id`);
    ids.add(v.id);
    if (!conds.has(v.expected_condition)) errs.push(`${v.id}: unknown condition ${v.expected_condition}`);
    if (!(TRIAGE_LEVELS as readonly string[]).includes(v.expected_triage)) errs.push(`${v.id}: bad triage ${v.expected_triage}`);
    for (const [k, val] of Object.entries(v.answers)) {
      if (groups.has(k)) {
        if (!groups.get(k)!.has(val)) errs.push(`${v.id}: ${k}=${val} is not an option`);
      } else if (!ev.has(k)) errs.push(`${v.id}: unknown evidence ${k}`);
      else if (val !== 'present' && val !== 'absent') errs.push(`${v.id}: ${k}=${val}`);
    }
  }
  return errs;
}

/**
 * Perturbations of the simulated patient, for robustness figures: `drop` is the probability that
 * an answer the vignette knows is replaced by "don't know"; `flip` the probability that a yes/no
 * answer is reversed (a mistaken patient). Deterministic (seeded by vignette id).
 */
export interface Perturbation {
  drop?: number;
  flip?: number;
  seed?: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function hash(str: string): number {
  let h = 2166136261;
  for (let i = 0; i < str.length; i++) h = Math.imul(h ^ str.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function perturbAnswers(v: Vignette, p: Perturbation): Record<string, string> {
  if (!p.drop && !p.flip) return v.answers;
  const r = rng(hash(v.id) ^ (p.seed ?? 1));
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v.answers)) {
    if (p.drop && r() < p.drop) continue;
    if (p.flip && (val === 'present' || val === 'absent') && r() < p.flip) out[k] = val === 'present' ? 'absent' : 'present';
    else out[k] = val;
  }
  return out;
}

export function runVignette(v: Vignette, opts: EngineOptions = {}, perturb: Perturbation = {}): VignetteResult {
  const answers = perturbAnswers(v, perturb);
  let r: InterviewResult = startInterview(
    {
      age: v.age,
      sex: v.sex,
      symptoms: v.symptoms ?? [],
      text: v.text ?? '',
      pregnant: v.pregnant ?? null,
      ...(v.duration_days !== undefined ? { duration_days: v.duration_days } : {}),
    },
    opts,
  );
  let guard = 0;
  while (r.question && guard++ < 30) {
    const q = r.question;
    const value = answers[q.id] ?? (r.state.pending_discriminator ? 'absent' : 'unknown');
    r = answer(r.state, { question_id: q.id, value }, opts);
  }
  const ranking = rankState(r.state, opts).map((c) => c.id);
  const idx = ranking.indexOf(v.expected_condition);
  return {
    id: v.id,
    expected_condition: v.expected_condition,
    expected_triage: v.expected_triage,
    rank: idx >= 0 ? idx + 1 : null,
    top: ranking.slice(0, 3),
    triage: r.triage.level,
    questions: r.questions_asked,
    stop_reason: r.stop_reason,
    red_flags: r.triage.red_flags.map((f) => f.id),
  };
}

const URGENCY: Record<TriageLevel, number> = { self_care: 0, consultation: 1, consultation_24: 2, emergency: 3, emergency_ambulance: 4 };
const EMERGENT = new Set<TriageLevel>(['emergency', 'emergency_ambulance']);

export function evaluate(vs: Vignette[] = loadVignettes(), opts: EngineOptions = {}, perturb: Perturbation = {}): EvalReport {
  const results = vs.map((v) => runVignette(v, opts, perturb));
  const n = results.length;
  const within = (k: number) => results.filter((r) => r.rank !== null && r.rank <= k).length / n;
  const emergent = results.filter((r) => EMERGENT.has(r.expected_triage));
  const per_level: EvalReport['per_level'] = {};
  for (const r of results) {
    const p = (per_level[r.expected_triage] ??= { n: 0, correct: 0 });
    p.n++;
    if (r.triage === r.expected_triage) p.correct++;
  }
  return {
    n,
    top1: within(1),
    top3: within(3),
    top10: within(10),
    triage_accuracy: results.filter((r) => r.triage === r.expected_triage).length / n,
    emergent_recall: emergent.filter((r) => EMERGENT.has(r.triage)).length / Math.max(1, emergent.length),
    emergent_n: emergent.length,
    over_triage: results.filter((r) => URGENCY[r.triage] > URGENCY[r.expected_triage]).length / n,
    under_triage: results.filter((r) => URGENCY[r.triage] < URGENCY[r.expected_triage]).length / n,
    mean_questions: results.reduce((a, r) => a + r.questions, 0) / n,
    per_level,
    results,
  };
}
