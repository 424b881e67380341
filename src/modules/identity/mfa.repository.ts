import { sql } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { ChallengeKind } from './identity.tables.js';

export interface ChallengeRow {
  token_hash: string;
  kind: ChallengeKind;
  user_id: string | null;
  payload: string;
  attempts: number;
  expires_at: Date;
  used_at: Date | null;
}

/** SQL of second factors, passkeys, round-trip challenges and sessions lists (issue 15). */
export class MfaRepository {
  // ---- factors ------------------------------------------------------------------------

  /** Which second factors the user has confirmed: drives login, step-up and `methods`. */
  async factorsOf(db: Executor, userId: string): Promise<{ totp: boolean; webauthn: number; recoveryCodes: number }> {
    const row = await db
      .selectNoFrom((eb) => [
        eb.exists(eb.selectFrom('mfa_totp').select('user_id').where('user_id', '=', userId).where('confirmed_at', 'is not', null)).as('totp'),
        eb
          .selectFrom('webauthn_credentials')
          .select((e) => e.fn.countAll<number>().as('n'))
          .where('user_id', '=', userId)
          .as('webauthn'),
        eb
          .selectFrom('mfa_recovery_codes')
          .select((e) => e.fn.countAll<number>().as('n'))
          .where('user_id', '=', userId)
          .where('used_at', 'is', null)
          .as('codes'),
      ])
      .executeTakeFirstOrThrow();
    return { totp: Boolean(row.totp), webauthn: Number(row.webauthn ?? 0), recoveryCodes: Number(row.codes ?? 0) };
  }

  async totpOf(db: Executor, userId: string) {
    return db.selectFrom('mfa_totp').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  /** A fresh, unconfirmed secret (replacing an unconfirmed one; a confirmed one stays until deleted). */
  async putPendingTotp(db: Executor, userId: string, secretEnc: string): Promise<void> {
    await db
      .insertInto('mfa_totp')
      .values({ user_id: userId, secret_enc: secretEnc, confirmed_at: null, last_used_step: null })
      .onConflict((oc) =>
        oc
          .column('user_id')
          .doUpdateSet({ secret_enc: secretEnc, confirmed_at: null, last_used_step: null, created_at: new Date() })
          .where('mfa_totp.confirmed_at', 'is', null),
      )
      .execute();
  }

  /**
   * Records `step` as used if it is later than the last used one. Atomic: of two requests
   * racing with one code, one updates the row and the other finds nothing to update.
   */
  async spendTotpStep(db: Executor, userId: string, step: number, confirm: boolean): Promise<boolean> {
    const result = await db
      .updateTable('mfa_totp')
      .set({ last_used_step: step, ...(confirm && { confirmed_at: new Date() }) })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_used_step', 'is', null), eb('last_used_step', '<', step)]))
      .where('confirmed_at', confirm ? 'is' : 'is not', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async markTotpConfirmed(db: Executor, userId: string): Promise<void> {
    await db.updateTable('mfa_totp').set({ confirmed_at: new Date() }).where('user_id', '=', userId).execute();
  }

  async deleteTotp(db: Executor, userId: string): Promise<void> {
    await db.deleteFrom('mfa_totp').where('user_id', '=', userId).execute();
  }

  async replaceRecoveryCodes(db: Executor, userId: string, hashes: string[]): Promise<void> {
    await db.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
    await db
      .insertInto('mfa_recovery_codes')
      .values(hashes.map((code_hash) => ({ user_id: userId, code_hash, used_at: null })))
      .execute();
  }

  async deleteRecoveryCodes(db: Executor, userId: string): Promise<void> {
    await db.deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
  }

  /** Spends a recovery code once (the update is the check: a second use updates nothing). */
  async spendRecoveryCode(db: Executor, userId: string, codeHash: string): Promise<boolean> {
    const result = await db
      .updateTable('mfa_recovery_codes')
      .set({ used_at: new Date() })
      .where('user_id', '=', userId)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  // ---- challenges (mfa_token, WebAuthn and OIDC round trips) --------------------------

  async createChallenge(
    db: Executor,
    values: { token_hash: string; kind: ChallengeKind; user_id: string | null; payload: object; expires_at: Date },
  ): Promise<void> {
    await db
      .insertInto('auth_challenges')
      .values({ ...values, payload: JSON.stringify(values.payload), used_at: null })
      .execute();
    // Old rows are useless once expired; clearing a few here keeps the table small without a job.
    await db
      .deleteFrom('auth_challenges')
      .where('expires_at', '<', new Date(Date.now() - 3600_000))
      .execute();
  }

  async findChallenge(db: Executor, tokenHash: string, kind: ChallengeKind): Promise<ChallengeRow | undefined> {
    return db.selectFrom('auth_challenges').selectAll().where('token_hash', '=', tokenHash).where('kind', '=', kind).executeTakeFirst();
  }

  /** Marks a challenge used; false when another request already did (single use). */
  async spendChallenge(db: Executor, tokenHash: string): Promise<boolean> {
    const result = await db
      .updateTable('auth_challenges')
      .set({ used_at: new Date() })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Counts a failed attempt; returns the new count. */
  async failChallenge(db: Executor, tokenHash: string): Promise<number> {
    const row = await db
      .updateTable('auth_challenges')
      .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
      .where('token_hash', '=', tokenHash)
      .returning('attempts')
      .executeTakeFirst();
    return row?.attempts ?? 0;
  }

  // ---- passkeys ------------------------------------------------------------------------

  async listCredentials(db: Executor, userId: string) {
    return db.selectFrom('webauthn_credentials').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
  }

  async findCredential(db: Executor, credentialId: string) {
    return db.selectFrom('webauthn_credentials').selectAll().where('credential_id', '=', credentialId).executeTakeFirst();
  }

  async insertCredential(
    db: Executor,
    values: { user_id: string; credential_id: string; public_key: string; counter: number; transports: string | null; name: string },
  ) {
    return db
      .insertInto('webauthn_credentials')
      .values({ ...values, last_used_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async credentialUsed(db: Executor, id: string, counter: number): Promise<void> {
    await db.updateTable('webauthn_credentials').set({ counter, last_used_at: new Date() }).where('id', '=', id).execute();
  }

  async renameCredential(db: Executor, userId: string, id: string, name: string) {
    return db.updateTable('webauthn_credentials').set({ name }).where('id', '=', id).where('user_id', '=', userId).returningAll().executeTakeFirst();
  }

  async deleteCredential(db: Executor, userId: string, id: string): Promise<boolean> {
    const result = await db.deleteFrom('webauthn_credentials').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  // ---- external identities (OIDC) ------------------------------------------------------

  async findExternalIdentity(db: Executor, provider: string, subject: string) {
    return db.selectFrom('external_identities').select('user_id').where('provider', '=', provider).where('subject', '=', subject).executeTakeFirst();
  }

  async externalIdentitiesOf(db: Executor, userId: string) {
    return db
      .selectFrom('external_identities')
      .select(['provider', 'email', 'created_at', 'last_login_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  async touchExternalIdentity(db: Executor, provider: string, subject: string): Promise<void> {
    await db.updateTable('external_identities').set({ last_login_at: new Date() }).where('provider', '=', provider).where('subject', '=', subject).execute();
  }

  async linkExternalIdentity(db: Executor, values: { provider: string; subject: string; user_id: string; email: string | null }): Promise<void> {
    await db
      .insertInto('external_identities')
      .values({ ...values, last_login_at: new Date() })
      .execute();
  }

  // ---- sessions ------------------------------------------------------------------------

  async liveSessions(db: Executor, userId: string) {
    return db
      .selectFrom('auth_sessions')
      .select(['id', 'ip', 'user_agent', 'created_at', 'last_refreshed_at', 'amr', 'auth_time'])
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', new Date())
      .orderBy(sql`coalesce(last_refreshed_at, created_at)`, 'desc')
      .orderBy('id')
      .limit(100)
      .execute();
  }

  /** Updates how a session was authenticated (a step-up), returning its expiry. */
  async stepUpSession(db: Executor, sessionId: string, amr: string[]): Promise<{ expires_at: Date; auth_time: Date } | undefined> {
    return db
      .updateTable('auth_sessions')
      .set({ amr: amr.join(' '), auth_time: new Date() })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .returning(['expires_at', 'auth_time'])
      .executeTakeFirst();
  }
}
