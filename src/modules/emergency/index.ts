/** Emergency detection (docs/API.md §7.2): the detector is pure TypeScript, no HTTP or database. */
import type { AppModule } from '../../platform/context.js';
import { emergencyRoutes } from './emergency.routes.js';

export { detectEmergency, MAX_INPUT_CHARS } from './detector.js';
export { evaluateEmergencyDetector, EVAL_MESSAGES } from './eval.js';
export type { EmergencyEvalMessage, EmergencyEvaluation } from './eval.js';
export type { CrisisResource, EmergencyCategory, EmergencyCheck, EmergencyLevel, EmergencyMatch } from './types.js';
export { CONCEPTS, RULES, CATEGORY_ADVICE, CRISIS_RESOURCES } from './lexicon.js';
export type { Concept, Rule } from './lexicon.js';

/** HTTP surface of the emergency detector; the detector itself (detector.ts) is pure. */
export const emergencyModule: AppModule = {
  name: 'emergency',
  routes: (app, ctx) => emergencyRoutes(app, ctx.events),
};
