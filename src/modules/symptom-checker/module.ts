import type { AppContext, AppModule } from '../../platform/context.js';
import { SymptomCheckerRepository } from './symptom-checker.repository.js';
import { SymptomCheckerService } from './symptom-checker.service.js';
import { symptomCheckerRoutes } from './symptom-checker.routes.js';
import './symptom-checker.tables.js';
import { patientProfilesFor } from '../scheduling/index.js';
import { auditFor } from '../audit/index.js';
import { loadDictionary } from '../clinical-text/index.js';
import { getKnowledgeBase } from './kb/loader.js';
import { getModel } from './inference.js';

/** Whole years (fractional under 2, where months matter for triage) from a date of birth. */
function ageFrom(dateOfBirth: string, now = new Date()): number | undefined {
  const dob = new Date(`${dateOfBirth.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(dob.getTime()) || dob > now) return undefined;
  const years = (now.getTime() - dob.getTime()) / (365.25 * 24 * 3600 * 1000);
  return years < 2 ? Math.round(years * 100) / 100 : Math.floor(years);
}

const services = new WeakMap<AppContext, SymptomCheckerService>();

export function symptomCheckerFor(ctx: AppContext): SymptomCheckerService {
  let service = services.get(ctx);
  if (!service) {
    service = new SymptomCheckerService({
      db: ctx.db,
      repo: new SymptomCheckerRepository(),
      events: ctx.events,
      pubsub: ctx.pubsub,
      log: ctx.log,
      sessionTtlHours: 24,
      learningBatchSize: 1000,
      audit: auditFor(ctx),
      patientBasics: async (userId) => {
        const p = await patientProfilesFor(ctx).profile(userId);
        const age = p?.date_of_birth ? ageFrom(p.date_of_birth) : undefined;
        const sex = p?.sex === 'male' || p?.sex === 'female' ? p.sex : undefined;
        return { ...(age !== undefined ? { age } : {}), ...(sex ? { sex } : {}) };
      },
    });
    services.set(ctx, service);
  }
  return service;
}

const timers = new WeakMap<AppContext, NodeJS.Timeout>();

/**
 * HTTP surface of the symptom checker (docs/API.md §7.1). The engine itself (index.ts and
 * the files it re-exports) is pure and knows nothing of HTTP or storage.
 */
export const symptomCheckerModule: AppModule = {
  name: 'symptom-checker',
  async routes(app, ctx) {
    const service = symptomCheckerFor(ctx);
    await service.listen();
    await symptomCheckerRoutes(app, service);
  },
  start(ctx) {
    // Chat messages and interviews read text from the first request on: load the spelling
    // dictionary and compile the knowledge base now rather than on a patient's first message.
    loadDictionary();
    getModel(getKnowledgeBase());
    // The learning job: hourly by default; several instances are safe (advisory lock).
    const timer = setInterval(() => {
      symptomCheckerFor(ctx)
        .applyPendingFeedback()
        .catch((err) => ctx.log.error({ err }, 'symptom-checker learning job failed'));
    }, ctx.config.symptomLearningIntervalSeconds * 1000);
    timer.unref();
    timers.set(ctx, timer);
  },
  async stop(ctx) {
    clearInterval(timers.get(ctx));
    await symptomCheckerFor(ctx).close();
  },
};
