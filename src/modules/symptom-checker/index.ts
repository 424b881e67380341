// Public API of the symptom-checker engine (pure; the HTTP layer stores `state` and adjustments).
import { getKnowledgeBase } from './kb/loader.js';
import type { KnowledgeBase } from './kb/types.js';

export { startInterview, answer, resume, rankState, serializeState, deserializeState, assertState, MAX_QUESTIONS } from './interview.js';
export type { StartInput, AnswerInput, EngineOptions, EmergencyDetector, InterviewState, InterviewResult, Question, QuestionType, StopReason } from './interview.js';
export { SymptomCheckerError, isSymptomCheckerError } from './errors.js';
export type { SymptomCheckerErrorCode } from './errors.js';
export { applyFeedbackBatch, emptyAdjustments, validateFeedback, summariseAdjustments, DEFAULT_LEARNING_PARAMS } from './learning.js';
export type { FeedbackRow, ModelAdjustments, LearningParams } from './learning.js';
export { DISCLAIMER } from './triage.js';
export type { TriageResult, RedFlag } from './triage.js';
export { mapSymptoms, mapText } from './text-mapping.js';
export { screenText } from './text-screen.js';
export type { Screening, ScreenedFlag } from './text-screen.js';
export { getKnowledgeBase } from './kb/loader.js';
export type { TriageLevel } from './kb/types.js';

export interface KnowledgeBaseListing {
  version: string;
  counts: { conditions: number; evidence: number; sources: number };
  conditions: {
    id: string; name: string; icd10: string; system: string; triage: string;
    red_flags: string[]; evidence: { id: string; probability: number }[];
    sources: { id: string; title: string; org: string; year?: number; kind: string }[];
  }[];
  evidence: { id: string; name: string; type: string; question: string; red_flag: boolean; parent?: string }[];
  sources: { id: string; title: string; org: string; year?: number; kind: string }[];
}

/** The knowledge base for `GET /ml/symptom-checker/conditions` (conditions, evidence, sources). */
export function listKnowledgeBase(kb: KnowledgeBase = getKnowledgeBase()): KnowledgeBaseListing {
  const sources = new Map(kb.sources.map((s) => [s.id, s]));
  const src = (id: string) => { const s = sources.get(id)!; return { id: s.id, title: s.title, org: s.org, ...(s.year !== undefined ? { year: s.year } : {}), kind: s.kind }; };
  return {
    version: kb.meta.version,
    counts: { conditions: kb.conditions.length, evidence: kb.evidence.length, sources: kb.sources.length },
    conditions: kb.conditions.map((c) => ({
      id: c.id, name: c.name, icd10: c.icd10, system: c.system, triage: c.triage, red_flags: c.red_flags,
      evidence: Object.entries(c.evidence).map(([id, probability]) => ({ id, probability })),
      sources: c.sources.map(src),
    })),
    evidence: kb.evidence.map((e) => ({ id: e.id, name: e.name, type: e.type, question: e.question, red_flag: !!e.red_flag, ...(e.parent ? { parent: e.parent } : {}) })),
    sources: kb.sources.map((s) => src(s.id)),
  };
}
