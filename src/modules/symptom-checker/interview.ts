/**
 * Interview: a pure state machine over plain-JSON state.
 *
 *   startInterview(input, options?)          → InterviewResult (with `state`)
 *   answer(state, {question_id, value}, options?) → InterviewResult (with the new `state`)
 *
 * The state is plain JSON (store it as a jsonb row, pass it back unchanged). Nothing is mutated.
 *
 * Each step: posterior over conditions (inference.ts) → red flags and triage (triage.ts) → stop
 * rules → otherwise the next question, the unknown evidence (or categorical group) with the
 * highest expected information gain about the condition posterior plus the triage distribution.
 * Stop rules: a red flag is present (the advice is to get emergency help now), the top condition
 * reaches `STOP_CONFIDENCE`, the best gain is below `MIN_GAIN_BITS`, or `maxQuestions` (≤ 15)
 * questions have been asked. Known evidence, and evidence implied by known answers, is never asked.
 */
import { getKnowledgeBase } from './kb/loader.js';
import type { KnowledgeBase, Sex, TriageLevel } from './kb/types.js';
import { denseEvidence, expectedGain, getModel, posteriorDense, rankConditions } from './inference.js';
import type { CompiledModel, EvidenceMap, EvidenceState, PatientContext, RankedCondition } from './inference.js';
import type { ModelAdjustments } from './learning.js';
import { SymptomCheckerError } from './errors.js';
import { DISCLAIMER, LEVEL_TEXT, computeTriage, findRedFlags } from './triage.js';
import type { RedFlag, TriageResult } from './triage.js';
import { durationOption, mapSymptoms } from './text-mapping.js';
import type { Mention, Unrecognised } from './text-mapping.js';
import {
  BABY_LOW_TEMP_C,
  TACHYCARDIA_MIN_AGE,
  TACHYCARDIA_RATE,
  activeComplaints,
  applicableDiscriminators,
  discriminatorAppliesTo,
  firedDiscriminators,
  pendingDiscriminatorEvidence,
} from './complaint-triage.js';
import type { FiredDiscriminator } from './complaint-triage.js';
import type { Quantities } from '../clinical-text/index.js';
import { triageRank } from './kb/types.js';

export const STATE_VERSION = 2;
export const MAX_QUESTIONS = 15;
/**
 * Discriminator questions (complaint-triage.ts) have their own budget on top of MAX_QUESTIONS: the
 * interview may not stop while an emergency discriminator is unanswered, however sure the
 * differential is.
 */
export const MAX_DISCRIMINATOR_QUESTIONS = 12;
/** Without a recognised complaint, self-care needs a leading condition at least this probable. */
export const SELF_CARE_MIN_CONFIDENCE = 0.5;
/** Summed posterior of emergency-level conditions at which the advice is at least urgent. */
export const URGENT_IF_EMERGENCY_MASS = 0.05;
export const STOP_CONFIDENCE = 0.85;
export const MIN_GAIN_BITS = 0.03;
/** Weight of the triage-entropy reduction relative to the condition-entropy reduction. */
export const TRIAGE_GAIN_WEIGHT = 1;

export type QuestionType = 'yes_no' | 'single' | 'duration';

export interface QuestionOption {
  id: string;
  label: string;
}

export interface Question {
  id: string;
  text: string;
  type: QuestionType;
  options?: QuestionOption[];
}

export interface StartInput {
  age: number;
  sex: Sex | string;
  symptoms?: string[];
  text?: string;
  duration_days?: number;
  pregnant?: boolean | null;
  /** Evidence already known by id (e.g. from a structured form). */
  evidence?: Record<string, EvidenceState>;
}

export interface AnswerInput {
  question_id: string;
  value: string;
}

/** Shape of the emergency detector in src/modules/emergency/detector.ts (injected, optional). */
export type EmergencyDetector = (text: string) => {
  is_emergency: boolean;
  level: string;
  matched: { category: string; phrase: string; rule?: string; level?: string; settled?: boolean }[];
  advice?: string;
};

export interface EngineOptions {
  kb?: KnowledgeBase;
  adjustments?: ModelAdjustments;
  detectEmergency?: EmergencyDetector;
  /** At most 15. */
  maxQuestions?: number;
}

export interface InterviewState {
  v: number;
  kb_version: string;
  patient: { age: number; sex: Sex; pregnant: boolean | null; gestation_weeks?: number | null };
  /** Numbers read from the text (age, gestation, temperature, heart rate, duration). */
  understood?: Quantities;
  /** Question ids asked because a triage discriminator needed them. */
  discriminator_asked?: string[];
  /** The pending question was asked for a discriminator. */
  pending_discriminator?: boolean;
  /** Known evidence: given at start, answered, or implied (a present child implies its parent). */
  evidence: EvidenceMap;
  /** Question ids asked so far, in order (evidence ids or group ids). */
  asked: string[];
  answers: { question_id: string; value: string }[];
  pending: Question | null;
  finished: boolean;
  stop_reason: StopReason | null;
  recognised: Mention[];
  unrecognised: Unrecognised[];
  /** Red flags found in the free text by the emergency detector. */
  text_red_flags: RedFlag[];
  /**
   * Emergency concepts the detector read in the text but did not count as an emergency now because
   * the writer says they have passed (chest pain "gone now", a fit "and she's fine now"): a floor of
   * `consultation_24`, never self-care (safety net, MODEL.md "Triage").
   */
  text_concerns?: { id: string; name: string }[];
  max_questions: number;
}

export type StopReason = 'red_flag' | 'confident' | 'no_informative_question' | 'max_questions';

export interface ConditionOut {
  id: string;
  name: string;
  probability: number;
  icd10: string;
  triage: TriageLevel;
}

export interface InterviewResult {
  question: Question | null;
  conditions: ConditionOut[];
  triage: TriageResult;
  should_stop: boolean;
  stop_reason: StopReason | null;
  disclaimer: string;
  recognised: { id: string; name: string; state: EvidenceState; text: string }[];
  unrecognised: Unrecognised[];
  /** The findings read from the patient's words, each once with its final state (docs/API.md §7.1). */
  understood: { id: string; name: string; state: EvidenceState }[];
  /** Numbers read from the text (age, gestation, temperature, heart rate, duration) and the age used. */
  quantities: Quantities;
  questions_asked: number;
  state: InterviewState;
}

const YES_NO_OPTIONS: QuestionOption[] = [
  { id: 'present', label: 'Yes' },
  { id: 'absent', label: 'No' },
  { id: 'unknown', label: "Don't know" },
];

const VALUE_ALIASES: Record<string, 'present' | 'absent' | 'unknown'> = {
  present: 'present',
  yes: 'present',
  y: 'present',
  true: 'present',
  absent: 'absent',
  no: 'absent',
  n: 'absent',
  false: 'absent',
  unknown: 'unknown',
  dont_know: 'unknown',
  "don't know": 'unknown',
  skip: 'unknown',
};

// ------------------------------------------------------------------ helpers

function kbOf(opts?: EngineOptions): KnowledgeBase {
  return opts?.kb ?? getKnowledgeBase();
}

function applicable(model: CompiledModel, e: number, patient: PatientContext): boolean {
  const item = model.evidence[e]!;
  if (item.sex && item.sex !== patient.sex) return false;
  if (item.min_age !== undefined && patient.age < item.min_age) return false;
  if (item.max_age !== undefined && patient.age > item.max_age) return false;
  return true;
}

/**
 * Adds evidence with its implications. Returns the id of a contradicted evidence item, or null.
 * (present child ⇒ parent present; a second option of a categorical group contradicts the first.)
 */
function setEvidence(model: CompiledModel, ev: EvidenceMap, id: string, s: EvidenceState): string | null {
  const i = model.evIndex.get(id);
  if (i === undefined) return null;
  if (ev[id] !== undefined && ev[id] !== s) return id;
  const item = model.evidence[i]!;
  if (s === 'present' && item.parent) {
    if (ev[item.parent] === 'absent') return id;
    ev[item.parent] = 'present';
  }
  if (s === 'absent' && !item.parent) {
    // An absent parent with a present child is a contradiction.
    for (let c = 0; c < model.nE; c++) if (model.parent[c] === i && ev[model.evidence[c]!.id] === 'present') return id;
  }
  if (s === 'present' && item.group) {
    const g = model.groups[model.groupIndex.get(item.group)!]!;
    for (const o of g.options) {
      const oid = model.evidence[o]!.id;
      if (oid !== id && ev[oid] === 'present') return id;
    }
  }
  ev[id] = s;
  return null;
}

/** Sets a finding, replacing whatever was known about it and what contradicts it. */
function overrideEvidence(model: CompiledModel, ev: EvidenceMap, id: string, s: EvidenceState): void {
  const i = model.evIndex.get(id);
  if (i === undefined) return;
  const item = model.evidence[i]!;
  delete ev[id];
  if (s === 'present' && item.parent && ev[item.parent] === 'absent') delete ev[item.parent];
  if (s === 'absent' && !item.parent) {
    for (let c = 0; c < model.nE; c++) if (model.parent[c] === i && ev[model.evidence[c]!.id] === 'present') delete ev[model.evidence[c]!.id];
  }
  if (s === 'present' && item.group) {
    const g = model.groups[model.groupIndex.get(item.group)!]!;
    for (const o of g.options) delete ev[model.evidence[o]!.id];
  }
  setEvidence(model, ev, id, s);
}

function validatePatient(input: StartInput): { age: number; sex: Sex; pregnant: boolean | null; gestation_weeks?: number | null } {
  if (typeof input !== 'object' || input === null) throw new SymptomCheckerError('INVALID_INPUT', 'Input must be an object.');
  const age = input.age as unknown;
  if (typeof age !== 'number' || !Number.isFinite(age)) throw new SymptomCheckerError('INVALID_AGE', 'Age must be a number of years.', 'age');
  if (age < 0 || age > 120) throw new SymptomCheckerError('INVALID_AGE', `Age ${age} is outside 0–120 years.`, 'age');
  const sexRaw = typeof input.sex === 'string' ? input.sex.trim().toLowerCase() : input.sex;
  const sex = sexRaw === 'm' ? 'male' : sexRaw === 'f' ? 'female' : sexRaw;
  if (sex !== 'male' && sex !== 'female')
    throw new SymptomCheckerError('INVALID_SEX', 'Sex must be "male" or "female" (sex at birth, used for prevalence).', 'sex');
  const pregnant = input.pregnant ?? null;
  if (pregnant !== null && typeof pregnant !== 'boolean') throw new SymptomCheckerError('INVALID_INPUT', 'pregnant must be a boolean.', 'pregnant');
  if (pregnant === true && sex === 'male') throw new SymptomCheckerError('CONTRADICTORY_INPUT', 'pregnant is true but sex is male.', 'pregnant');
  if (pregnant === true && (age < 10 || age > 60)) throw new SymptomCheckerError('CONTRADICTORY_INPUT', `pregnant is true at age ${age}.`, 'pregnant');
  return { age, sex, pregnant };
}

function questionFor(model: CompiledModel, qid: string): Question | null {
  const gi = model.groupIndex.get(qid);
  if (gi !== undefined) {
    const g = model.groups[gi]!;
    return {
      id: g.id,
      text: g.question,
      type: g.type,
      options: [...g.options.map((o) => ({ id: model.evidence[o]!.id, label: model.evidence[o]!.name })), { id: 'unknown', label: "Don't know" }],
    };
  }
  const ei = model.evIndex.get(qid);
  if (ei === undefined) return null;
  const e = model.evidence[ei]!;
  return { id: e.id, text: e.question, type: 'yes_no', options: YES_NO_OPTIONS };
}

/** Chooses the next question by expected information gain; null when nothing helps enough. */
export function nextQuestion(model: CompiledModel, state: InterviewState, post: Float64Array, ev: Int8Array): { question: Question; gain: number } | null {
  const patient = state.patient;
  const asked = new Set(state.asked);
  // Support: conditions that still matter (keeps the step fast).
  const order = Array.from({ length: model.nC }, (_, i) => i).sort((a, b) => post[b]! - post[a]!);
  const support: number[] = [];
  for (const c of order) {
    if (post[c]! < 1e-4 && support.length >= 10) break;
    support.push(c);
    if (support.length >= 60) break;
  }
  let best: { id: string; gain: number } | null = null;
  for (let e = 0; e < model.nE; e++) {
    if (!model.informative[e] || ev[e] !== 0 || model.groupOf[e]! >= 0) continue;
    const item = model.evidence[e]!;
    if (asked.has(item.id) || !applicable(model, e, patient)) continue;
    const p = model.parent[e]!;
    if (p >= 0 && ev[p] !== 1) continue;
    const gain = expectedGain(model, post, [[{ e, present: true }], [{ e, present: false }]], TRIAGE_GAIN_WEIGHT, support);
    if (!best || gain > best.gain) best = { id: item.id, gain };
  }
  model.groups.forEach((g) => {
    if (asked.has(g.id) || g.options.some((o) => ev[o] !== 0)) return;
    const gain = expectedGain(
      model,
      post,
      g.options.map((o) => [{ e: o, present: true }]),
      TRIAGE_GAIN_WEIGHT,
      support,
    );
    if (!best || gain > best.gain) best = { id: g.id, gain };
  });
  if (!best) return null;
  const b = best as { id: string; gain: number };
  const q = questionFor(model, b.id);
  return q ? { question: q, gain: b.gain } : null;
}

function evaluate(
  model: CompiledModel,
  state: InterviewState,
): { post: Float64Array; ev: Int8Array; flags: RedFlag[]; triage: TriageResult; fired: FiredDiscriminator[] } {
  const ev = denseEvidence(model, state.evidence);
  const post = posteriorDense(model, state.patient, ev);
  const fired = firedDiscriminators(model.kb, state.evidence, state.patient);
  const flags = [
    ...findRedFlags(model, ev, state.patient),
    ...state.text_red_flags,
    ...fired
      .filter((d) => d.level === 'emergency' || d.level === 'emergency_ambulance')
      .map((d): RedFlag => ({ id: d.id, name: d.name, level: d.level as RedFlag['level'], source: 'discriminator' })),
  ];
  const triage = computeTriage(model, post, flags);
  // An urgent (within 24 hours) discriminator is a floor too: the differential may raise it, never
  // lower it. Routine-level discriminators are not floors: whether a routine presentation needs a
  // doctor or self-care is the differential's call (MTS puts both in its lowest categories).
  const floor = fired.find((d) => d.level === 'consultation_24');
  if (floor && triageRank(floor.level) > triageRank(triage.level)) {
    triage.level = floor.level;
    triage.reason = `${floor.name}: ${LEVEL_TEXT.consultation_24}.`;
  }
  // Risk-weighted differential: a real chance of an emergency-level cause is urgent even when a
  // benign cause leads (MODEL.md, "Triage").
  if (triageRank(triage.level) < triageRank('consultation_24')) {
    let emergencyMass = 0;
    for (let c = 0; c < model.nC; c++) if (model.triageRank[c]! >= triageRank('emergency')) emergencyMass += post[c]!;
    if (emergencyMass >= URGENT_IF_EMERGENCY_MASS) {
      triage.level = 'consultation_24';
      triage.reason = `${Math.round(emergencyMass * 100)}% combined probability of causes that need emergency care: ${LEVEL_TEXT.consultation_24}.`;
    }
  }
  // Safety net (MODEL.md "Triage"): an emergency concept read with uncertainty never ends in
  // self-care or a routine appointment — the detector saw one but not as happening now, or the
  // patient answered "don't know" to an emergency red flag or discriminator.
  if (triageRank(triage.level) < triageRank('consultation_24')) {
    const unsure = uncertainEmergencyAnswers(model, state);
    const concern = state.text_concerns?.[0];
    if (concern || unsure.length) {
      triage.level = 'consultation_24';
      triage.reason = concern
        ? `You mentioned ${concern.name}; even when it has passed, that needs checking: ${LEVEL_TEXT.consultation_24}.`
        : `You were not sure about: ${unsure.join('; ')}. That would need urgent care, so: ${LEVEL_TEXT.consultation_24}.`;
    }
  }
  // Self-care is advice about a recognised, minor problem: when neither a presenting complaint was
  // recognised nor one self-care condition clearly leads, the checker has not understood enough to
  // send anyone home.
  let top = 0;
  for (let c = 0; c < model.nC; c++) if (post[c]! > top) top = post[c]!;
  if (triage.level === 'self_care' && top < SELF_CARE_MIN_CONFIDENCE && activeComplaints(model.kb, state.evidence, state.patient).length === 0) {
    triage.level = 'consultation';
    triage.reason = 'We could not match your description to a problem we can safely advise self-care for: book an appointment with a doctor.';
  }
  return { post, ev, flags, triage, fired };
}

/**
 * Questions asked for a triage discriminator and answered "don't know" whose finding is a red flag
 * or belongs to an applicable emergency-level discriminator: the names of those findings.
 */
function uncertainEmergencyAnswers(model: CompiledModel, state: InterviewState): string[] {
  const asDiscriminator = new Set(state.discriminator_asked ?? []);
  const unknown = state.answers.filter((a) => a.value === 'unknown' && asDiscriminator.has(a.question_id)).map((a) => a.question_id);
  if (unknown.length === 0) return [];
  const emergencyIds = new Set<string>();
  for (const { d } of applicableDiscriminators(model.kb, state.evidence, state.patient)) {
    if (triageRank(d.level) >= triageRank('emergency')) for (const e of [...(d.all ?? []), ...(d.any ?? [])]) emergencyIds.add(e);
  }
  const out: string[] = [];
  for (const id of unknown) {
    const i = model.evIndex.get(id);
    if (i === undefined) continue;
    const item = model.evidence[i]!;
    if (item.red_flag || emergencyIds.has(id)) out.push(item.name);
  }
  return out;
}

/** Each finding read from the text once, with the state it ended with (later statements win). */
function understoodFindings(state: InterviewState): { id: string; name: string; state: EvidenceState }[] {
  const seen = new Map<string, { id: string; name: string; state: EvidenceState }>();
  for (const m of state.recognised) {
    const final = state.evidence[m.evidence_id];
    if (final !== undefined) seen.set(m.evidence_id, { id: m.evidence_id, name: m.name, state: final });
  }
  return [...seen.values()];
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** Advances the state: decides whether to stop and which question is next. Pure. */
function step(model: CompiledModel, state: InterviewState): InterviewResult {
  const { post, ev, flags, triage } = evaluate(model, state);
  const ranked = rankConditions(model, post, 10);
  let stop = null as StopReason | null;
  let question = null as Question | null;
  const discAsked = state.discriminator_asked ?? [];
  let fromDiscriminator = false;
  const diffAsked = state.asked.length - discAsked.length;
  const canAskDiscriminator = discAsked.length < MAX_DISCRIMINATOR_QUESTIONS && state.max_questions > 0;
  const asked = new Set(state.asked);
  const askable = (id: string) => {
    const i = model.evIndex.get(id);
    return (
      i !== undefined &&
      !asked.has(id) &&
      model.evidence[i]!.text_only !== true &&
      applicable(model, i, state.patient) &&
      (model.parent[i]! < 0 || ev[model.parent[i]!] !== -1)
    );
  };
  const askDiscriminator = (minLevel: TriageLevel): boolean => {
    const first = pendingDiscriminatorEvidence(model.kb, state.evidence, state.patient, minLevel, askable)[0];
    const q = first ? questionFor(model, first.evidence) : null;
    if (!q) return false;
    question = q;
    stop = null;
    fromDiscriminator = true;
    return true;
  };
  if (flags.length > 0) stop = 'red_flag';
  // The emergency discriminators of the presenting complaints come before any differential
  // question, and the interview may not stop while one is unanswered (then the urgent ones).
  else if (!(canAskDiscriminator && askDiscriminator('emergency'))) {
    if (ranked[0] && ranked[0].probability >= STOP_CONFIDENCE) stop = 'confident';
    else if (diffAsked >= state.max_questions) stop = 'max_questions';
    else {
      const next = nextQuestion(model, state, post, ev);
      if (!next || next.gain < MIN_GAIN_BITS) stop = 'no_informative_question';
      else question = next.question;
    }
    if (stop !== null && canAskDiscriminator) askDiscriminator('consultation_24');
  }
  const newState: InterviewState = { ...state, pending: question, pending_discriminator: fromDiscriminator, finished: stop !== null, stop_reason: stop };
  return {
    question,
    conditions: ranked
      .filter((c, i) => i < 3 || c.probability >= 0.01)
      .map((c) => ({ id: c.id, name: c.name, probability: round(c.probability), icd10: c.icd10, triage: c.triage })),
    triage,
    should_stop: stop !== null,
    stop_reason: stop,
    disclaimer: DISCLAIMER,
    recognised: state.recognised.map((m) => ({ id: m.evidence_id, name: m.name, state: m.state, text: m.text })),
    unrecognised: state.unrecognised,
    understood: understoodFindings(state),
    quantities: { ...(state.understood ?? {}), age_years: state.patient.age },
    questions_asked: state.asked.length,
    state: newState,
  };
}

function mapDetectorLevel(level: string): 'emergency' | 'emergency_ambulance' {
  return /ambulance|critical|immediate|999|911|112/i.test(level) ? 'emergency_ambulance' : 'emergency';
}

// ------------------------------------------------------------------ public API

/** Starts an interview. Throws SymptomCheckerError for invalid input; never for unknown symptoms. */
export function startInterview(input: StartInput, opts?: EngineOptions): InterviewResult {
  const kb = kbOf(opts);
  const model = getModel(kb, opts?.adjustments);
  const patient = validatePatient(input);
  const symptoms = input.symptoms ?? [];
  if (!Array.isArray(symptoms) || !symptoms.every((s) => typeof s === 'string')) {
    throw new SymptomCheckerError('INVALID_INPUT', 'symptoms must be an array of strings.', 'symptoms');
  }
  if (input.text !== undefined && input.text !== null && typeof input.text !== 'string') {
    throw new SymptomCheckerError('INVALID_INPUT', 'text must be a string.', 'text');
  }
  const text = typeof input.text === 'string' ? input.text : '';
  const given = input.evidence ?? {};
  if (typeof given !== 'object' || given === null) throw new SymptomCheckerError('INVALID_INPUT', 'evidence must be an object.', 'evidence');
  const nonEmptySymptoms = symptoms.filter((s) => s.trim() !== '');
  if (nonEmptySymptoms.length === 0 && text.trim() === '' && Object.keys(given).length === 0) {
    throw new SymptomCheckerError('EMPTY_INPUT', 'Describe at least one symptom (symptoms or text).');
  }
  if (
    input.duration_days !== undefined &&
    input.duration_days !== null &&
    (typeof input.duration_days !== 'number' || !Number.isFinite(input.duration_days) || input.duration_days < 0 || input.duration_days > 36500)
  ) {
    throw new SymptomCheckerError('INVALID_INPUT', 'duration_days must be a number of days ≥ 0.', 'duration_days');
  }

  const mapped = mapSymptoms(kb, nonEmptySymptoms, text);
  // The text describes the person who is ill: a stated age ("my 9 month old") or pregnancy
  // ("33 weeks pregnant") is theirs and overrides the form, since triage floors depend on it.
  const q = mapped.quantities;
  if (q.age_years !== undefined) patient.age = q.age_years;
  if (q.gestation_weeks !== undefined && patient.sex === 'female' && patient.age >= 10 && patient.age <= 60) {
    patient.pregnant = true;
    patient.gestation_weeks = q.gestation_weeks;
  } else if (patient.sex === 'female' && mapped.evidence['pregnant'] === 'present' && patient.pregnant !== false) {
    patient.pregnant = true;
  }
  const evidence: EvidenceMap = {};
  const recognised: Mention[] = [];
  const given_ = new Set(Object.keys(given));
  const add = (id: string, s: EvidenceState, path: string) => {
    const i = model.evIndex.get(id);
    if (i === undefined) throw new SymptomCheckerError('INVALID_INPUT', `Unknown evidence id ${id}.`, path);
    if (!applicable(model, i, patient)) return; // e.g. "missed period" for a man: not applicable
    if (path !== 'evidence' && given_.has(id)) return; // structured evidence outranks the text
    const bad = setEvidence(model, evidence, id, s);
    if (!bad) return;
    // Structured input that contradicts itself is a client error; a plain-language description
    // never is: the later statement wins (children of an absent parent go with it).
    if (path.startsWith('evidence')) throw new SymptomCheckerError('CONTRADICTORY_INPUT', `Contradictory input about: ${bad}.`, path);
    overrideEvidence(model, evidence, id, s);
  };
  for (const [id, s] of Object.entries(given)) {
    if (s !== 'present' && s !== 'absent') throw new SymptomCheckerError('INVALID_INPUT', `evidence.${id} must be present or absent.`, `evidence.${id}`);
    add(id, s, 'evidence');
  }
  for (const [id, s] of Object.entries(mapped.evidence)) add(id, s, 'symptoms');
  if (q.heart_rate !== undefined && q.heart_rate >= TACHYCARDIA_RATE && patient.age >= TACHYCARDIA_MIN_AGE && model.evIndex.has('palpitations')) {
    add('palpitations', 'present', 'symptoms');
    mapped.mentions.push({
      evidence_id: 'palpitations',
      name: model.evidence[model.evIndex.get('palpitations')!]!.name,
      state: 'present',
      text: `heart rate ${q.heart_rate}`,
    });
  }
  if (
    q.temperature_c !== undefined &&
    q.temperature_c < BABY_LOW_TEMP_C &&
    patient.age < 1 &&
    model.evIndex.has('temp_low') &&
    evidence['temp_low'] === undefined
  ) {
    add('temp_low', 'present', 'symptoms');
    mapped.mentions.push({
      evidence_id: 'temp_low',
      name: model.evidence[model.evIndex.get('temp_low')!]!.name,
      state: 'present',
      text: `${q.temperature_c} °C`,
    });
  }
  for (const m of mapped.mentions) {
    const i = model.evIndex.get(m.evidence_id);
    if (i !== undefined && applicable(model, i, patient)) recognised.push(m);
  }
  const days = input.duration_days ?? mapped.duration_days;
  if (days !== undefined && days !== null && model.evIndex.has(durationOption(days))) {
    add(durationOption(days), 'present', 'duration_days');
  }
  if (model.evIndex.has('pregnant') && patient.sex === 'female' && patient.pregnant !== null) {
    const i = model.evIndex.get('pregnant')!;
    if (applicable(model, i, patient)) overrideEvidence(model, evidence, 'pregnant', patient.pregnant ? 'present' : 'absent');
  }

  const textRedFlags: RedFlag[] = [];
  const textConcerns: { id: string; name: string }[] = [];
  if (opts?.detectEmergency && text.trim()) {
    try {
      const det = opts.detectEmergency(text);
      if (det && !det.is_emergency && Array.isArray(det.matched)) {
        for (const m of det.matched) if (m.settled) textConcerns.push({ id: `text:${m.category}`, name: `"${m.phrase}" (${m.category.replace(/_/g, ' ')})` });
      }
      // A knowledge-base rule the detector fired for some age, sex or pregnancy that is not this
      // patient's ("indigestion with sweating" is a heart-attack sign from 40) does not count here.
      const applies = (m: { rule?: string }) => !m.rule?.startsWith('kb.') || discriminatorAppliesTo(kb, m.rule.slice(3), patient) !== false;
      const levelOf = (m: { level?: string }) => String(m.level ?? det?.level ?? '');
      const urgent = Array.isArray(det?.matched) ? det.matched.filter((m) => applies(m) && /^emergency/.test(levelOf(m))) : [];
      if (det?.is_emergency && (urgent.length > 0 || !Array.isArray(det.matched) || det.matched.length === 0)) {
        const level =
          urgent.length === 0
            ? mapDetectorLevel(String(det.level ?? ''))
            : urgent.some((m) => mapDetectorLevel(levelOf(m)) === 'emergency_ambulance')
              ? 'emergency_ambulance'
              : 'emergency';
        const matched = urgent.length ? urgent : [{ category: 'emergency', phrase: text.slice(0, 60) }];
        // A rule fired by a number (a temperature, a glucose reading) has no words to quote.
        for (const m of matched)
          if (m.phrase.trim()) textRedFlags.push({ id: `text:${m.category}`, name: `"${m.phrase}" (${m.category.replace(/_/g, ' ')})`, level, source: 'text' });
        if (textRedFlags.length === 0) textRedFlags.push({ id: `text:${matched[0]!.category}`, name: `"${text.slice(0, 60)}"`, level, source: 'text' });
      }
    } catch {
      // The detector is advisory here; a failure must not break the interview.
    }
  }

  const maxQ = Math.max(0, Math.min(MAX_QUESTIONS, Math.floor(opts?.maxQuestions ?? MAX_QUESTIONS)));
  const state: InterviewState = {
    v: STATE_VERSION,
    kb_version: kb.meta.version,
    patient,
    evidence,
    asked: [],
    answers: [],
    pending: null,
    finished: false,
    stop_reason: null,
    recognised,
    unrecognised: mapped.unrecognised,
    understood: mapped.quantities,
    discriminator_asked: [],
    text_red_flags: textRedFlags,
    ...(textConcerns.length ? { text_concerns: textConcerns } : {}),
    max_questions: maxQ,
  };
  return step(model, state);
}

/** Checks that a value read back from storage is an interview state this engine can continue. */
export function assertState(raw: unknown, kb?: KnowledgeBase): InterviewState {
  const bad = (m: string): never => {
    throw new SymptomCheckerError('INVALID_STATE', `Interview state is not valid: ${m}.`);
  };
  if (typeof raw !== 'object' || raw === null) bad('not an object');
  const s = raw as InterviewState;
  // Version 1 states (before complaint triage) lack only optional fields and continue as they are.
  if (s.v !== STATE_VERSION && s.v !== 1) bad(`version ${String(s.v)}`);
  if (typeof s.patient !== 'object' || s.patient === null || typeof s.patient.age !== 'number' || (s.patient.sex !== 'male' && s.patient.sex !== 'female'))
    bad('patient');
  if (typeof s.evidence !== 'object' || s.evidence === null || !Array.isArray(s.asked) || !Array.isArray(s.answers)) bad('evidence/asked/answers');
  if (typeof s.finished !== 'boolean' || !Array.isArray(s.text_red_flags) || typeof s.max_questions !== 'number') bad('flags');
  if (s.text_concerns !== undefined && (!Array.isArray(s.text_concerns) || !s.text_concerns.every((c) => typeof c?.name === 'string'))) bad('text_concerns');
  const k = kb ?? getKnowledgeBase();
  const ids = new Set(k.evidence.map((e) => e.id));
  for (const [id, v] of Object.entries(s.evidence)) if (!ids.has(id) || (v !== 'present' && v !== 'absent')) bad(`evidence ${id}`);
  return s;
}

/** Serialises a state for storage (plain JSON). */
export function serializeState(state: InterviewState): string {
  return JSON.stringify(state);
}

/** Reads a stored state (string or parsed JSON) and validates it. */
export function deserializeState(raw: string | unknown, kb?: KnowledgeBase): InterviewState {
  let v: unknown = raw;
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw);
    } catch {
      throw new SymptomCheckerError('INVALID_STATE', 'Interview state is not JSON.');
    }
  }
  return assertState(v, kb);
}

/** Answers the pending question. Re-sending the same answer to an answered question is idempotent. */
export function answer(stateIn: InterviewState, ans: AnswerInput, opts?: EngineOptions): InterviewResult {
  const kb = kbOf(opts);
  const model = getModel(kb, opts?.adjustments);
  const state = assertState(stateIn, kb);
  if (typeof ans !== 'object' || ans === null || typeof ans.question_id !== 'string' || typeof ans.value !== 'string') {
    throw new SymptomCheckerError('INVALID_INPUT', 'answer must be {question_id: string, value: string}.', 'answer');
  }
  const qid = ans.question_id;
  const isGroup = model.groupIndex.has(qid);
  let value = ans.value.trim();
  if (!isGroup) {
    const v = VALUE_ALIASES[value.toLowerCase()];
    if (!v)
      throw new SymptomCheckerError(
        'INVALID_ANSWER_VALUE',
        `"${ans.value}" is not a valid answer to a yes/no question (present, absent, unknown).`,
        'answer.value',
      );
    value = v;
  } else {
    const g = model.groups[model.groupIndex.get(qid)!]!;
    const opts2 = new Set(g.options.map((o) => model.evidence[o]!.id));
    if (VALUE_ALIASES[value.toLowerCase()] === 'unknown') value = 'unknown';
    if (value !== 'unknown' && !opts2.has(value)) {
      throw new SymptomCheckerError('INVALID_ANSWER_VALUE', `"${ans.value}" is not an option of ${qid} (${[...opts2].join(', ')}, unknown).`, 'answer.value');
    }
  }

  // An earlier question answered again: idempotent if the same, a contradiction otherwise.
  const previous = state.answers.find((a) => a.question_id === qid);
  if (previous) {
    if (previous.value === value) return step(model, { ...state, pending: state.pending });
    throw new SymptomCheckerError('CONTRADICTORY_ANSWER', `Question ${qid} was already answered "${previous.value}".`, 'answer.question_id');
  }
  if (state.finished) throw new SymptomCheckerError('INTERVIEW_FINISHED', 'The interview has finished; start a new one.', 'answer');
  if (!state.pending || state.pending.id !== qid) {
    throw new SymptomCheckerError(
      'QUESTION_NOT_ASKED',
      `Question ${qid} was not asked${state.pending ? ` (the pending question is ${state.pending.id})` : ''}.`,
      'answer.question_id',
    );
  }

  const evidence: EvidenceMap = { ...state.evidence };
  if (value !== 'unknown') {
    const id = isGroup ? value : qid;
    const s: EvidenceState = isGroup ? 'present' : (value as EvidenceState);
    const bad = setEvidence(model, evidence, id, s);
    if (bad) throw new SymptomCheckerError('CONTRADICTORY_ANSWER', `The answer contradicts what is already known about ${bad}.`, 'answer.value');
  }
  const next: InterviewState = {
    ...state,
    evidence,
    discriminator_asked: state.pending_discriminator ? [...(state.discriminator_asked ?? []), qid] : (state.discriminator_asked ?? []),
    asked: [...state.asked, qid],
    answers: [...state.answers, { question_id: qid, value }],
  };
  return step(model, next);
}

/** Re-computes the result of a stored state without changing it (e.g. GET of a session). */
export function resume(stateIn: InterviewState, opts?: EngineOptions): InterviewResult {
  const kb = kbOf(opts);
  const state = assertState(stateIn, kb);
  const result = step(getModel(kb, opts?.adjustments), state);
  // Keep the pending question that was actually asked.
  return state.pending ? { ...result, question: state.pending, state: { ...result.state, pending: state.pending } } : result;
}

/** Full ranking for a state (all conditions), e.g. for evaluation. */
export function rankState(state: InterviewState, opts?: EngineOptions): RankedCondition[] {
  const kb = kbOf(opts);
  const model = getModel(kb, opts?.adjustments);
  return rankConditions(model, posteriorDense(model, state.patient, denseEvidence(model, state.evidence)));
}
