import type { Executor } from '../../platform/database/index.js';
import type { Actor } from '../../platform/access.js';
import type { UserRow } from './users.repository.js';

export class SessionsRepository {
  async create(
    db: Executor,
    values: { user_id: string; expires_at: Date; ip: string | null; user_agent: string | null; amr: string; auth_time: Date },
  ): Promise<string> {
    const row = await db
      .insertInto('auth_sessions')
      .values({ ...values, last_refreshed_at: null, revoked_at: null, revoke_reason: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async addRefreshToken(db: Executor, sessionId: string, tokenHash: string, expiresAt: Date): Promise<void> {
    await db.insertInto('refresh_tokens').values({ token_hash: tokenHash, session_id: sessionId, expires_at: expiresAt, used_at: null }).execute();
  }

  /** Locks the token row so two concurrent refreshes with one token are serialised. */
  async findRefreshTokenForUpdate(db: Executor, tokenHash: string) {
    return db
      .selectFrom('refresh_tokens as t')
      .innerJoin('auth_sessions as s', 's.id', 't.session_id')
      .select([
        't.token_hash',
        't.session_id',
        't.expires_at',
        't.used_at',
        's.user_id',
        's.revoked_at',
        's.expires_at as session_expires_at',
        's.amr',
        's.auth_time',
      ])
      .where('t.token_hash', '=', tokenHash)
      .forUpdate()
      .executeTakeFirst();
  }

  async markRefreshTokenUsed(db: Executor, tokenHash: string): Promise<void> {
    await db.updateTable('refresh_tokens').set({ used_at: new Date() }).where('token_hash', '=', tokenHash).execute();
  }

  async touch(db: Executor, sessionId: string): Promise<void> {
    await db.updateTable('auth_sessions').set({ last_refreshed_at: new Date() }).where('id', '=', sessionId).execute();
  }

  async revoke(db: Executor, sessionId: string, reason: string): Promise<void> {
    await db
      .updateTable('auth_sessions')
      .set({ revoked_at: new Date(), revoke_reason: reason })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revokeAllForUser(db: Executor, userId: string, reason: string, exceptSessionId?: string): Promise<void> {
    let query = db
      .updateTable('auth_sessions')
      .set({ revoked_at: new Date(), revoke_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (exceptSessionId) query = query.where('id', '<>', exceptSessionId);
    await query.execute();
  }

  /** How and when a live session was authenticated (refresh and step-up keep these current). */
  async authOf(db: Executor, sessionId: string): Promise<{ amr: string; auth_time: Date } | undefined> {
    return db.selectFrom('auth_sessions').select(['amr', 'auth_time']).where('id', '=', sessionId).where('revoked_at', 'is', null).executeTakeFirst();
  }

  async expiryOf(db: Executor, sessionId: string): Promise<Date | undefined> {
    const row = await db.selectFrom('auth_sessions').select('expires_at').where('id', '=', sessionId).executeTakeFirst();
    return row?.expires_at;
  }

  async sessionOwner(db: Executor, sessionId: string): Promise<string | undefined> {
    const row = await db.selectFrom('auth_sessions').select('user_id').where('id', '=', sessionId).executeTakeFirst();
    return row?.user_id;
  }

  /**
   * The per-request check behind every protected route (when not cached): the session is
   * live and its user may still sign in. One primary-key lookup joined to the user row.
   */
  async resolveSession(db: Executor, sessionId: string, userId: string): Promise<{ actor: Actor; user: UserRow } | null> {
    const user = await db
      .selectFrom('auth_sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .selectAll('u')
      .where('s.id', '=', sessionId)
      .where('s.user_id', '=', userId)
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', new Date())
      .executeTakeFirst();
    if (!user || (user.status !== 'active' && user.status !== 'pending')) return null;
    return { actor: { id: user.id, role: user.role, status: user.status, sessionId }, user };
  }

  async createResetToken(db: Executor, userId: string, tokenHash: string, expiresAt: Date): Promise<void> {
    await db.insertInto('password_reset_tokens').values({ token_hash: tokenHash, user_id: userId, expires_at: expiresAt, used_at: null }).execute();
  }

  async findResetTokenForUpdate(db: Executor, tokenHash: string) {
    return db.selectFrom('password_reset_tokens').selectAll().where('token_hash', '=', tokenHash).forUpdate().executeTakeFirst();
  }

  /** Spends every outstanding reset token of the user (the used one and any older ones). */
  async spendResetTokens(db: Executor, userId: string): Promise<void> {
    await db.updateTable('password_reset_tokens').set({ used_at: new Date() }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
  }
}
