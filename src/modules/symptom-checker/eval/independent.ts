/**
 * Evaluation on the independent set (eval/independent/README.md): vignettes and chat messages
 * written blind to the engine from published guidance and case reports, split 50/50 into `dev`
 * (the only split used for tuning) and `test` (frozen: its checksum is in eval/independent/CHECKSUMS
 * and a test fails if it changes).
 *
 * The simulated patient starts with the vignette's text, age, sex and pregnancy, and answers each
 * question "yes" when the text or one of its `facts` states that finding, "no" otherwise (the
 * vignettes list every relevant finding that is present). Group questions (duration) are answered
 * from a duration stated in the text or facts, else "don't know". Facts are read by the same text
 * layer as the patient's own words, so a finding the layer cannot read counts against us.
 *
 * Safety figures come first: emergencies advised self-care (must be 0), emergencies given an
 * emergency level, under-triage, then the safe-advice rate (advice at or above the needed
 * urgency, Gilbert et al. 2020), 3-class and exact triage, top-1/top-3.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getKnowledgeBase } from '../kb/loader.js';
import { triageRank } from '../kb/types.js';
import type { TriageLevel } from '../kb/types.js';
import { answer, rankState, startInterview } from '../interview.js';
import type { EngineOptions, InterviewResult } from '../interview.js';
import { durationOption, mapText } from '../text-mapping.js';
import { SymptomCheckerError } from '../errors.js';

export type Split = 'dev' | 'test';

export interface IndependentVignette {
  id: string;
  source: string;
  population: string;
  age_years: number;
  sex: 'male' | 'female';
  pregnant?: boolean;
  gestation_weeks?: number;
  text: string;
  facts: string[];
  negatives: string[];
  diagnosis: string;
  expected_condition: string | null;
  expected_triage: TriageLevel;
}

export interface IndependentMessage {
  id: string;
  text: string;
  expected_emergency: boolean;
  category: string;
  style: string;
  source: string;
}

const DIR = new URL('./independent/', import.meta.url);
const MESSAGES_DIR = new URL('../../emergency/eval/independent/', import.meta.url);
export const CHECKSUM_FILE = fileURLToPath(new URL('CHECKSUMS', DIR));
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export function loadVignetteSplit(split: Split): IndependentVignette[] {
  return (JSON.parse(readFileSync(new URL(`vignettes.${split}.json`, DIR), 'utf8')) as { vignettes: IndependentVignette[] }).vignettes;
}

export function loadMessageSplit(split: Split): IndependentMessage[] {
  return (JSON.parse(readFileSync(new URL(`messages.${split}.json`, MESSAGES_DIR), 'utf8')) as { messages: IndependentMessage[] }).messages;
}

/** [expected, actual] sha256 per frozen file, from CHECKSUMS. */
export function checkFrozen(): { file: string; expected: string; actual: string }[] {
  return readFileSync(CHECKSUM_FILE, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [expected, file] = l.trim().split(/\s+\*?/);
      const actual = createHash('sha256')
        .update(readFileSync(REPO_ROOT + file!))
        .digest('hex');
      return { file: file!, expected: expected!, actual };
    });
}

const isEmergency = (l: TriageLevel) => l === 'emergency' || l === 'emergency_ambulance';
const threeClass = (l: TriageLevel) => (isEmergency(l) ? 'emergency' : l === 'self_care' ? 'self_care' : 'consultation');

export interface CaseResult {
  id: string;
  population: string;
  expected_triage: TriageLevel;
  triage: TriageLevel;
  expected_condition: string | null;
  rank: number | null;
  top: string[];
  questions: number;
  error?: string;
  reason: string;
  step_ms: number[];
}

export interface VignetteReport {
  n: number;
  emergencies: number;
  emergencies_self_care: number;
  emergency_level_rate: number;
  under_triage: number;
  over_triage: number;
  self_care_over_triaged: number;
  safe_advice: number;
  three_class: number;
  exact: number;
  top1: number;
  top3: number;
  with_condition: number;
  errors_422: number;
  mean_questions: number;
  step_p99_ms: number;
  results: CaseResult[];
}

/** The answers the simulated patient knows, read from the vignette's words. */
function patientKnowledge(v: IndependentVignette): { present: Set<string>; duration?: number } {
  const present = new Set<string>();
  let duration: number | undefined;
  for (const t of [v.text, ...v.facts]) {
    const m = mapText(getKnowledgeBase(), t);
    for (const [id, s] of Object.entries(m.evidence)) if (s === 'present') present.add(id);
    duration ??= m.duration_days;
  }
  for (const t of v.negatives) {
    const m = mapText(getKnowledgeBase(), t);
    for (const [id, s] of Object.entries(m.evidence)) if (s === 'absent') present.delete(id);
  }
  return { present, ...(duration !== undefined ? { duration } : {}) };
}

export function runIndependentVignette(v: IndependentVignette, opts: EngineOptions = {}): CaseResult {
  const known = patientKnowledge(v);
  const steps: number[] = [];
  let r: InterviewResult;
  try {
    let t0 = performance.now();
    r = startInterview({ age: v.age_years, sex: v.sex, text: v.text, pregnant: v.pregnant ?? null }, opts);
    steps.push(performance.now() - t0);
    let guard = 0;
    while (r.question && guard++ < 40) {
      const q = r.question;
      let value: string;
      if (q.type === 'yes_no') value = known.present.has(q.id) ? 'present' : 'absent';
      else if (q.type === 'duration' && known.duration !== undefined) value = durationOption(known.duration);
      else value = 'unknown';
      t0 = performance.now();
      r = answer(r.state, { question_id: q.id, value }, opts);
      steps.push(performance.now() - t0);
    }
  } catch (e) {
    const msg = e instanceof SymptomCheckerError ? `${e.code}: ${e.message}` : String(e);
    return {
      id: v.id,
      population: v.population,
      expected_triage: v.expected_triage,
      triage: 'self_care',
      expected_condition: v.expected_condition,
      rank: null,
      top: [],
      questions: 0,
      error: msg,
      reason: '',
      step_ms: steps,
    };
  }
  const ranking = rankState(r.state, opts).map((c) => c.id);
  const idx = v.expected_condition ? ranking.indexOf(v.expected_condition) : -1;
  return {
    id: v.id,
    population: v.population,
    expected_triage: v.expected_triage,
    triage: r.triage.level,
    expected_condition: v.expected_condition,
    rank: idx >= 0 ? idx + 1 : null,
    top: ranking.slice(0, 3),
    questions: r.questions_asked,
    reason: r.triage.reason,
    step_ms: steps,
  };
}

export function evaluateVignettes(vs: IndependentVignette[], opts: EngineOptions = {}): VignetteReport {
  const results = vs.map((v) => runIndependentVignette(v, opts));
  const em = results.filter((r) => isEmergency(r.expected_triage));
  const sc = results.filter((r) => r.expected_triage === 'self_care');
  const withCond = results.filter((r) => r.expected_condition);
  const steps = results.flatMap((r) => r.step_ms).sort((a, b) => a - b);
  const frac = (xs: CaseResult[], f: (r: CaseResult) => boolean) => (xs.length ? xs.filter(f).length / xs.length : 0);
  return {
    n: results.length,
    emergencies: em.length,
    emergencies_self_care: em.filter((r) => r.triage === 'self_care').length,
    emergency_level_rate: frac(em, (r) => isEmergency(r.triage)),
    under_triage: frac(results, (r) => triageRank(r.triage) < triageRank(r.expected_triage)),
    over_triage: frac(results, (r) => triageRank(r.triage) > triageRank(r.expected_triage)),
    self_care_over_triaged: frac(sc, (r) => r.triage !== 'self_care'),
    safe_advice: frac(results, (r) => triageRank(r.triage) >= triageRank(r.expected_triage)),
    three_class: frac(results, (r) => threeClass(r.triage) === threeClass(r.expected_triage)),
    exact: frac(results, (r) => r.triage === r.expected_triage),
    top1: frac(withCond, (r) => r.rank === 1),
    top3: frac(withCond, (r) => r.rank !== null && r.rank <= 3),
    with_condition: withCond.length,
    errors_422: results.filter((r) => r.error).length,
    mean_questions: results.reduce((s, r) => s + r.questions, 0) / Math.max(1, results.length),
    step_p99_ms: steps.length ? steps[Math.min(steps.length - 1, Math.floor(steps.length * 0.99))]! : 0,
    results,
  };
}

export interface DetectorReport {
  positives: number;
  negatives: number;
  recall: number;
  false_positive_rate: number;
  missed: IndependentMessage[];
  false_alarms: IndependentMessage[];
}

export function evaluateMessages(ms: IndependentMessage[], detect: (text: string) => { is_emergency: boolean }): DetectorReport {
  const pos = ms.filter((m) => m.expected_emergency);
  const neg = ms.filter((m) => !m.expected_emergency);
  const missed = pos.filter((m) => !detect(m.text).is_emergency);
  const falseAlarms = neg.filter((m) => detect(m.text).is_emergency);
  return {
    positives: pos.length,
    negatives: neg.length,
    recall: pos.length ? 1 - missed.length / pos.length : 1,
    false_positive_rate: neg.length ? falseAlarms.length / neg.length : 0,
    missed,
    false_alarms: falseAlarms,
  };
}
