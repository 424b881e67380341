import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../platform/database/index.js';
import { isUniqueViolation } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { PubSub } from '../../platform/pubsub.js';
import type { Actor } from '../../platform/access.js';
import { BadRequestError, ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import { detectEmergency } from '../emergency/index.js';
import type { AuditService, RequestMeta } from '../audit/index.js';

/** Audit resource type of a symptom-checker session (and the feedback on it). */
const SESSION = 'symptom_checker_session';
// Engine files directly, not './index.js' (which also holds this module's AppModule: no import cycle).
import { answer, deserializeState, resume, startInterview, type AnswerInput, type EngineOptions, type InterviewResult, type StartInput } from './interview.js';
import { isSymptomCheckerError } from './errors.js';
import { applyFeedbackBatch, summariseAdjustments, validateFeedback, type FeedbackRow, type ModelAdjustments } from './learning.js';
import type { SymptomCheckerRepository } from './symptom-checker.repository.js';

/** How many conditions a reply lists (the full ranking stays in the engine). */
const CONDITIONS_IN_REPLY = 10;
const MODEL_CHANNEL = 'symptom-checker.model';

export interface SymptomCheckerDeps {
  db: Db;
  repo: SymptomCheckerRepository;
  events: EventBus;
  pubsub: PubSub;
  log: FastifyBaseLogger;
  sessionTtlHours: number;
  /** Most feedback rows one learning pass takes. */
  learningBatchSize: number;
  /** Every read or write of a session is audited: what a person reports about their health is PHI. */
  audit: AuditService;
  /** Age and sex from the patient's profile, for a start that omits them (scheduling's public API). */
  patientBasics?: (userId: string) => Promise<{ age?: number; sex?: 'male' | 'female' }>;
}

/** Engine errors carry a suggested status; map them onto the platform's error types once. */
function toAppError(err: unknown): unknown {
  if (!isSymptomCheckerError(err)) return err;
  const errors = err.path ? [{ path: err.path, message: err.message }] : undefined;
  if (err.status === 409) return new ConflictError(err.message, err.code.toLowerCase().replace(/_/g, '-'));
  if (err.status === 400) return new BadRequestError(err.message, errors);
  return new ValidationError(err.message, errors);
}

function engineCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toAppError(err);
  }
}

/**
 * The symptom checker as a service: interviews stored per user (the engine's state is
 * plain JSON in a jsonb column), feedback collected per session, and a learning pass that
 * turns pending feedback into a new, reviewable model version.
 */
export class SymptomCheckerService {
  private model: { id: string | null; adjustments: ModelAdjustments | null } | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;

  constructor(private readonly deps: SymptomCheckerDeps) {}

  /** Other instances reload the model when one of them activates a new version. */
  async listen(): Promise<void> {
    this.unsubscribe = await this.deps.pubsub.subscribe(MODEL_CHANNEL, () => {
      this.model = null;
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
  }

  private async engineOptions(): Promise<EngineOptions & { modelVersion: string | null }> {
    if (!this.model) {
      const active = await this.deps.repo.activeModel(this.deps.db);
      this.model = { id: active?.id ?? null, adjustments: active?.adjustments ?? null };
    }
    return { adjustments: this.model.adjustments ?? undefined, detectEmergency, modelVersion: this.model.id };
  }

  private reply(sessionId: string, result: InterviewResult) {
    return {
      session_id: sessionId,
      question: result.question,
      conditions: result.conditions
        .slice(0, CONDITIONS_IN_REPLY)
        .map((c) => ({ id: c.id, name: c.name, probability: Math.round(c.probability * 10_000) / 10_000, icd10: c.icd10, triage: c.triage })),
      triage: result.triage,
      should_stop: result.should_stop,
      stop_reason: result.stop_reason,
      questions_asked: result.questions_asked,
      recognised: result.recognised,
      unrecognised: result.unrecognised,
      understood: result.understood,
      quantities: result.quantities,
      disclaimer: result.disclaimer,
    };
  }

  private async announceEmergency(actor: Actor, sessionId: string, result: InterviewResult): Promise<void> {
    if (result.triage.level !== 'emergency' && result.triage.level !== 'emergency_ambulance') return;
    await this.deps.events.publish('emergency.detected', {
      patientId: actor.id,
      source: 'symptom_checker',
      sessionId,
      level: result.triage.level,
      matched: result.triage.red_flags.map((f) => ({ category: f.id, phrase: f.name })),
    });
  }

  async start(meta: RequestMeta, body: Omit<StartInput, 'age' | 'sex'> & { age?: number; sex?: string }) {
    const actor = meta.actor;
    let { age, sex } = body;
    if ((age === undefined || sex === undefined) && this.deps.patientBasics) {
      const basics = await this.deps.patientBasics(actor.id);
      age ??= basics.age;
      sex ??= basics.sex;
    }
    const missing = [age === undefined ? 'age' : null, sex === undefined ? 'sex' : null].filter((x): x is string => x !== null);
    if (missing.length) {
      throw new ValidationError(
        `Give ${missing.join(' and ')} in the request, or add ${missing.map((m) => (m === 'age' ? 'your date of birth' : 'your sex')).join(' and ')} to your profile (PUT /api/v1/patients/me).`,
        missing.map((m) => ({ path: `/${m}`, message: 'required when the profile does not have it' })),
      );
    }
    const input: StartInput = { ...body, age: age!, sex: sex! };
    const options = await this.engineOptions();
    const result = engineCall(() => startInterview(input, options));
    const expiresAt = new Date(Date.now() + this.deps.sessionTtlHours * 3600 * 1000);
    const row = await this.deps.db.transaction().execute(async (trx) => {
      const created = await this.deps.repo.createSession(trx, actor.id, result, expiresAt, options.modelVersion);
      await this.deps.audit.record(trx, meta, [{ patientId: actor.id, resourceType: SESSION, resourceId: created.id, action: 'create' }]);
      return created;
    });
    await this.announceEmergency(actor, row.id, result);
    return this.reply(row.id, result);
  }

  async continue(meta: RequestMeta, sessionId: string, answerInput: AnswerInput) {
    const actor = meta.actor;
    const options = await this.engineOptions();
    const { result, wasEmergency } = await this.deps.db.transaction().execute(async (trx) => {
      // Locked, so two answers sent at once are applied one after the other.
      const session = await this.deps.repo.findOwnSession(trx, sessionId, actor.id, true);
      if (!session) throw new NotFoundError('Symptom-checker session', 'No such session, or it has expired; start a new one.');
      const state = engineCall(() => deserializeState(session.state));
      const next = engineCall(() => answer(state, answerInput, options));
      await this.deps.repo.updateSession(trx, sessionId, next);
      await this.deps.audit.record(trx, meta, [{ patientId: actor.id, resourceType: SESSION, resourceId: sessionId, action: 'update' }]);
      return { result: next, wasEmergency: session.triage_level === 'emergency' || session.triage_level === 'emergency_ambulance' };
    });
    if (!wasEmergency) await this.announceEmergency(actor, sessionId, result);
    return this.reply(sessionId, result);
  }

  async get(meta: RequestMeta, sessionId: string) {
    const actor = meta.actor;
    const session = await this.deps.repo.findOwnSessionAnyAge(this.deps.db, sessionId, actor.id);
    if (!session) throw new NotFoundError('Symptom-checker session');
    await this.deps.audit.record(this.deps.db, meta, [{ patientId: actor.id, resourceType: SESSION, resourceId: session.id, action: 'read' }]);
    const options = await this.engineOptions();
    const result = engineCall(() => resume(deserializeState(session.state), options));
    return { ...this.reply(session.id, result), created_at: iso(session.created_at), expires_at: iso(session.expires_at) };
  }

  async history(meta: RequestMeta, query: { limit?: number; cursor?: string }) {
    const actor = meta.actor;
    const limit = query.limit ?? 20;
    const rows = await this.deps.repo.listOwnSessions(this.deps.db, actor.id, decodeCursor(query.cursor), limit);
    await this.deps.audit.record(this.deps.db, meta, [{ patientId: actor.id, resourceType: SESSION, resourceId: null, action: 'list' }]);
    return toPage(
      rows,
      limit,
      (row) => row.created_at.toISOString(),
      (row) => ({
        session_id: row.id,
        created_at: iso(row.created_at),
        updated_at: iso(row.updated_at),
        finished: row.finished,
        triage_level: row.triage_level,
        top_condition: row.top_condition_id ? { id: row.top_condition_id, name: row.top_condition_name ?? row.top_condition_id } : null,
        questions_asked: row.questions_asked,
        feedback_given: row.feedback_id !== null,
      }),
    );
  }

  async feedback(meta: RequestMeta, input: { session_id: string; actual_condition?: string; helpful: boolean; rating?: number; comment?: string }) {
    const actor = meta.actor;
    const session = await this.deps.repo.findOwnSessionAnyAge(this.deps.db, input.session_id, actor.id);
    if (!session) throw new NotFoundError('Symptom-checker session');
    engineCall(() => validateFeedback({ actual_condition: input.actual_condition, helpful: input.helpful, rating: input.rating }));
    try {
      const row = await this.deps.db.transaction().execute(async (trx) => {
        const created = await this.deps.repo.insertFeedback(trx, {
          session_id: session.id,
          user_id: actor.id,
          actual_condition: input.actual_condition ?? null,
          helpful: input.helpful,
          rating: input.rating ?? null,
          comment: input.comment ?? null,
        });
        await this.deps.audit.record(trx, meta, [
          { patientId: actor.id, resourceType: SESSION, resourceId: session.id, action: 'create', details: { feedback_id: created.id } },
        ]);
        return created;
      });
      return { id: row.id, session_id: session.id, status: 'pending' as const, created_at: iso(row.created_at) };
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('Feedback for this session was already given.', 'feedback-exists');
      throw err;
    }
  }

  /**
   * The learning job: folds pending feedback into a new model version (bounded
   * Dirichlet-count update, see learning.ts) and activates it. Returns null when another
   * instance holds the lock or there is nothing to apply.
   */
  async applyPendingFeedback(actorId: string | null = null) {
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      if (!(await this.deps.repo.tryLearningLock(trx))) return null;
      const pending = await this.deps.repo.pendingFeedback(trx, this.deps.learningBatchSize);
      if (pending.length === 0) return null;
      const current = await this.deps.repo.activeModel(trx);
      const rows: FeedbackRow[] = pending.map((f) => ({
        session_id: f.session_id,
        user_id: f.user_id,
        actual_condition: f.actual_condition,
        helpful: f.helpful,
        rating: f.rating,
        evidence: (f.state as { evidence?: FeedbackRow['evidence'] }).evidence ?? {},
      }));
      const next = applyFeedbackBatch(current?.adjustments ?? null, rows);
      const version = await this.deps.repo.insertModel(
        trx,
        next,
        pending.length,
        actorId,
        actorId ? 'applied by an administrator' : 'applied by the learning job',
      );
      await this.deps.repo.activate(trx, version.id);
      await this.deps.repo.markFeedbackApplied(
        trx,
        pending.map((f) => f.id),
        version.id,
      );
      return { id: version.id, applied: pending.length, adjustments: next };
    });
    if (!outcome) return null;
    this.model = null;
    await this.deps.pubsub.publish(MODEL_CHANNEL, { version: outcome.id });
    this.deps.log.info({ version: outcome.id, applied: outcome.applied }, 'symptom-checker model updated from feedback');
    return { version_id: outcome.id, feedback_applied: outcome.applied, summary: summariseAdjustments(outcome.adjustments) };
  }

  async modelOverview() {
    const [active, versions, pending] = await Promise.all([
      this.deps.repo.activeModel(this.deps.db),
      this.deps.repo.listModels(this.deps.db, 20),
      this.deps.repo.countPendingFeedback(this.deps.db),
    ]);
    return {
      active_version: active?.id ?? null,
      pending_feedback: pending,
      summary: active ? summariseAdjustments(active.adjustments) : null,
      versions: versions.map((v) => ({
        id: v.id,
        feedback_applied: v.feedback_applied,
        active: v.active,
        created_at: iso(v.created_at),
        created_by: v.created_by,
        note: v.note,
      })),
    };
  }

  /** Roll back (or forward) to a stored version. */
  async activate(versionId: string) {
    const version = await this.deps.repo.findModel(this.deps.db, versionId);
    if (!version) throw new NotFoundError('Model version');
    await this.deps.db.transaction().execute((trx) => this.deps.repo.activate(trx, versionId));
    this.model = null;
    await this.deps.pubsub.publish(MODEL_CHANNEL, { version: versionId });
    return this.modelOverview();
  }
}
