// Public API of the symptom checker: the engine (pure; the HTTP layer stores `state` and
// adjustments) and, at the end, the module (service builder and HTTP surface, docs/API.md §7.1).
import type { FastifyBaseLogger } from 'fastify';
import type { AppModule } from '../../platform/context.js';
import type { Db } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { PubSub } from '../../platform/pubsub.js';
import type { AuditService } from '../audit/index.js';
import type { SchedulingLookups } from '../scheduling/index.js';
import { loadDictionary } from '../clinical-text/index.js';
import { getKnowledgeBase } from './kb/loader.js';
import type { KnowledgeBase } from './kb/types.js';
import { getModel } from './inference.js';
import { SymptomCheckerRepository } from './symptom-checker.repository.js';
import { SymptomCheckerService } from './symptom-checker.service.js';
import { SymptomCheckerExport } from './symptom-checker.export.js';
import { symptomCheckerRoutes } from './symptom-checker.routes.js';
import './symptom-checker.tables.js';

export { startInterview, answer, resume, rankState, serializeState, deserializeState, assertState, MAX_QUESTIONS } from './interview.js';
export type {
  StartInput,
  AnswerInput,
  EngineOptions,
  EmergencyDetector,
  InterviewState,
  InterviewResult,
  Question,
  QuestionType,
  StopReason,
} from './interview.js';
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
    id: string;
    name: string;
    icd10: string;
    system: string;
    triage: string;
    red_flags: string[];
    evidence: { id: string; probability: number }[];
    sources: { id: string; title: string; org: string; year?: number; kind: string }[];
  }[];
  evidence: { id: string; name: string; type: string; question: string; red_flag: boolean; parent?: string }[];
  sources: { id: string; title: string; org: string; year?: number; kind: string }[];
}

/** The knowledge base for `GET /ml/symptom-checker/conditions` (conditions, evidence, sources). */
export function listKnowledgeBase(kb: KnowledgeBase = getKnowledgeBase()): KnowledgeBaseListing {
  const sources = new Map(kb.sources.map((s) => [s.id, s]));
  const src = (id: string) => {
    const s = sources.get(id)!;
    return { id: s.id, title: s.title, org: s.org, ...(s.year !== undefined ? { year: s.year } : {}), kind: s.kind };
  };
  return {
    version: kb.meta.version,
    counts: { conditions: kb.conditions.length, evidence: kb.evidence.length, sources: kb.sources.length },
    conditions: kb.conditions.map((c) => ({
      id: c.id,
      name: c.name,
      icd10: c.icd10,
      system: c.system,
      triage: c.triage,
      red_flags: c.red_flags,
      evidence: Object.entries(c.evidence).map(([id, probability]) => ({ id, probability })),
      sources: c.sources.map(src),
    })),
    evidence: kb.evidence.map((e) => ({
      id: e.id,
      name: e.name,
      type: e.type,
      question: e.question,
      red_flag: !!e.red_flag,
      ...(e.parent ? { parent: e.parent } : {}),
    })),
    sources: kb.sources.map((s) => src(s.id)),
  };
}

export { SymptomCheckerService } from './symptom-checker.service.js';
export type { SymptomCheckerExport } from './symptom-checker.export.js';

/** The symptom-checker section of a patient's data export (identity's PatientExportService; symptom-checker.export.ts). */
export function buildSymptomCheckerExport(deps: { db: Db; audit: Pick<AuditService, 'record'> }): SymptomCheckerExport {
  return new SymptomCheckerExport(deps.db, deps.audit);
}

/** Whole years (fractional under 2, where months matter for triage) from a date of birth. */
function ageFrom(dateOfBirth: string, now = new Date()): number | undefined {
  const dob = new Date(`${dateOfBirth.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(dob.getTime()) || dob > now) return undefined;
  const years = (now.getTime() - dob.getTime()) / (365.25 * 24 * 3600 * 1000);
  return years < 2 ? Math.round(years * 100) / 100 : Math.floor(years);
}

/** The symptom-checker services of one instance (`ctx.services.symptomChecker`). */
export interface SymptomCheckerServices {
  checker: SymptomCheckerService;
  /** The learning job (pending feedback → a new model version): started by the module's `start`, stopped by `stop`. */
  learning: { start(): void; stop(): void };
  /**
   * The spelling dictionary and the compiled base model (~0.8 s of CPU together): built in the
   * background once the server listens (`warm`, from the module's `warmUp`), not before, so
   * start-up does not wait for them (docs/BENCHMARKS.md, "Footprint"). Until then GET /ready
   * says not ready; a request that needs them first builds them itself (both are memoised).
   */
  model: { readonly ready: boolean; readonly warming: boolean; build(): void; warm(): Promise<void> };
}

export interface SymptomCheckerDeps {
  db: Db;
  events: EventBus;
  pubsub: PubSub;
  log: FastifyBaseLogger;
  audit: AuditService;
  scheduling: Pick<SchedulingLookups, 'patientProfile'>;
  learningIntervalSeconds: number;
}

export function buildSymptomCheckerServices(deps: SymptomCheckerDeps): SymptomCheckerServices {
  const checker = new SymptomCheckerService({
    db: deps.db,
    repo: new SymptomCheckerRepository(),
    events: deps.events,
    pubsub: deps.pubsub,
    log: deps.log,
    sessionTtlHours: 24,
    learningBatchSize: 1000,
    audit: deps.audit,
    patientBasics: async (userId) => {
      const p = await deps.scheduling.patientProfile(userId);
      const age = p?.date_of_birth ? ageFrom(p.date_of_birth) : undefined;
      const sex = p?.sex === 'male' || p?.sex === 'female' ? p.sex : undefined;
      return { ...(age !== undefined ? { age } : {}), ...(sex ? { sex } : {}) };
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const learning = {
    // Hourly by default; several instances are safe (advisory lock).
    start() {
      clearInterval(timer);
      timer = setInterval(() => {
        checker.applyPendingFeedback().catch((err) => deps.log.error({ err }, 'symptom-checker learning job failed'));
      }, deps.learningIntervalSeconds * 1000);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
  let ready = false;
  let warming: Promise<void> | undefined;
  const model = {
    get ready() {
      return ready;
    },
    get warming() {
      return warming !== undefined;
    },
    build() {
      loadDictionary();
      getModel(getKnowledgeBase());
      ready = true;
    },
    warm() {
      // One step per event-loop turn, so requests arriving meanwhile (/health, logins) are
      // answered between the steps rather than after all of them.
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      warming ??= (async () => {
        await turn();
        loadDictionary();
        await turn();
        const kb = getKnowledgeBase();
        await turn();
        getModel(kb);
        ready = true;
      })();
      return warming;
    },
  };
  return { checker, learning, model };
}

/** HTTP surface of the symptom checker (docs/API.md §7.1). */
export const symptomCheckerModule: AppModule = {
  name: 'symptom-checker',
  async routes(app, ctx) {
    const { checker } = ctx.services.symptomChecker;
    await checker.listen();
    await symptomCheckerRoutes(app, checker);
  },
  start(ctx) {
    ctx.services.symptomChecker.learning.start();
  },
  warmUp(ctx) {
    // Chat messages and interviews read text from the first request on: load the spelling
    // dictionary and compile the knowledge base right after listening rather than on a
    // patient's first message (and not before listening, where it cost ~0.8 s of start-up).
    ctx.services.symptomChecker.model.warm().catch((err) => ctx.log.error({ err }, 'symptom-checker model build failed'));
  },
  readiness: (ctx) => [
    {
      name: 'symptom-checker',
      async check() {
        const { model } = ctx.services.symptomChecker;
        if (model.ready) return;
        // Not listening yet, or an app without warmUp (tests): build now, then say ready.
        if (!model.warming) return model.build();
        throw new Error('the symptom-checker model is still being built');
      },
    },
  ],
  async stop(ctx) {
    ctx.services.symptomChecker.learning.stop();
    await ctx.services.symptomChecker.checker.close();
  },
};
