/** Emergency detection service core (docs/API.md §7.2). Pure TypeScript, no HTTP or database. */
export { detectEmergency, MAX_INPUT_CHARS } from './detector.js';
export { evaluateEmergencyDetector, EVAL_MESSAGES } from './eval.js';
export type { EmergencyEvalMessage, EmergencyEvaluation } from './eval.js';
export type {
  CrisisResource,
  EmergencyCategory,
  EmergencyCheck,
  EmergencyLevel,
  EmergencyMatch,
} from './types.js';
export { CONCEPTS, RULES, CATEGORY_ADVICE, CRISIS_RESOURCES } from './lexicon.js';
export type { Concept, Rule } from './lexicon.js';
