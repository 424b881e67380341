import { randomBytes, timingSafeEqual } from 'node:crypto';
import type * as Oidc from 'openid-client';
import type { Config } from '../../platform/config.js';
import type { OidcProviderConfig } from '../../platform/auth/config.js';
import type { Db } from '../../platform/database/index.js';
import { isUniqueViolation } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { Limiter } from '../../platform/rate-limit.js';
import type { PasswordHasher } from '../../platform/auth/passwords.js';
import { hashToken, type Role } from '../../platform/auth/tokens.js';
import { AppError, BadRequestError, ConflictError, ForbiddenError, NotFoundError, ServiceUnavailableError } from '../../platform/errors.js';
import type { UserRow, UsersRepository } from './users.repository.js';
import type { MfaRepository } from './mfa.repository.js';
import type { ClientInfo, IdentityService, MfaRequired, TokenPair } from './identity.service.js';

/** openid-client is loaded on the first sign-in through a provider, not at start-up (~7.5 MB; docs/BENCHMARKS.md "Footprint"). */
const loadOidc = () => import('openid-client');

export interface OidcDeps {
  config: Config;
  db: Db;
  users: UsersRepository;
  mfa: MfaRepository;
  identity: IdentityService;
  passwords: PasswordHasher;
  events: EventBus;
  authIp: Limiter;
  /** Tests only: shift our clock against the provider's (openid-client clockSkew, seconds). */
  clockSkewSeconds?: number;
}

/** 401 for a sign-in the provider (or an attacker) got wrong: the reason is in the detail. */
export class OidcError extends AppError {
  constructor(detail: string, code = 'oidc-failed') {
    super(401, 'External sign-in failed', detail, undefined, code);
  }
}

interface Pending {
  provider: string;
  code_verifier: string;
  nonce: string;
  /**
   * SHA-256 of the browser binding: a random value set as a cookie in the browser that
   * started the flow (oidc.routes.ts). Absent only in flows started before the binding existed
   * (a deploy in the middle of a five-minute flow); those are refused like a mismatch.
   */
  binding?: string;
}

/** A new flow: the provider URL to send the browser to, and the binding value its cookie must hold. */
export interface OidcStart {
  url: string;
  state: string;
  binding: string;
}

/** 400 for a callback arriving in a browser that did not start the flow (login CSRF, RFC 9700 4.7.1). */
export class OidcBindingError extends AppError {
  constructor() {
    super(
      400,
      'Sign-in not started in this browser',
      'This sign-in was not started in this browser (its sign-in cookie is missing or does not match), so it cannot finish here. Start the sign-in again from this browser.',
      undefined,
      'oidc-browser-mismatch',
    );
  }
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const ENTRA_HOST = 'login.microsoftonline.com';
const ENTRA_MULTI = new Set(['common', 'organizations', 'consumers']);

/**
 * Entra ID multi-tenant: the discovery document of .../organizations/v2.0 names the issuer
 * `https://login.microsoftonline.com/{tenantid}/v2.0`; a token is only from that issuer if its
 * `iss` is the template with the token's own `tid` put in (openid-client does the same
 * substitution; this repeats it, and also applies the configured tenant allow-list). A
 * token from tenant A claiming tid B fails here: the trap of checking only the host.
 */
export function checkEntraTenant(provider: Pick<OidcProviderConfig, 'issuer' | 'tenants'>, claims: { iss?: unknown; tid?: unknown }): void {
  const url = new URL(provider.issuer);
  const segment = url.pathname.split('/')[1] ?? '';
  const multi = url.hostname === ENTRA_HOST && ENTRA_MULTI.has(segment);
  if (!multi && provider.tenants.length === 0) return;
  const tid = typeof claims.tid === 'string' ? claims.tid : '';
  if (!/^[0-9a-f-]{36}$/i.test(tid)) throw new OidcError('The ID token has no valid tenant id (tid).');
  if (multi && claims.iss !== `https://${ENTRA_HOST}/${tid}/v2.0`) throw new OidcError("The ID token's issuer does not match its tenant.");
  if (provider.tenants.length && !provider.tenants.includes(tid))
    throw new OidcError('Sign-in from this directory (tenant) is not allowed.', 'oidc-tenant-not-allowed');
}

/** Our role from the provider's role claim (Entra app roles, groups, …). Clinicians still wait for approval. */
/** How far ahead of our clock a provider's clock may run (the ID token's iat). */
const IAT_SKEW_SECONDS = 60;

/**
 * openid-client checks exp, nbf, aud, iss and nonce, but accepts an ID token issued in the future
 * (oidc.test.ts "clock-skewed ID token" passed a token issued an hour ahead). Such a token outlives
 * the provider's intended lifetime on our clock, or comes from a provider whose clock cannot be
 * trusted: refused (ASVS 6.8.2, bad input "clock-skewed tokens" of issue 15).
 */
export function checkIssuedAt(claims: { iat?: unknown }, now = Date.now()): void {
  if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) throw new OidcError('The ID token has no issue time (iat).');
  if (claims.iat > now / 1000 + IAT_SKEW_SECONDS)
    throw new OidcError(`The ID token was issued in the future (iat ${Math.round(claims.iat - now / 1000)} s ahead of this server's clock).`);
}

export function mapRole(provider: Pick<OidcProviderConfig, 'roleClaim' | 'roleMap'>, claims: Record<string, unknown>): Role {
  if (!provider.roleClaim) return 'patient';
  const raw = claims[provider.roleClaim];
  const values = Array.isArray(raw) ? raw.filter((v): v is string => typeof v === 'string') : typeof raw === 'string' ? [raw] : [];
  const mapped = values.map((v) => provider.roleMap[v]).filter((r): r is Role => Boolean(r));
  // Most privileged mapped role wins; nothing mapped is the safe default.
  for (const role of ['admin', 'doctor', 'nurse'] as const) if (mapped.includes(role)) return role;
  return 'patient';
}

/**
 * Sign-in with external OpenID Connect providers (docs/API.md §1.1, README "Sign-in with
 * Microsoft Entra ID"): authorization code flow with PKCE (S256), state and nonce, provider
 * metadata by discovery and ID token signatures by its JWKS (openid-client). Accounts are
 * linked by provider + subject; by email only where the provider is configured for it and
 * says the email is verified. A failed flow creates and links nothing.
 */
export class OidcService {
  private readonly configs = new Map<string, Promise<Oidc.Configuration>>();

  constructor(private readonly deps: OidcDeps) {}

  private provider(name: string): OidcProviderConfig {
    const provider = this.deps.config.auth.oidc.find((p) => p.name === name);
    if (!provider) throw new NotFoundError('Sign-in provider');
    return provider;
  }

  private async client(provider: OidcProviderConfig): Promise<Oidc.Configuration> {
    let pending = this.configs.get(provider.name);
    if (!pending) {
      const oidc = await loadOidc();
      const local = new URL(provider.issuer).protocol === 'http:';
      pending = oidc.discovery(
        new URL(provider.issuer),
        provider.clientId,
        { redirect_uris: [provider.redirectUri], ...(this.deps.clockSkewSeconds && { [oidc.clockSkew]: this.deps.clockSkewSeconds }) },
        provider.clientSecret ? oidc.ClientSecretPost(provider.clientSecret) : oidc.None(),
        // http:// issuers are accepted only on loopback (config validation), for local providers.
        local ? { execute: [oidc.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
      );
      this.configs.set(provider.name, pending);
      // A provider that was down must be retried next time, not remembered as down.
      pending.catch(() => this.configs.delete(provider.name));
    }
    try {
      return await pending;
    } catch {
      throw new ServiceUnavailableError(
        'Sign-in provider unavailable',
        `The ${provider.name} sign-in provider could not be reached or its discovery document is invalid.`,
      );
    }
  }

  /**
   * The provider's authorization URL for a new flow (state, nonce and PKCE verifier kept
   * server-side), and a random binding value for a cookie in the browser that asked: only
   * its hash is stored, and the callback must bring the value back (login CSRF).
   */
  async start(name: string, client: ClientInfo): Promise<OidcStart> {
    const oidc = await loadOidc();
    await this.deps.authIp.consume(client.ip);
    const provider = this.provider(name);
    const config = await this.client(provider);
    const state = oidc.randomState();
    const binding = randomBytes(32).toString('base64url');
    const pending: Pending = {
      provider: provider.name,
      code_verifier: oidc.randomPKCECodeVerifier(),
      nonce: oidc.randomNonce(),
      binding: hashToken(binding),
    };
    await this.deps.mfa.createChallenge(this.deps.db, {
      token_hash: hashToken(state),
      kind: 'oidc',
      user_id: null,
      payload: pending,
      expires_at: new Date(Date.now() + this.deps.config.auth.challengeTtlSeconds * 1000),
    });
    const url = oidc
      .buildAuthorizationUrl(config, {
        redirect_uri: provider.redirectUri,
        scope: provider.scopes,
        response_type: 'code',
        state,
        nonce: pending.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.code_verifier),
        code_challenge_method: 'S256',
      })
      .toString();
    return { url, state, binding };
  }

  /**
   * Completes a flow from the provider's redirect (its query string). `binding` is the value
   * of the flow's cookie in the browser that made this request (undefined when it has none).
   */
  async callback(name: string, query: Record<string, string | undefined>, binding: string | undefined, client: ClientInfo): Promise<TokenPair | MfaRequired> {
    const oidc = await loadOidc();
    await this.deps.authIp.consume(client.ip);
    const provider = this.provider(name);
    if (query.error)
      throw new OidcError(
        `The provider refused the sign-in: ${query.error}${query.error_description ? ` (${query.error_description})` : ''}.`,
        'oidc-provider-error',
      );
    if (!query.state || !query.code) throw new BadRequestError('The callback needs code and state parameters.');
    const { db, mfa } = this.deps;
    const row = await mfa.findChallenge(db, hashToken(query.state), 'oidc');
    const pending = row ? (JSON.parse(row.payload) as Pending) : null;
    // Unknown, tampered, expired, spent, or started for another provider: one answer.
    if (!row || !pending || row.used_at || row.expires_at <= new Date() || pending.provider !== provider.name) {
      throw new BadRequestError('The sign-in state is unknown, expired or already used; start the sign-in again.');
    }
    // Before the state is spent: a callback replayed in another browser (an attacker's code
    // pushed to a victim, or a leaked redirect) neither signs in nor spends the real flow.
    if (!binding || !pending.binding || !sameHash(hashToken(binding), pending.binding)) throw new OidcBindingError();
    if (!(await mfa.spendChallenge(db, row.token_hash))) throw new BadRequestError('The sign-in state was already used; start the sign-in again.');
    const config = await this.client(provider);
    const currentUrl = new URL(provider.redirectUri);
    for (const [key, value] of Object.entries(query)) if (value !== undefined) currentUrl.searchParams.set(key, value);
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: pending.code_verifier,
        expectedState: query.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = (tokens.claims() ?? {}) as Record<string, unknown>;
    } catch (err) {
      // openid-client says what failed; its cause names the claim (iss, aud, nonce, exp …) or the
      // provider's error (invalid_grant for a spent or foreign code). No token content is echoed.
      const cause = (err as { cause?: unknown }).cause;
      const why =
        cause instanceof Error
          ? cause.message
          : typeof (cause as { error?: unknown })?.error === 'string'
            ? String((cause as { error: string }).error)
            : (err as Error).message;
      throw new OidcError(`The provider's reply was not accepted: ${why}.`);
    }
    checkIssuedAt(claims);
    checkEntraTenant(provider, claims);
    const user = await this.accountFor(provider, claims);
    if (user.status !== 'active' && user.status !== 'pending') throw new ForbiddenError('This account is deactivated.');
    // The provider is the first factor ("fed"); a local second factor still applies where due.
    return this.deps.identity.afterFirstFactor(user, ['fed'], client);
  }

  /** Finds the linked account, links by verified email where allowed, or creates one. */
  private async accountFor(provider: OidcProviderConfig, claims: Record<string, unknown>): Promise<UserRow> {
    const { db, users } = this.deps;
    const subject = typeof claims.sub === 'string' ? claims.sub : '';
    if (!subject) throw new OidcError('The ID token has no subject.');
    const linked = await this.deps.mfa.findExternalIdentity(db, provider.name, subject);
    if (linked) {
      await this.deps.mfa.touchExternalIdentity(db, provider.name, subject);
      const user = await users.findById(db, linked.user_id);
      if (!user) throw new OidcError('The linked account no longer exists.');
      return user;
    }
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : null;
    const verified = claims.email_verified === true || claims.email_verified === 'true' || provider.trustEmail;
    if (!email || !verified) {
      throw new ForbiddenError(`The ${provider.name} account has no verified email address, so no CareBridge account can be created or linked for it.`);
    }
    const existing = await users.findByLogin(db, email);
    if (existing) {
      if (!provider.linkByEmail)
        throw new ConflictError(
          'An account with this email already exists; sign in with its password (linking by email is not enabled for this provider).',
          'email-taken',
        );
      await this.deps.mfa.linkExternalIdentity(db, { provider: provider.name, subject, user_id: existing.id, email });
      return existing;
    }
    if (!provider.createAccounts) throw new ForbiddenError('This provider may only sign in to existing, linked accounts.');
    const role = mapRole(provider, claims);
    const name = [claims.name, [claims.given_name, claims.family_name].filter(Boolean).join(' ')].find((n) => typeof n === 'string' && n.trim()) as
      string | undefined;
    try {
      const user = await db.transaction().execute(async (trx) => {
        const created = await users.insert(trx, {
          email,
          username: null,
          // No password: the account signs in through the provider (a reset link can set one).
          password_hash: await this.deps.passwords.hash(randomBytes(32).toString('base64url')),
          full_name: (name ?? email).slice(0, 200),
          phone: null,
          role,
          // Clinicians (and anything above a patient) still wait for an administrator's approval.
          status: role === 'patient' ? 'active' : 'pending',
        });
        await this.deps.mfa.linkExternalIdentity(trx, { provider: provider.name, subject, user_id: created.id, email });
        return created;
      });
      await this.deps.events.publish('user.registered', { userId: user.id, role: user.role, status: user.status });
      return user;
    } catch (err) {
      if (isUniqueViolation(err, 'users_email_unique')) throw new ConflictError('An account with this email already exists.', 'email-taken');
      throw err;
    }
  }

  /** The provider's redirect URI (where the browser comes back; its flow cookie is scoped to it). 404 if unknown. */
  callbackUrl(name: string): URL {
    return new URL(this.provider(name).redirectUri);
  }

  /** How long a flow (and its browser cookie) lives. */
  get flowSeconds(): number {
    return this.deps.config.auth.challengeTtlSeconds;
  }

  /** The configured providers, for a sign-in page. */
  providers(): { name: string }[] {
    return this.deps.config.auth.oidc.map((p) => ({ name: p.name }));
  }
}
