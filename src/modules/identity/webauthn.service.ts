import type { AuthenticationResponseJSON, AuthenticatorTransportFuture, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Config } from '../../platform/config.js';
import type { Db } from '../../platform/database/index.js';
import type { Actor } from '../../platform/access.js';
import type { Limiter } from '../../platform/rate-limit.js';
import type { PasswordHasher } from '../../platform/auth/passwords.js';
import { hashToken } from '../../platform/auth/tokens.js';
import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '../../platform/errors.js';
import { iso } from '../../platform/http/schemas.js';
import type { UserRow, UsersRepository } from './users.repository.js';
import type { MfaRepository } from './mfa.repository.js';
import type { SessionCache } from './session-cache.js';
import type { ClientInfo, IdentityService, TokenPair } from './identity.service.js';
import type { MfaService } from './mfa.service.js';

/**
 * Loaded on first use: the library with its CBOR/ASN.1 dependencies costs ~30 MB and ~0.5 s at
 * start-up, on every instance, for a ceremony most instances rarely run (docs/BENCHMARKS.md "Footprint").
 */
const webauthn = () => import('@simplewebauthn/server');

export interface WebauthnDeps {
  config: Config;
  db: Db;
  users: UsersRepository;
  mfa: MfaRepository;
  mfaService: MfaService;
  identity: IdentityService;
  passwords: PasswordHasher;
  cache: SessionCache;
  authIp: Limiter;
  failures: Limiter;
}

type CredentialRow = Awaited<ReturnType<MfaRepository['listCredentials']>>[number];

export function toCredentialDto(row: CredentialRow) {
  return {
    id: row.id,
    name: row.name,
    transports: row.transports ? row.transports.split(',') : [],
    created_at: iso(row.created_at),
    last_used_at: row.last_used_at ? iso(row.last_used_at) : null,
  };
}

const FAILED = 'The passkey could not be verified.';

/** The challenge a WebAuthn response answers, read from its clientDataJSON (verified again by the library). */
function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string {
  const raw = response.response?.clientDataJSON;
  if (typeof raw !== 'string')
    throw new ValidationError('The WebAuthn response is incomplete.', [{ path: '/response/clientDataJSON', message: 'is required' }]);
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { challenge?: unknown };
    if (typeof parsed.challenge !== 'string') throw new Error('no challenge');
    return parsed.challenge;
  } catch {
    throw new ValidationError('The WebAuthn response is malformed.', [{ path: '/response/clientDataJSON', message: 'is not base64url JSON with a challenge' }]);
  }
}

/**
 * Passkeys (WebAuthn Level 3) with @simplewebauthn/server: registration, the list, rename and
 * removal, and assertions as a second factor or for passwordless sign-in. Every ceremony's
 * challenge is single use, expires with the other auth challenges (5 minutes) and is bound
 * to the user it was issued for; origin and RP ID are checked against configuration
 * (WEBAUTHN_ORIGINS, WEBAUTHN_RP_ID).
 */
export class WebauthnService {
  constructor(private readonly deps: WebauthnDeps) {
    deps.mfaService.usePasskeys((user, response) => this.assertFor(user, response, false).then(() => undefined));
  }

  private get rp() {
    return this.deps.config.auth.webauthn;
  }

  private expiry(): Date {
    return new Date(Date.now() + this.deps.config.auth.challengeTtlSeconds * 1000);
  }

  async registrationOptions(actor: Actor, password: string) {
    const { db, mfa, users, passwords } = this.deps;
    const user = await users.findById(db, actor.id);
    if (!user) throw new UnauthorizedError();
    const lockedFor = await this.deps.failures.blockedFor(user.id);
    if (lockedFor > 0 || !(await passwords.verify(user.password_hash, password))) {
      await this.deps.failures.penalise(user.id);
      throw new ValidationError('Your password is required to add a passkey.', [{ path: '/password', message: 'is missing or incorrect' }]);
    }
    const existing = await mfa.listCredentials(db, user.id);
    const options = await (
      await webauthn()
    ).generateRegistrationOptions({
      rpName: this.rp.rpName,
      rpID: this.rp.rpId,
      userName: user.email,
      userDisplayName: user.full_name,
      userID: new TextEncoder().encode(user.id),
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: (c.transports?.split(',') ?? []) as AuthenticatorTransportFuture[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    await mfa.createChallenge(db, {
      token_hash: hashToken(options.challenge),
      kind: 'webauthn_register',
      user_id: user.id,
      payload: {},
      expires_at: this.expiry(),
    });
    return options;
  }

  async register(actor: Actor, response: Record<string, unknown>, name: string | undefined) {
    const { db, mfa } = this.deps;
    const challenge = challengeOf(response);
    const row = await mfa.findChallenge(db, hashToken(challenge), 'webauthn_register');
    if (!row || row.user_id !== actor.id || row.used_at || row.expires_at <= new Date())
      throw new BadRequestError('The passkey registration has expired or does not belong to this account; start again.');
    let verification;
    try {
      verification = await (
        await webauthn()
      ).verifyRegistrationResponse({
        response: response as unknown as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        requireUserVerification: false,
      });
    } catch (err) {
      throw new BadRequestError(`The passkey could not be registered: ${(err as Error).message}`);
    }
    if (!verification.verified || !verification.registrationInfo) throw new BadRequestError('The passkey could not be registered.');
    if (!(await mfa.spendChallenge(db, row.token_hash))) throw new BadRequestError('The passkey registration was already used; start again.');
    const { credential } = verification.registrationInfo;
    if (await mfa.findCredential(db, credential.id)) throw new ConflictError('This passkey is already registered.', 'passkey-exists');
    const created = await mfa.insertCredential(db, {
      user_id: actor.id,
      credential_id: credential.id,
      public_key: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports?.join(',') ?? null,
      name: name?.trim() || 'Passkey',
    });
    await this.deps.cache.invalidateUser(actor.id);
    return toCredentialDto(created);
  }

  async list(actor: Actor) {
    return { items: (await this.deps.mfa.listCredentials(this.deps.db, actor.id)).map(toCredentialDto) };
  }

  async rename(actor: Actor, id: string, name: string) {
    const row = await this.deps.mfa.renameCredential(this.deps.db, actor.id, id, name.trim());
    if (!row) throw new NotFoundError('Passkey');
    return toCredentialDto(row);
  }

  /** Removes a passkey (the route needs a recent second factor). Where MFA is required the last factor stays. */
  async remove(actor: Actor, id: string): Promise<void> {
    const { db, mfa } = this.deps;
    const factors = await mfa.factorsOf(db, actor.id);
    const mine = (await mfa.listCredentials(db, actor.id)).some((c) => c.id === id);
    if (!mine) throw new NotFoundError('Passkey');
    if (!factors.totp && factors.webauthn === 1 && this.deps.config.auth.mfaRequiredRoles.includes(actor.role)) {
      throw new ConflictError(`A ${actor.role} account needs a second factor: add another before removing this passkey.`, 'last-factor');
    }
    await mfa.deleteCredential(db, actor.id, id);
    await this.deps.cache.invalidateUser(actor.id);
  }

  /**
   * Assertion options: for passwordless sign-in (no user: any discoverable passkey), for the
   * second factor of a sign-in (an mfa_token), or for step-up (a signed-in user).
   */
  async authenticationOptions(who: { actor?: Actor | null; mfaToken?: string }, client: ClientInfo) {
    const { db, mfa } = this.deps;
    let userId: string | null = null;
    if (who.mfaToken) {
      await this.deps.authIp.consume(client.ip);
      userId = (await this.deps.mfaService.liveChallenge(who.mfaToken)).user.id;
    } else if (who.actor) {
      userId = who.actor.id;
    } else {
      await this.deps.authIp.consume(client.ip);
    }
    const credentials = userId ? await mfa.listCredentials(db, userId) : [];
    if (userId && credentials.length === 0) throw new ConflictError('This account has no passkey.', 'no-passkey');
    const options = await (
      await webauthn()
    ).generateAuthenticationOptions({
      rpID: this.rp.rpId,
      allowCredentials: credentials.map((c) => ({ id: c.credential_id, transports: (c.transports?.split(',') ?? []) as AuthenticatorTransportFuture[] })),
      userVerification: userId ? 'preferred' : 'required',
    });
    await mfa.createChallenge(db, {
      token_hash: hashToken(options.challenge),
      kind: 'webauthn_login',
      user_id: userId,
      payload: {},
      expires_at: this.expiry(),
    });
    return options;
  }

  /** Passwordless sign-in with a passkey (user verification required): the normal login reply. */
  async login(response: Record<string, unknown>, client: ClientInfo): Promise<TokenPair> {
    await this.deps.authIp.consume(client.ip);
    const credentialId = typeof response.id === 'string' ? response.id : '';
    const credential = credentialId ? await this.deps.mfa.findCredential(this.deps.db, credentialId) : undefined;
    if (!credential) throw new UnauthorizedError(FAILED);
    const user = await this.deps.users.findById(this.deps.db, credential.user_id);
    if (!user || (user.status !== 'active' && user.status !== 'pending')) throw new UnauthorizedError(FAILED);
    await this.assertFor(user, response, true);
    // Possession of the key plus the authenticator's own PIN or biometric: two factors (RFC 8176 hwk + mfa).
    return this.deps.db.transaction().execute((trx) => this.deps.identity.startSession(trx, user, client, ['hwk', 'mfa']));
  }

  /**
   * Verifies an assertion by `user` against a live challenge issued for them (or, for
   * passwordless, for anyone), then spends the challenge and stores the new counter.
   */
  private async assertFor(user: UserRow, response: Record<string, unknown>, passwordless: boolean): Promise<void> {
    const { db, mfa } = this.deps;
    const challenge = challengeOf(response);
    const row = await mfa.findChallenge(db, hashToken(challenge), 'webauthn_login');
    const forThisUser = row && (row.user_id === user.id || (passwordless && row.user_id === null));
    if (!row || !forThisUser || row.used_at || row.expires_at <= new Date())
      throw new UnauthorizedError(`${FAILED} The challenge is unknown, expired or for another sign-in.`);
    const credentialId = typeof response.id === 'string' ? response.id : '';
    const stored = credentialId ? await mfa.findCredential(db, credentialId) : undefined;
    if (!stored || stored.user_id !== user.id) throw new UnauthorizedError(FAILED);
    let verification;
    try {
      verification = await (
        await webauthn()
      ).verifyAuthenticationResponse({
        response: response as unknown as AuthenticationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.rp.origins,
        expectedRPID: this.rp.rpId,
        credential: {
          id: stored.credential_id,
          publicKey: new Uint8Array(Buffer.from(stored.public_key, 'base64url')),
          counter: Number(stored.counter),
          transports: (stored.transports?.split(',') ?? []) as AuthenticatorTransportFuture[],
        },
        requireUserVerification: passwordless,
      });
    } catch (err) {
      throw new UnauthorizedError(`${FAILED} ${(err as Error).message}`);
    }
    if (!verification.verified) throw new UnauthorizedError(FAILED);
    if (!(await mfa.spendChallenge(db, row.token_hash))) throw new UnauthorizedError(`${FAILED} The challenge was already used.`);
    await mfa.credentialUsed(db, stored.id, verification.authenticationInfo.newCounter);
  }
}
