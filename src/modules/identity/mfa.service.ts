import type { Config } from '../../platform/config.js';
import type { Db, Executor } from '../../platform/database/index.js';
import type { Actor } from '../../platform/access.js';
import type { Limiter } from '../../platform/rate-limit.js';
import type { PasswordHasher } from '../../platform/auth/passwords.js';
import { hashToken, STRONG_AMR } from '../../platform/auth/tokens.js';
import { StepUpRequiredError } from '../../platform/http/auth.js';
import { ConflictError, NotFoundError, RateLimitedError, UnauthorizedError, ValidationError } from '../../platform/errors.js';
import { iso } from '../../platform/http/schemas.js';
import type { UserRow, UsersRepository } from './users.repository.js';
import type { SessionsRepository } from './sessions.repository.js';
import type { ChallengeRow, MfaRepository } from './mfa.repository.js';
import type { SessionCache } from './session-cache.js';
import type { ClientInfo, IdentityService, TokenPair } from './identity.service.js';
import { RECOVERY_CODE_COUNT, type SecretBox, hashRecoveryCode, matchTotp, newRecoveryCode, newTotpSecret, otpauthUri, qrSvg } from './second-factor.js';
import { describeDevice } from './user-agent.js';

/** What proves the second factor: exactly one of these (docs/API.md §1.1). */
export interface FactorProof {
  code?: string;
  recovery_code?: string;
  webauthn?: Record<string, unknown>;
}

/** Checks a passkey assertion by a known user against a challenge issued for them (webauthn.service.ts). */
export type PasskeyCheck = (user: UserRow, response: Record<string, unknown>) => Promise<void>;

export interface MfaDeps {
  config: Config;
  db: Db;
  users: UsersRepository;
  sessions: SessionsRepository;
  mfa: MfaRepository;
  identity: IdentityService;
  passwords: PasswordHasher;
  cache: SessionCache;
  /** Failed second-factor attempts per account; exhausted → locked for a while (ASVS 6.3.1). */
  failures: Limiter;
  /** The auth endpoints' per-IP budget (RATE_LIMIT_AUTH_PER_MIN), for the routes anyone may call. */
  authIp: Limiter;
  box: SecretBox;
}

/** An mfa_token's challenge row allows this many wrong codes before it is spent. */
const MAX_ATTEMPTS_PER_TOKEN = 5;
const EXPIRED = 'The sign-in attempt has expired or is not valid; sign in again.';

interface MfaPayload {
  amr: string[];
  enrol: boolean;
  ip: string;
  user_agent: string | null;
}

/**
 * TOTP enrolment, second-factor verification at sign-in, step-up and the sessions list
 * (docs/API.md §1.1, docs/SECURITY.md "Strong authentication").
 */
export class MfaService {
  private passkeyCheck: PasskeyCheck | null = null;

  constructor(private readonly deps: MfaDeps) {}

  /** Wired by the passkey service (it depends on this one for sessions, not the reverse). */
  usePasskeys(check: PasskeyCheck): void {
    this.passkeyCheck = check;
  }

  // ---- TOTP enrolment -----------------------------------------------------------------

  /**
   * Starts TOTP enrolment. A signed-in user re-enters the password (adding a factor is a
   * change of credentials, ASVS 6.2.? / 7.5.1: a stolen access token must not be enough);
   * an account that must enrol before it may sign in uses its enrolment mfa_token.
   */
  async setupTotp(
    who: { actor?: Actor | null; mfaToken?: string; password?: string },
    client: ClientInfo,
  ): Promise<{ secret: string; otpauth_uri: string; qr_svg: string }> {
    if (who.mfaToken) await this.deps.authIp.consume(client.ip);
    const user = who.mfaToken ? (await this.enrolmentChallenge(who.mfaToken)).user : await this.reauthenticated(who.actor ?? null, who.password);
    const existing = await this.deps.mfa.totpOf(this.deps.db, user.id);
    if (existing?.confirmed_at) throw new ConflictError('An authenticator app is already set up; remove it first (DELETE /auth/mfa/totp).', 'totp-exists');
    const secret = newTotpSecret();
    await this.deps.mfa.putPendingTotp(this.deps.db, user.id, this.deps.box.seal(secret));
    const uri = otpauthUri(secret, this.deps.config.auth.totpIssuer, user.email);
    return { secret, otpauth_uri: uri, qr_svg: await qrSvg(uri) };
  }

  /**
   * Confirms enrolment with a first code. Replies with 10 recovery codes (shown once, stored
   * hashed) and a token pair whose `amr` includes `otp`: password and code were both just
   * proved. With an enrolment mfa_token this completes the sign-in.
   */
  async confirmTotp(who: { actor?: Actor | null; mfaToken?: string }, code: string, client: ClientInfo): Promise<TokenPair & { recovery_codes: string[] }> {
    const { db, mfa } = this.deps;
    if (who.mfaToken) await this.deps.authIp.consume(client.ip);
    const enrolment = who.mfaToken ? await this.enrolmentChallenge(who.mfaToken) : null;
    const user = enrolment?.user ?? (await this.liveUser(who.actor ?? null));
    await this.checkLockout(user.id);
    const pending = await mfa.totpOf(db, user.id);
    if (!pending || pending.confirmed_at) throw new ConflictError('Start with POST /auth/mfa/totp/setup.', 'totp-not-pending');
    const step = matchTotp(this.deps.box.open(pending.secret_enc), code);
    if (step === null || !(await mfa.spendTotpStep(db, user.id, step, true))) {
      await this.deps.failures.penalise(user.id);
      if (enrolment) await mfa.failChallenge(db, enrolment.row.token_hash);
      throw new ValidationError('The code is not valid.', [{ path: '/code', message: 'is not the current code of the authenticator app' }]);
    }
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const pair = await db.transaction().execute(async (trx) => {
      await mfa.replaceRecoveryCodes(trx, user.id, codes.map(hashRecoveryCode));
      if (enrolment) {
        if (!(await mfa.spendChallenge(trx, enrolment.row.token_hash))) throw new UnauthorizedError(EXPIRED);
        return this.deps.identity.startSession(trx, user, client, [...enrolment.payload.amr, 'otp']);
      }
      return this.stepUpSession(trx, user, who.actor!.sessionId, 'otp');
    });
    await this.deps.failures.reset(user.id);
    await this.deps.cache.invalidateUser(user.id);
    return { ...pair, recovery_codes: codes };
  }

  /** Demo seed only: gives an account a confirmed TOTP with a known secret unless it has one. */
  async ensureTotp(user: UserRow, secret: string): Promise<void> {
    const existing = await this.deps.mfa.totpOf(this.deps.db, user.id);
    if (existing?.confirmed_at) return;
    await this.deps.mfa.putPendingTotp(this.deps.db, user.id, this.deps.box.seal(secret));
    await this.deps.mfa.markTotpConfirmed(this.deps.db, user.id);
  }

  /** Removes TOTP (password and a current code). Where the role requires MFA the last factor stays. */
  async deleteTotp(actor: Actor, password: string, code: string): Promise<void> {
    const { db, mfa } = this.deps;
    const user = await this.reauthenticated(actor, password);
    const factors = await mfa.factorsOf(db, user.id);
    if (!factors.totp) throw new NotFoundError('Authenticator app');
    if (factors.webauthn === 0 && this.deps.config.auth.mfaRequiredRoles.includes(user.role)) {
      throw new ConflictError(`A ${user.role} account needs a second factor: add a passkey before removing the authenticator app.`, 'last-factor');
    }
    await this.checkTotp(user, code);
    await db.transaction().execute(async (trx) => {
      await mfa.deleteTotp(trx, user.id);
      if (factors.webauthn === 0) await mfa.deleteRecoveryCodes(trx, user.id);
    });
    await this.deps.cache.invalidateUser(user.id);
  }

  // ---- second factor at sign-in and step-up ------------------------------------------

  /** Completes a sign-in that returned `mfa_required` (POST /auth/mfa/verify). */
  async verify(mfaToken: string, proof: FactorProof, client: ClientInfo): Promise<TokenPair> {
    const { db, mfa } = this.deps;
    await this.deps.authIp.consume(client.ip);
    const { row, payload, user } = await this.liveChallenge(mfaToken);
    if (payload.enrol)
      throw new ConflictError('This account must set up an authenticator app first: POST /auth/mfa/totp/setup with this mfa_token.', 'mfa-enrolment-required');
    let method: string;
    try {
      method = await this.checkFactor(user, proof);
    } catch (err) {
      if ((await mfa.failChallenge(db, row.token_hash)) >= MAX_ATTEMPTS_PER_TOKEN) await mfa.spendChallenge(db, row.token_hash);
      throw err;
    }
    const pair = await db.transaction().execute(async (trx) => {
      if (!(await mfa.spendChallenge(trx, row.token_hash))) throw new UnauthorizedError(EXPIRED);
      return this.deps.identity.startSession(trx, user, client, [...payload.amr, method]);
    });
    return pair;
  }

  /**
   * Step-up for the current session (POST /auth/mfa/step-up): a second factor now, so the
   * session's tokens show `amr` with it and a fresh `auth_time` for the next 10 minutes.
   */
  async stepUp(actor: Actor, proof: FactorProof): Promise<TokenPair> {
    const user = await this.liveUser(actor);
    const method = await this.checkFactor(user, proof);
    const pair = await this.deps.db.transaction().execute((trx) => this.stepUpSession(trx, user, actor.sessionId, method));
    await this.deps.cache.invalidateUser(user.id);
    return pair;
  }

  /** The user and payload of a live enrolment or verification mfa_token (for passkey options too). */
  async liveChallenge(mfaToken: string): Promise<{ row: ChallengeRow; payload: MfaPayload; user: UserRow }> {
    const row = await this.deps.mfa.findChallenge(this.deps.db, hashToken(mfaToken), 'mfa');
    if (!row || row.used_at || row.expires_at <= new Date() || !row.user_id) throw new UnauthorizedError(EXPIRED);
    const user = await this.deps.users.findById(this.deps.db, row.user_id);
    if (!user || (user.status !== 'active' && user.status !== 'pending')) throw new UnauthorizedError(EXPIRED);
    return { row, payload: JSON.parse(row.payload) as MfaPayload, user };
  }

  private async stepUpSession(trx: Executor, user: UserRow, sessionId: string, method: string): Promise<TokenPair> {
    const current = await this.deps.mfa.liveSessions(trx, user.id).then((rows) => rows.find((r) => r.id === sessionId));
    if (!current) throw new UnauthorizedError('The session has ended; sign in again.');
    const amr = [...new Set([...current.amr.split(' '), method])];
    const updated = await this.deps.mfa.stepUpSession(trx, sessionId, amr);
    if (!updated) throw new UnauthorizedError('The session has ended; sign in again.');
    return this.deps.identity.issueTokens(trx, user, { id: sessionId, expiresAt: updated.expires_at, amr, authTime: updated.auth_time });
  }

  private async enrolmentChallenge(mfaToken: string) {
    const challenge = await this.liveChallenge(mfaToken);
    if (!challenge.payload.enrol) throw new ConflictError('This sign-in needs a second factor, not an enrolment: POST /auth/mfa/verify.', 'mfa-not-enrolment');
    return challenge;
  }

  private async checkLockout(userId: string): Promise<void> {
    const lockedFor = await this.deps.failures.blockedFor(userId);
    if (lockedFor > 0) throw new RateLimitedError(lockedFor, 'Too many wrong codes for this account; try again later.');
  }

  /** Verifies one proof; returns its RFC 8176 `amr` value. Wrong proofs count towards the lockout. */
  private async checkFactor(user: UserRow, proof: FactorProof): Promise<string> {
    const given = [proof.code, proof.recovery_code, proof.webauthn].filter((p) => p !== undefined).length;
    if (given !== 1)
      throw new ValidationError('Give exactly one of code, recovery_code or webauthn.', [
        { path: '/code', message: 'exactly one of code, recovery_code, webauthn is required' },
      ]);
    await this.checkLockout(user.id);
    if (proof.code !== undefined) {
      await this.checkTotp(user, proof.code);
      return 'otp';
    }
    if (proof.recovery_code !== undefined) {
      if (!(await this.deps.mfa.spendRecoveryCode(this.deps.db, user.id, hashRecoveryCode(proof.recovery_code)))) {
        await this.deps.failures.penalise(user.id);
        throw new UnauthorizedError('The recovery code is not valid or was already used.');
      }
      await this.deps.failures.reset(user.id);
      return 'otp';
    }
    if (!this.passkeyCheck) throw new ValidationError('Passkeys are not available.', [{ path: '/webauthn', message: 'not supported' }]);
    try {
      await this.passkeyCheck(user, proof.webauthn!);
    } catch (err) {
      await this.deps.failures.penalise(user.id);
      throw err;
    }
    await this.deps.failures.reset(user.id);
    return 'hwk';
  }

  private async checkTotp(user: UserRow, code: string): Promise<void> {
    const totp = await this.deps.mfa.totpOf(this.deps.db, user.id);
    const step = totp?.confirmed_at ? matchTotp(this.deps.box.open(totp.secret_enc), code) : null;
    // A replay of a code already accepted (same or earlier step) fails like a wrong one.
    if (step === null || !(await this.deps.mfa.spendTotpStep(this.deps.db, user.id, step, false))) {
      await this.deps.failures.penalise(user.id);
      throw new UnauthorizedError('The code is not valid (or was already used).');
    }
    await this.deps.failures.reset(user.id);
  }

  private async liveUser(actor: Actor | null): Promise<UserRow> {
    if (!actor) throw new UnauthorizedError();
    const user = await this.deps.users.findById(this.deps.db, actor.id);
    if (!user) throw new UnauthorizedError();
    return user;
  }

  private async reauthenticated(actor: Actor | null, password: string | undefined): Promise<UserRow> {
    const user = await this.liveUser(actor);
    await this.checkLockout(user.id);
    if (!password || !(await this.deps.passwords.verify(user.password_hash, password))) {
      await this.deps.failures.penalise(user.id);
      throw new ValidationError('Your password is required to change second factors.', [{ path: '/password', message: 'is missing or incorrect' }]);
    }
    return user;
  }

  // ---- sessions -------------------------------------------------------------------------

  async listSessions(actor: Actor) {
    const rows = await this.deps.mfa.liveSessions(this.deps.db, actor.id);
    return {
      items: rows.map((row) => ({
        id: row.id,
        current: row.id === actor.sessionId,
        device: describeDevice(row.user_agent),
        user_agent: row.user_agent,
        ip: row.ip,
        amr: row.amr.split(' '),
        created_at: iso(row.created_at),
        last_used_at: iso(row.last_refreshed_at ?? row.created_at),
      })),
    };
  }

  /**
   * Ending sessions other than the current one (DELETE /auth/sessions/{other}, logout?all=true)
   * needs a factor proven recently (ASVS 7.5.2; docs/SECURITY.md "Ending sessions"): otherwise a
   * stolen access token could sign the owner out everywhere and keep the thief's session as the
   * only one. An account with a second factor needs one within STEP_UP_MAX_AGE_SECONDS (401
   * step-up-required; POST /auth/mfa/step-up), like any step-up route. An account without one has
   * only its password: a sign-in within that time, or the password in the request (422 otherwise).
   * Ending the current session (logout) never asks: it can only help the owner.
   */
  async confirmEndingOtherSessions(actor: Actor, password: string | undefined): Promise<void> {
    const { db, config } = this.deps;
    if (!config.auth.stepUpRequired) return;
    const maxAge = config.auth.stepUpMaxAgeSeconds;
    const session = await this.deps.sessions.authOf(db, actor.sessionId);
    if (!session) throw new UnauthorizedError('The session has ended; sign in again.');
    const recent = Date.now() - session.auth_time.getTime() <= maxAge * 1000;
    const factors = await this.deps.mfa.factorsOf(db, actor.id);
    if (factors.totp || factors.webauthn > 0) {
      const strong = session.amr.split(' ').some((m) => (STRONG_AMR as readonly string[]).includes(m));
      if (strong && recent) return;
      throw new StepUpRequiredError(
        maxAge,
        `Ending your other sessions needs a second factor verified within the last ${Math.round(maxAge / 60)} minutes: verify one with POST /api/v1/auth/mfa/step-up, then try again.`,
      );
    }
    if (recent && password === undefined) return;
    const user = await this.liveUser(actor);
    await this.checkLockout(user.id);
    if (!password || !(await this.deps.passwords.verify(user.password_hash, password))) {
      await this.deps.failures.penalise(user.id);
      throw new ValidationError(
        `Ending your other sessions needs your password (you signed in more than ${Math.round(maxAge / 60)} minutes ago): send it as "password".`,
        [{ path: '/password', message: 'is missing or incorrect' }],
      );
    }
    // No reset of the failure budget here: a password must not buy more second-factor guesses.
  }

  /**
   * Ends one of the caller's sessions; its access tokens and sockets stop at once (like logout).
   * Another than the current one needs a recent factor (confirmEndingOtherSessions).
   */
  async revokeSession(actor: Actor, sessionId: string, password?: string): Promise<void> {
    const owner = await this.deps.sessions.sessionOwner(this.deps.db, sessionId);
    if (owner !== actor.id) throw new NotFoundError('Session');
    if (sessionId !== actor.sessionId) await this.confirmEndingOtherSessions(actor, password);
    await this.deps.sessions.revoke(this.deps.db, sessionId, 'revoked_by_user');
    // The same path as logout: local cache drop + IDENTITY_CHANGED_CHANNEL, on which chat and
    // video re-check their sockets' sessions and close the dead ones.
    await this.deps.cache.invalidateUser(actor.id);
  }
}
