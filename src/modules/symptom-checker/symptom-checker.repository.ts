import { sql } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { KeysetPosition } from '../../platform/http/pagination.js';
import type { InterviewResult, ModelAdjustments } from './index.js';
import { afterPosition } from '../../platform/database/keyset.js';

function summaryColumns(result: InterviewResult) {
  const top = result.conditions[0];
  return {
    state: JSON.stringify(result.state),
    finished: result.should_stop,
    triage_level: result.triage.level,
    top_condition_id: top?.id ?? null,
    top_condition_name: top?.name ?? null,
    questions_asked: result.questions_asked,
  };
}

export class SymptomCheckerRepository {
  async createSession(db: Executor, userId: string, result: InterviewResult, expiresAt: Date, modelVersion: string | null) {
    return db
      .insertInto('symptom_sessions')
      .values({ user_id: userId, kb_version: result.state.kb_version, model_version: modelVersion, expires_at: expiresAt, ...summaryColumns(result) })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
  }

  /** The caller's own, unexpired session (locked when `forUpdate`), or undefined. */
  async findOwnSession(db: Executor, sessionId: string, userId: string, forUpdate = false) {
    let query = db.selectFrom('symptom_sessions').selectAll().where('id', '=', sessionId).where('user_id', '=', userId).where('expires_at', '>', new Date());
    if (forUpdate) query = query.forUpdate();
    return query.executeTakeFirst();
  }

  async findOwnSessionAnyAge(db: Executor, sessionId: string, userId: string) {
    return db.selectFrom('symptom_sessions').selectAll().where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst();
  }

  async updateSession(db: Executor, sessionId: string, result: InterviewResult) {
    await db
      .updateTable('symptom_sessions')
      .set({ ...summaryColumns(result), updated_at: new Date() })
      .where('id', '=', sessionId)
      .execute();
  }

  async listOwnSessions(db: Executor, userId: string, after: KeysetPosition | null, limit: number) {
    let query = db
      .selectFrom('symptom_sessions as s')
      .leftJoin('symptom_feedback as f', 'f.session_id', 's.id')
      .select([
        's.id',
        's.created_at',
        's.updated_at',
        's.finished',
        's.triage_level',
        's.top_condition_id',
        's.top_condition_name',
        's.questions_asked',
        's.kb_version',
        'f.id as feedback_id',
      ])
      .where('s.user_id', '=', userId);
    if (after) {
      const at = new Date(String(after.v));
      query = query.where(afterPosition('s.created_at', 's.id', true, at, after.id));
    }
    return query
      .orderBy('s.created_at', 'desc')
      .orderBy('s.id', 'desc')
      .limit(limit + 1)
      .execute();
  }

  async insertFeedback(
    db: Executor,
    values: { session_id: string; user_id: string; actual_condition: string | null; helpful: boolean; rating: number | null; comment: string | null },
  ) {
    return db
      .insertInto('symptom_feedback')
      .values({ ...values, applied_in: null })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
  }

  async pendingFeedback(db: Executor, limit: number) {
    return db
      .selectFrom('symptom_feedback as f')
      .innerJoin('symptom_sessions as s', 's.id', 'f.session_id')
      .select(['f.id', 'f.session_id', 'f.user_id', 'f.actual_condition', 'f.helpful', 'f.rating', 's.state'])
      .where('f.applied_in', 'is', null)
      .orderBy('f.created_at')
      .limit(limit)
      .execute();
  }

  async countPendingFeedback(db: Executor): Promise<number> {
    const row = await db
      .selectFrom('symptom_feedback')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('applied_in', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async markFeedbackApplied(db: Executor, ids: string[], versionId: string) {
    if (ids.length) await db.updateTable('symptom_feedback').set({ applied_in: versionId }).where('id', 'in', ids).execute();
  }

  async activeModel(db: Executor) {
    return db.selectFrom('symptom_model_versions').selectAll().where('active', '=', true).executeTakeFirst();
  }

  async findModel(db: Executor, id: string) {
    return db.selectFrom('symptom_model_versions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listModels(db: Executor, limit: number) {
    return db
      .selectFrom('symptom_model_versions')
      .select(['id', 'feedback_applied', 'active', 'created_at', 'created_by', 'note'])
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
  }

  /** Makes `id` the only active version (the partial unique index allows one). */
  async activate(db: Executor, id: string) {
    await db.updateTable('symptom_model_versions').set({ active: false }).where('active', '=', true).execute();
    await db.updateTable('symptom_model_versions').set({ active: true }).where('id', '=', id).execute();
  }

  async insertModel(db: Executor, adjustments: ModelAdjustments, feedbackApplied: number, createdBy: string | null, note: string | null) {
    return db
      .insertInto('symptom_model_versions')
      .values({ adjustments: JSON.stringify(adjustments), feedback_applied: feedbackApplied, active: false, created_by: createdBy, note })
      .returning(['id'])
      .executeTakeFirstOrThrow();
  }

  /** Only one instance runs a learning pass at a time (transaction-scoped advisory lock). */
  async tryLearningLock(db: Executor): Promise<boolean> {
    const result = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('carebridge.symptom_learning')) as locked`.execute(db);
    return result.rows[0]?.locked === true;
  }
}
