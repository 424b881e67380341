import type { Config } from '../../platform/config.js';
import type { Db, Executor } from '../../platform/database/index.js';
import { isUniqueViolation } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { Actor } from '../../platform/access.js';
import { type AccessTokens, hashToken, newOpaqueToken, type Role } from '../../platform/auth/tokens.js';
import { type PasswordHasher, passwordProblems } from '../../platform/auth/passwords.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, RateLimitedError, UnauthorizedError, ValidationError } from '../../platform/errors.js';
import type { Limiter } from '../../platform/rate-limit.js';
import { enqueueEmail, type OutboxSealer } from '../../platform/mail.js';
import { isValidTimeZone } from '../../platform/time.js';
import { iso } from '../../platform/http/schemas.js';
import type { UserRow, UsersRepository } from './users.repository.js';
import type { SessionsRepository } from './sessions.repository.js';
import type { MfaRepository } from './mfa.repository.js';
import type { SessionCache } from './session-cache.js';
import type { RegisterBody, UpdateMeBody, UserDto } from './identity.schemas.js';

export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
  user: UserDto;
}

/** The login reply when a second factor is due (docs/API.md §1.1). */
export interface MfaRequired {
  mfa_required: true;
  mfa_token: string;
  /** What POST /auth/mfa/verify accepts for this account; empty when it must enrol first. */
  methods: ('totp' | 'recovery_code' | 'webauthn')[];
  /** The account's role needs a second factor and it has none: enrol TOTP with the mfa_token. */
  enrolment_required: boolean;
}

/** How a session was authenticated, carried into its access tokens. */
export interface SessionAuth {
  id: string;
  expiresAt: Date;
  amr: string[];
  authTime: Date;
}

export function toUserDto(row: UserRow): UserDto {
  return {
    id: row.id,
    email: row.email,
    username: row.username,
    full_name: row.full_name,
    phone: row.phone,
    time_zone: row.time_zone,
    role: row.role,
    status: row.status,
    approved_at: row.approved_at ? iso(row.approved_at) : null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

const INVALID_CREDENTIALS = 'The email/username or password is incorrect.';

export interface IdentityDeps {
  config: Config;
  db: Db;
  users: UsersRepository;
  sessions: SessionsRepository;
  tokens: AccessTokens;
  passwords: PasswordHasher;
  events: EventBus;
  limiters: { authIp: Limiter; authAccount: Limiter; loginFailures: Limiter };
  cache: SessionCache;
  /** Second factors (issue 15): decides at sign-in whether one is due. */
  mfa: MfaRepository;
  /** Seals emails that carry a one-time link (platform/mail.ts, review L9). */
  outbox: OutboxSealer;
  log?: { error(obj: object, msg: string): void };
}

/** The rate-limit and lockout key of an account: its id, so email and username share one budget. */
function accountKey(userId: string): string {
  return `user:${userId}`;
}

/** Registration, sign-in, sessions and passwords (docs/API.md §1). */
export class IdentityService {
  constructor(private readonly deps: IdentityDeps) {}

  private async limitAuth(client: ClientInfo, account: string | null): Promise<void> {
    await this.deps.limiters.authIp.consume(client.ip);
    if (account) await this.deps.limiters.authAccount.consume(account.toLowerCase());
  }

  async register(input: RegisterBody, client: ClientInfo): Promise<UserDto> {
    await this.limitAuth(client, input.email);
    if (input.role === 'admin') throw new ForbiddenError('Administrator accounts cannot be self-registered.');
    const problems = passwordProblems(input.password, { email: input.email, username: input.username });
    if (problems.length) throw new ValidationError('The password does not meet the password policy.', problems);
    const { db, users } = this.deps;
    if (await users.emailTaken(db, input.email)) throw new ConflictError('An account with this email already exists.', 'email-taken');
    if (input.username && (await users.usernameTaken(db, input.username))) throw new ConflictError('This username is taken.', 'username-taken');
    const password_hash = await this.deps.passwords.hash(input.password);
    let row: UserRow;
    try {
      row = await users.insert(db, {
        email: input.email,
        username: input.username ?? null,
        password_hash,
        full_name: input.full_name.trim(),
        phone: input.phone ?? null,
        role: input.role,
        // Clinicians must be vetted by an administrator before they see patients.
        status: input.role === 'patient' ? 'active' : 'pending',
      });
    } catch (err) {
      // Two simultaneous registrations with one email: the unique index decides.
      if (isUniqueViolation(err, 'users_email_unique')) throw new ConflictError('An account with this email already exists.', 'email-taken');
      if (isUniqueViolation(err, 'users_username_unique')) throw new ConflictError('This username is taken.', 'username-taken');
      throw err;
    }
    await this.deps.events.publish('user.registered', { userId: row.id, role: row.role, status: row.status });
    return toUserDto(row);
  }

  async login(identifier: string, password: string, client: ClientInfo): Promise<TokenPair | MfaRequired> {
    const identifierKey = identifier.trim().toLowerCase();
    await this.deps.limiters.authIp.consume(client.ip);
    // Rate limit and lockout count per account, whichever identifier (email or username)
    // names it: both share one budget (issue 11). Unknown identifiers get their own.
    const user = await this.deps.users.findByLogin(this.deps.db, identifierKey);
    const account = user ? accountKey(user.id) : `login:${identifierKey}`;
    await this.deps.limiters.authAccount.consume(account);
    const { loginFailures } = this.deps.limiters;
    const lockedFor = await loginFailures.blockedFor(account);
    if (lockedFor > 0) throw new RateLimitedError(lockedFor, 'Too many failed sign-in attempts for this account; try again later.');

    if (!user) {
      await this.deps.passwords.burn(password);
      await loginFailures.penalise(account);
      throw new UnauthorizedError(INVALID_CREDENTIALS);
    }
    const ok = await this.deps.passwords.verify(user.password_hash, password);
    if (!ok || (user.status !== 'active' && user.status !== 'pending')) {
      await loginFailures.penalise(account);
      throw new UnauthorizedError(INVALID_CREDENTIALS);
    }
    await loginFailures.reset(account);
    return this.afterFirstFactor(user, ['pwd'], client);
  }

  /**
   * After a first factor (password, OIDC): a session at once, or an mfa_token when a second
   * factor is due — the account has one, or its role requires one (MFA_REQUIRED_ROLES; then
   * the token only allows enrolling TOTP). Password resets end in a normal sign-in, so they
   * never skip this (ASVS 6.4.3).
   */
  async afterFirstFactor(user: UserRow, amr: string[], client: ClientInfo): Promise<TokenPair | MfaRequired> {
    const { db, mfa, config } = this.deps;
    const factors = await mfa.factorsOf(db, user.id);
    const methods: MfaRequired['methods'] = [];
    if (factors.totp) methods.push('totp');
    if (factors.webauthn > 0) methods.push('webauthn');
    if (methods.length && factors.recoveryCodes > 0) methods.push('recovery_code');
    const enrol = methods.length === 0 && config.auth.mfaRequiredRoles.includes(user.role);
    if (!methods.length && !enrol) return db.transaction().execute((trx) => this.startSession(trx, user, client, amr));
    const token = newOpaqueToken();
    await mfa.createChallenge(db, {
      token_hash: hashToken(token),
      kind: 'mfa',
      user_id: user.id,
      payload: { amr, enrol, ip: client.ip, user_agent: client.userAgent?.slice(0, 512) ?? null },
      expires_at: new Date(Date.now() + config.auth.challengeTtlSeconds * 1000),
    });
    return { mfa_required: true, mfa_token: token, methods, enrolment_required: enrol };
  }

  /** A new session (refresh-token family) authenticated by `amr`, and its first token pair. */
  async startSession(db: Executor, user: UserRow, client: ClientInfo, amr: string[]): Promise<TokenPair> {
    const { config, sessions } = this.deps;
    const expiresAt = new Date(Date.now() + config.refreshTokenTtlSeconds * 1000);
    const authTime = new Date();
    const sessionId = await sessions.create(db, {
      user_id: user.id,
      expires_at: expiresAt,
      ip: client.ip,
      user_agent: client.userAgent?.slice(0, 512) ?? null,
      amr: amr.join(' '),
      auth_time: authTime,
    });
    return this.issueTokens(db, user, { id: sessionId, expiresAt, amr, authTime });
  }

  /**
   * A session for a SMART app the user authorised (src/modules/fhir/smart): it has no refresh
   * token, so it can never be refreshed into a full API token; it lasts as long as its one access
   * token, and it shows in the user's session list, where the user can end it early. Null when the
   * account is no longer active.
   */
  async startAppSession(
    userId: string,
    grant: { clientId: string; scope: string; patient: string | null },
    client: ClientInfo,
    /** How long the session (the refresh-token family) may live: the access token's lifetime unless the app was granted offline access. */
    sessionTtlSeconds?: number,
  ): Promise<{ accessToken: string; expiresIn: number; role: Role; sessionId: string } | null> {
    const { config, db, sessions, tokens, users } = this.deps;
    const user = await users.findById(db, userId);
    if (!user || user.status !== 'active' || user.deleted_at) return null;
    const sessionId = await sessions.create(db, {
      user_id: user.id,
      expires_at: new Date(Date.now() + (sessionTtlSeconds ?? config.accessTokenTtlSeconds) * 1000),
      ip: client.ip,
      user_agent: `SMART app ${grant.clientId}`,
      amr: 'app',
      auth_time: new Date(),
    });
    const accessToken = tokens.sign({
      sub: user.id,
      sid: sessionId,
      role: user.role,
      scope: grant.scope,
      client_id: grant.clientId,
      ...(grant.patient ? { patient: grant.patient } : {}),
    });
    return { accessToken, expiresIn: config.accessTokenTtlSeconds, role: user.role, sessionId };
  }

  /**
   * A new access token for a SMART app's live session (the app redeemed a refresh token): null
   * when the session was ended (sign-out everywhere, revocation, reuse) or expired, or the
   * account may no longer sign in.
   */
  async renewAppSession(
    sessionId: string,
    userId: string,
    grant: { clientId: string; scope: string; patient: string | null },
  ): Promise<{ accessToken: string; expiresIn: number; role: Role; sessionExpiresAt: Date } | null> {
    const { config, db, sessions, tokens } = this.deps;
    const live = await sessions.resolveSession(db, sessionId, userId);
    if (!live || live.user.status !== 'active' || live.user.deleted_at) return null;
    const expiresAt = await sessions.expiryOf(db, sessionId);
    if (!expiresAt) return null;
    await sessions.touch(db, sessionId);
    const accessToken = tokens.sign({
      sub: userId,
      sid: sessionId,
      role: live.user.role,
      scope: grant.scope,
      client_id: grant.clientId,
      ...(grant.patient ? { patient: grant.patient } : {}),
    });
    return { accessToken, expiresIn: config.accessTokenTtlSeconds, role: live.user.role, sessionExpiresAt: expiresAt };
  }

  /** Ends a SMART app's session at once (a replayed refresh token: the whole family goes). */
  async endAppSession(sessionId: string, userId: string, reason: string): Promise<void> {
    await this.deps.sessions.revoke(this.deps.db, sessionId, reason);
    await this.deps.cache.invalidateUser(userId);
  }

  /** A token pair for an existing session (refresh, step-up). */
  async issueTokens(db: Executor, user: UserRow, session: SessionAuth): Promise<TokenPair> {
    const { config, sessions, tokens } = this.deps;
    const refresh = newOpaqueToken();
    const refreshExpiry = new Date(Math.min(session.expiresAt.getTime(), Date.now() + config.refreshTokenTtlSeconds * 1000));
    await sessions.addRefreshToken(db, session.id, hashToken(refresh), refreshExpiry);
    return {
      access_token: tokens.sign({ sub: user.id, sid: session.id, role: user.role, amr: session.amr, auth_time: Math.floor(session.authTime.getTime() / 1000) }),
      refresh_token: refresh,
      token_type: 'bearer',
      expires_in: tokens.ttlSeconds,
      user: toUserDto(user),
    };
  }

  /**
   * Rotates a refresh token. A token that was already spent means it leaked (or a client
   * replayed it): the whole family, i.e. the session, is revoked at once — no grace window.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    await this.deps.limiters.authIp.consume(client.ip);
    const { db, sessions, users } = this.deps;
    const outcome = await db.transaction().execute(async (trx) => {
      const token = await sessions.findRefreshTokenForUpdate(trx, hashToken(refreshToken));
      if (!token) return { error: 'The refresh token is not valid.', userId: null } as const;
      if (token.used_at) {
        await sessions.revoke(trx, token.session_id, 'refresh_token_reuse');
        return { error: 'The refresh token was already used; this session has been ended for safety.', userId: token.user_id } as const;
      }
      const now = new Date();
      if (token.revoked_at || token.expires_at <= now || token.session_expires_at <= now) {
        return { error: 'The session has ended; sign in again.', userId: null } as const;
      }
      const user = await users.findById(trx, token.user_id);
      if (!user || (user.status !== 'active' && user.status !== 'pending')) return { error: 'The session has ended; sign in again.', userId: null } as const;
      await sessions.markRefreshTokenUsed(trx, token.token_hash);
      await sessions.touch(trx, token.session_id);
      const session = { id: token.session_id, expiresAt: token.session_expires_at, amr: token.amr.split(' '), authTime: token.auth_time };
      return { pair: await this.issueTokens(trx, user, session) } as const;
    });
    // The revocation above must commit even though the caller gets a 401, hence no throw inside.
    if ('error' in outcome) {
      if (outcome.userId) await this.deps.cache.invalidateUser(outcome.userId);
      throw new UnauthorizedError(outcome.error);
    }
    return outcome.pair;
  }

  async logout(actor: Actor, options: { refreshToken?: string; all?: boolean }): Promise<void> {
    const { db, sessions } = this.deps;
    if (options.all) {
      await sessions.revokeAllForUser(db, actor.id, 'logout_all');
      await this.deps.cache.invalidateUser(actor.id);
      return;
    }
    if (options.refreshToken) {
      const token = await sessions.findRefreshTokenForUpdate(db, hashToken(options.refreshToken));
      // Someone else's token is treated like an unknown one: no revocation, no hint.
      if (!token || token.user_id !== actor.id) throw new BadRequestError('The refresh token is not valid for this account.');
      await sessions.revoke(db, token.session_id, 'logout');
      await this.deps.cache.invalidateUser(actor.id);
      return;
    }
    await sessions.revoke(db, actor.sessionId, 'logout');
    await this.deps.cache.invalidateUser(actor.id);
  }

  async me(actor: Actor): Promise<UserDto> {
    // The auth hook has just loaded (or validated the cached) row for this session.
    const cached = this.deps.cache.get(actor.sessionId);
    if (cached && cached.user.id === actor.id) return toUserDto(cached.user);
    const user = await this.deps.users.findById(this.deps.db, actor.id);
    if (!user) throw new NotFoundError('User');
    return toUserDto(user);
  }

  async updateMe(actor: Actor, input: UpdateMeBody): Promise<UserDto> {
    const { db, users } = this.deps;
    if (input.time_zone !== undefined && !isValidTimeZone(input.time_zone)) {
      throw new ValidationError('Unknown time zone.', [{ path: '/time_zone', message: 'must be an IANA time zone name such as Europe/Berlin' }]);
    }
    if (input.username && (await users.usernameTaken(db, input.username, actor.id))) throw new ConflictError('This username is taken.', 'username-taken');
    try {
      const row = await users.update(db, actor.id, {
        ...(input.full_name !== undefined && { full_name: input.full_name.trim() }),
        ...(input.phone !== undefined && { phone: input.phone }),
        ...(input.username !== undefined && { username: input.username }),
        ...(input.time_zone !== undefined && { time_zone: input.time_zone }),
      });
      await this.deps.cache.invalidateUser(actor.id);
      return toUserDto(row);
    } catch (err) {
      if (isUniqueViolation(err, 'users_username_unique')) throw new ConflictError('This username is taken.', 'username-taken');
      throw err;
    }
  }

  /** Changes the caller's password and ends every other session (a stolen session dies). */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string): Promise<void> {
    const { db, users, passwords } = this.deps;
    const user = await users.findById(db, actor.id);
    if (!user) throw new NotFoundError('User');
    const lockedFor = await this.deps.limiters.loginFailures.blockedFor(accountKey(user.id));
    if (lockedFor > 0) throw new RateLimitedError(lockedFor, 'Too many failed password attempts; try again later.');
    if (!(await passwords.verify(user.password_hash, currentPassword))) {
      await this.deps.limiters.loginFailures.penalise(accountKey(user.id));
      throw new ValidationError('The current password is incorrect.', [{ path: '/current_password', message: 'is incorrect' }]);
    }
    await this.setPassword(user, newPassword, actor.sessionId);
  }

  /** Admin or self (already verified) sets a password; sessions other than `keepSessionId` end. */
  async setPassword(user: UserRow, newPassword: string, keepSessionId?: string): Promise<void> {
    const problems = passwordProblems(newPassword, { email: user.email, username: user.username });
    if (problems.length)
      throw new ValidationError(
        'The new password does not meet the password policy.',
        problems.map((p) => ({ ...p, path: '/new_password' })),
      );
    const hash = await this.deps.passwords.hash(newPassword);
    await this.deps.db.transaction().execute(async (trx) => {
      await this.deps.users.update(trx, user.id, { password_hash: hash, password_changed_at: new Date() });
      await this.deps.sessions.revokeAllForUser(trx, user.id, 'password_changed', keepSessionId);
      // A reset link sent before the change must not undo it (issue 11).
      await this.deps.sessions.spendResetTokens(trx, user.id);
    });
    await this.deps.cache.invalidateUser(user.id);
  }

  /**
   * Starts a reset. The reply is the same whether or not the email exists; the token
   * only ever travels by email (outbox), never in an API response.
   */
  async forgotPassword(email: string, client: ClientInfo): Promise<void> {
    await this.limitAuth(client, email);
    // The lookup, token and email happen after the reply, so known and unknown addresses
    // take the same time to answer (issue 11): nothing in the reply or its timing tells them apart.
    const work = this.issueReset(email)
      .catch((err) => this.deps.log?.error({ err }, 'password reset email failed'))
      .finally(() => this.background.delete(work));
    this.background.add(work);
  }

  /** Background work started by forgotPassword (awaited by tests and at shutdown). */
  readonly background = new Set<Promise<unknown>>();

  async settled(): Promise<void> {
    while (this.background.size) await Promise.all([...this.background]);
  }

  private async issueReset(email: string): Promise<void> {
    const { db, users, sessions, config } = this.deps;
    const user = await users.findByLogin(db, email.toLowerCase());
    if (!user || user.status === 'deleted' || user.status === 'deactivated') return;
    const token = newOpaqueToken();
    const expiresAt = new Date(Date.now() + config.passwordResetTtlSeconds * 1000);
    await db.transaction().execute(async (trx) => {
      await sessions.createResetToken(trx, user.id, hashToken(token), expiresAt);
      // The link is the secret: sealed in the outbox, removed once sent (review L9, platform/mail.ts).
      await enqueueEmail(
        trx,
        {
          to: user.email,
          kind: 'password_reset',
          secret: true,
          subject: 'Reset your CareBridge password',
          text:
            `Hello ${user.full_name},\n\nSomeone asked to reset the password of your CareBridge account. ` +
            `If it was you, open this link within ${Math.round(config.passwordResetTtlSeconds / 60)} minutes:\n\n` +
            `${config.publicBaseUrl}/reset-password?token=${token}\n\nIf it wasn't you, ignore this email; your password stays as it is.\n`,
        },
        this.deps.outbox,
      );
    });
  }

  async resetPassword(token: string, newPassword: string, client: ClientInfo): Promise<void> {
    await this.limitAuth(client, null);
    const { db, users, sessions, passwords } = this.deps;
    const invalid = 'The reset link is invalid or has expired; request a new one.';
    const record = await sessions.findResetTokenForUpdate(db, hashToken(token));
    if (!record || record.used_at || record.expires_at <= new Date()) throw new BadRequestError(invalid);
    const user = await users.findById(db, record.user_id);
    if (!user || user.status === 'deleted' || user.status === 'deactivated') throw new BadRequestError(invalid);
    const problems = passwordProblems(newPassword, { email: user.email, username: user.username });
    if (problems.length)
      throw new ValidationError(
        'The new password does not meet the password policy.',
        problems.map((p) => ({ ...p, path: '/new_password' })),
      );
    const hash = await passwords.hash(newPassword);
    const spent = await db.transaction().execute(async (trx) => {
      // Re-check under lock: two concurrent resets with one token, only one wins.
      const locked = await sessions.findResetTokenForUpdate(trx, record.token_hash);
      if (!locked || locked.used_at) return false;
      await sessions.spendResetTokens(trx, user.id);
      await users.update(trx, user.id, { password_hash: hash, password_changed_at: new Date() });
      await sessions.revokeAllForUser(trx, user.id, 'password_reset');
      return true;
    });
    if (!spent) throw new BadRequestError(invalid);
    await this.deps.cache.invalidateUser(user.id);
    await this.deps.limiters.loginFailures.reset(accountKey(user.id));
  }

  /** Creates or updates the bootstrap admin from ADMIN_EMAIL/ADMIN_PASSWORD. */
  async ensureAdmin(email: string, password: string, fullName = 'Administrator'): Promise<UserRow> {
    const { db, users, passwords } = this.deps;
    const existing = await users.findByLogin(db, email);
    const hash = existing && (await passwords.verify(existing.password_hash, password)) ? existing.password_hash : await passwords.hash(password);
    if (existing) {
      const updated = await users.update(db, existing.id, {
        role: 'admin',
        status: 'active',
        password_hash: hash,
        approved_at: existing.approved_at ?? new Date(),
      });
      await this.deps.cache.invalidateUser(existing.id);
      return updated;
    }
    return users.insert(db, {
      email,
      username: null,
      password_hash: hash,
      full_name: fullName,
      phone: null,
      role: 'admin',
      status: 'active',
      approved_at: new Date(),
    });
  }

  /** Creates an approved account directly (demo data, admin-created staff). */
  async createApproved(input: { email: string; password: string; full_name: string; role: Role; username?: string; phone?: string }): Promise<UserRow> {
    const { db, users, passwords } = this.deps;
    const existing = await users.findByLogin(db, input.email);
    if (existing) return existing;
    return users.insert(db, {
      email: input.email,
      username: input.username ?? null,
      password_hash: await passwords.hash(input.password),
      full_name: input.full_name,
      phone: input.phone ?? null,
      role: input.role,
      status: 'active',
      approved_at: new Date(),
    });
  }
}
