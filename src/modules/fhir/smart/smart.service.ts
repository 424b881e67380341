import { createHash, timingSafeEqual } from 'node:crypto';
import { createDecoder, createSigner, createVerifier } from 'fast-jwt';
import type { SmartClientConfig } from '../../../platform/auth/smart-config.js';
import { hashToken, newOpaqueToken, type Role } from '../../../platform/auth/tokens.js';
import type { Config } from '../../../platform/config.js';
import type { Actor, CareRelationships } from '../../../platform/access.js';
import type { Db } from '../../../platform/database/index.js';
import { AppError, BadRequestError, ForbiddenError, NotFoundError } from '../../../platform/errors.js';
import type { IdentityService } from '../../identity/index.js';
import { CONTEXT_SCOPES, grantScopes } from './scopes.js';
import './smart.tables.js';

/** A code is redeemed by the app straight after the redirect; a minute is plenty (RFC 6749 §4.1.2 recommends ≤ 10). */
const CODE_TTL_MS = 60_000;
/** An EHR launch is opened by the app at once: five minutes from the portal's click to the consent. */
const LAUNCH_TTL_MS = 5 * 60_000;
/** SMART asks client assertions to expire within five minutes; a little clock skew is tolerated. */
const ASSERTION_MAX_LIFETIME_S = 300;
const CLOCK_SKEW_S = 30;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface AuthorizeRequest {
  response_type: string;
  client_id: string;
  redirect_uri: string;
  scope: string;
  state: string;
  aud: string;
  code_challenge: string;
  code_challenge_method: string;
  /** EHR launch: the opaque launch id the portal handed the app (POST /api/v1/smart/launch). */
  launch?: string;
}

export interface TokenRequest {
  grant_type?: string;
  code?: string;
  redirect_uri?: string;
  client_id?: string;
  code_verifier?: string;
  refresh_token?: string;
  scope?: string;
  client_assertion_type?: string;
  client_assertion?: string;
  /** The raw Authorization header (client_secret_basic). */
  authorization?: string;
}

type OAuthCode = 'invalid_request' | 'invalid_grant' | 'invalid_client' | 'invalid_scope' | 'unsupported_grant_type';

/**
 * An RFC 6749 §5.2 error of the token endpoint: the reply carries `error` beside the problem
 * fields. A failed client authentication is a 401 (with `WWW-Authenticate: Basic` when the app
 * used HTTP Basic), everything else a 400.
 */
export class OAuthError extends AppError {
  constructor(
    readonly oauthError: OAuthCode,
    detail: string,
    status: 400 | 401 = 400,
    headers: Record<string, string> = {},
  ) {
    super(status, status === 401 ? 'Unauthorized' : 'Bad Request', detail, undefined, oauthError.replace(/_/g, '-'), headers);
  }
}

export interface SmartDeps {
  db: Db;
  care: CareRelationships;
  config: Pick<Config, 'smartClients' | 'jwtSecret' | 'jwtKeys' | 'accessTokenTtlSeconds' | 'refreshTokenTtlSeconds'>;
  identity: Pick<IdentityService, 'startAppSession' | 'renewAppSession' | 'endAppSession'>;
}

interface Grant {
  userId: string;
  clientId: string;
  scope: string;
  patient: string | null;
}

const decodeUnverified = createDecoder({ complete: false });

/**
 * SMART App Launch 2.0, standalone launch for public apps with PKCE (docs/FHIR.md): the portal's
 * consent page asks `preview` what the app would get and `authorize` once the signed-in user
 * agrees; the app redeems the code at POST /oauth/token for a FHIR-only access token carrying the
 * granted scopes (platform/http/auth.ts refuses it elsewhere; fhir.routes.ts checks the scopes).
 */
export class SmartService {
  private readonly idTokenSigner: (payload: Record<string, unknown>) => string;

  constructor(private readonly deps: SmartDeps) {
    const keys = deps.config.jwtKeys;
    this.idTokenSigner = createSigner({
      key: keys?.privateKeyPem ?? deps.config.jwtSecret,
      algorithm: keys?.algorithm ?? 'HS256',
      kid: keys?.kid,
      expiresIn: 300_000,
    });
  }

  configuration(base: string) {
    return {
      issuer: `${base}/fhir/R4`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      grant_types_supported: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: [...CONTEXT_SCOPES, 'patient/*.rs', 'patient/*.cruds', 'user/*.rs', 'user/*.cruds', 'patient/*.read', 'user/*.read'],
      capabilities: [
        'launch-standalone',
        'launch-ehr',
        'client-public',
        'client-confidential-symmetric',
        'client-confidential-asymmetric',
        'context-standalone-patient',
        'context-ehr-patient',
        'permission-offline',
        'permission-patient',
        'permission-user',
        'permission-v1',
        'permission-v2',
        'sso-openid-connect',
      ],
    };
  }

  private client(clientId: string): SmartClientConfig {
    const client = this.deps.config.smartClients.find((c) => c.clientId === clientId);
    if (!client) throw new BadRequestError(`No SMART app is registered as "${clientId}" (SMART_CLIENTS).`);
    return client;
  }

  /**
   * Checks an authorisation request. Errors about the app or its redirect URI are thrown (the
   * user must not be sent to an unverified address, RFC 6749 §4.1.2.1); everything else comes
   * back as an OAuth error to redirect with.
   */
  private async check(
    actor: Actor,
    request: AuthorizeRequest,
    base: string,
  ): Promise<{ client: SmartClientConfig; scopes: string[]; patient: string | null } | { client: SmartClientConfig; error: string; description: string }> {
    if (actor.app) throw new ForbiddenError('An app cannot authorise another app.');
    const client = this.client(request.client_id);
    if (!client.redirectUris.includes(request.redirect_uri))
      throw new BadRequestError(`redirect_uri is not one registered for "${client.clientId}"; the user is not sent there.`);
    if (request.response_type !== 'code') return { client, error: 'unsupported_response_type', description: 'Only response_type=code is supported.' };
    if (request.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43,128}$/.test(request.code_challenge))
      return { client, error: 'invalid_request', description: 'PKCE is required: code_challenge (base64url SHA-256) with code_challenge_method=S256.' };
    if (request.aud.replace(/\/$/, '') !== `${base}/fhir/R4`)
      return { client, error: 'invalid_request', description: `aud must be this server's FHIR base, ${base}/fhir/R4.` };
    let scopes = grantScopes(request.scope, client.scope, actor.role);
    if (!scopes.some((s) => s.includes('/') && s !== 'launch/patient'))
      return { client, error: 'invalid_scope', description: 'None of the requested resource scopes can be granted to this user for this app.' };
    // EHR launch: the `launch` scope with the id the portal gave the app. The launch must be this
    // app's and this user's (the one who clicked it in the portal), unexpired and unspent.
    let patient: string | null = scopes.includes('launch/patient') ? actor.id : null;
    if (scopes.includes('launch') || request.launch) {
      if (!request.launch || !scopes.includes('launch'))
        return { client, error: 'invalid_request', description: 'An EHR launch needs both the launch scope and the launch parameter.' };
      const launch = await this.deps.db.selectFrom('smart_launches').selectAll().where('launch_hash', '=', hashToken(request.launch)).executeTakeFirst();
      if (!launch || launch.client_id !== client.clientId || launch.user_id !== actor.id || launch.used_at || launch.expires_at.getTime() < Date.now())
        return { client, error: 'invalid_request', description: 'The launch is unknown, expired, already used or not this user’s launch of this app.' };
      patient = launch.patient_id;
    } else {
      scopes = scopes.filter((s) => s !== 'launch');
    }
    return { client, scopes, patient };
  }

  /** What the consent page shows: the app and exactly what it would be granted. */
  async preview(actor: Actor, request: AuthorizeRequest, base: string) {
    const checked = await this.check(actor, request, base);
    return {
      client_id: checked.client.clientId,
      client_name: checked.client.name,
      scopes: 'scopes' in checked ? checked.scopes : [],
      patient: 'scopes' in checked ? checked.patient : null,
      error: 'error' in checked ? checked.error : null,
      error_description: 'error' in checked ? checked.description : null,
    };
  }

  /** The user's decision: where to send the browser (the app's redirect URI with a code or an error). */
  async authorize(actor: Actor, request: AuthorizeRequest, approve: boolean, base: string): Promise<{ redirect_to: string }> {
    const checked = await this.check(actor, request, base);
    const target = new URL(request.redirect_uri);
    if (request.state) target.searchParams.set('state', request.state);
    if ('error' in checked || !approve) {
      target.searchParams.set('error', 'error' in checked ? checked.error : 'access_denied');
      target.searchParams.set('error_description', 'error' in checked ? checked.description : 'The user did not allow access.');
      return { redirect_to: target.toString() };
    }
    const code = newOpaqueToken();
    const issued = await this.deps.db.transaction().execute(async (trx) => {
      if (request.launch) {
        // A launch opens one authorisation: spent with the code, atomically (two tabs cannot both use it).
        const spent = await trx
          .updateTable('smart_launches')
          .set({ used_at: new Date() })
          .where('launch_hash', '=', hashToken(request.launch))
          .where('used_at', 'is', null)
          .returning('launch_hash')
          .executeTakeFirst();
        if (!spent) return false;
      }
      await trx
        .insertInto('smart_authorization_codes')
        .values({
          code_hash: hashToken(code),
          client_id: checked.client.clientId,
          redirect_uri: request.redirect_uri,
          user_id: actor.id,
          scope: checked.scopes.join(' '),
          patient_id: checked.patient,
          code_challenge: request.code_challenge,
          expires_at: new Date(Date.now() + CODE_TTL_MS),
          used_at: null,
        })
        .execute();
      return true;
    });
    if (!issued) {
      target.searchParams.set('error', 'invalid_request');
      target.searchParams.set('error_description', 'The launch was already used.');
      return { redirect_to: target.toString() };
    }
    target.searchParams.set('code', code);
    return { redirect_to: target.toString() };
  }

  /**
   * EHR launch (SMART App Launch 2.0 §"EHR launch"): the signed-in user opens a registered app from
   * the portal, optionally about one patient they may see. Answers the app's launch URL with `iss`
   * and a single-use `launch` id (five minutes) that the app sends back to /oauth/authorize.
   */
  async createLaunch(actor: Actor, input: { client_id: string; patient?: string }, base: string): Promise<{ launch: string; launch_url: string }> {
    if (actor.app) throw new ForbiddenError('An app cannot launch another app.');
    const client = this.client(input.client_id);
    if (!client.launchUri)
      throw new BadRequestError(`"${client.clientId}" has no launch_uri registered (SMART_CLIENTS): it supports the standalone launch only.`);
    let patient: string | null = null;
    if (actor.role === 'patient') {
      if (input.patient && input.patient !== actor.id) throw new NotFoundError('Patient');
      patient = actor.id;
    } else if (input.patient) {
      // The same care rule as every read: a patient the user may not see is a 404.
      if (!(await this.deps.care.canAccessPatient(this.deps.db, actor, input.patient))) throw new NotFoundError('Patient');
      patient = input.patient;
    }
    const launch = newOpaqueToken();
    await this.deps.db
      .insertInto('smart_launches')
      .values({
        launch_hash: hashToken(launch),
        client_id: client.clientId,
        user_id: actor.id,
        patient_id: patient,
        expires_at: new Date(Date.now() + LAUNCH_TTL_MS),
        used_at: null,
      })
      .execute();
    const url = new URL(client.launchUri);
    url.searchParams.set('iss', `${base}/fhir/R4`);
    url.searchParams.set('launch', launch);
    return { launch, launch_url: url.toString() };
  }

  /**
   * RFC 6749 §2.3 / SMART "client authentication": which registered app is calling the token
   * endpoint. A public app names itself (client_id) and proves nothing here (PKCE does, with the
   * code); a confidential app must authenticate as registered, else 401 invalid_client.
   */
  private async authenticateClient(request: TokenRequest, tokenUrl: string): Promise<SmartClientConfig> {
    const basic = /^Basic\s+(.+)$/i.exec(request.authorization ?? '');
    if (basic) {
      const challenge = { 'www-authenticate': 'Basic realm="smart", charset="UTF-8"' };
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
      const formDecode = (v: string) => {
        try {
          return decodeURIComponent(v.replace(/\+/g, ' '));
        } catch {
          return null;
        }
      };
      const id = colon < 0 ? null : formDecode(decoded.slice(0, colon));
      const secret = colon < 0 ? null : formDecode(decoded.slice(colon + 1));
      const client = id ? this.deps.config.smartClients.find((c) => c.clientId === id) : undefined;
      if (
        !client ||
        client.tokenEndpointAuthMethod !== 'client_secret_basic' ||
        !client.clientSecret ||
        secret === null ||
        !sameSecret(secret, client.clientSecret)
      )
        throw new OAuthError('invalid_client', 'Client authentication failed (HTTP Basic: unknown app or wrong secret).', 401, challenge);
      if (request.client_id && request.client_id !== client.clientId)
        throw new OAuthError('invalid_client', 'client_id differs from the authenticated app.', 401, challenge);
      return client;
    }
    if (request.client_assertion !== undefined || request.client_assertion_type !== undefined) return this.verifyClientAssertion(request, tokenUrl);
    if (!request.client_id) throw new OAuthError('invalid_request', 'client_id is required.');
    const client = this.deps.config.smartClients.find((c) => c.clientId === request.client_id);
    if (!client) throw new OAuthError('invalid_client', `No SMART app is registered as "${request.client_id}".`, 401);
    if ((client.tokenEndpointAuthMethod ?? 'none') !== 'none')
      throw new OAuthError(
        'invalid_client',
        `"${client.clientId}" is a confidential app: authenticate with ${client.tokenEndpointAuthMethod === 'private_key_jwt' ? 'a client assertion (private_key_jwt)' : 'HTTP Basic (client_secret_basic)'}.`,
        401,
        client.tokenEndpointAuthMethod === 'client_secret_basic' ? { 'www-authenticate': 'Basic realm="smart", charset="UTF-8"' } : {},
      );
    return client;
  }

  /** private_key_jwt (RFC 7523 §2.2, SMART asymmetric client authentication): a signed, single-use, short-lived assertion. */
  private async verifyClientAssertion(request: TokenRequest, tokenUrl: string): Promise<SmartClientConfig> {
    const fail = (why: string): never => {
      throw new OAuthError('invalid_client', `Client authentication failed: ${why}`, 401);
    };
    if (request.client_assertion_type !== JWT_BEARER) fail(`client_assertion_type must be ${JWT_BEARER}.`);
    if (!request.client_assertion) fail('client_assertion is missing.');
    let claimed: { iss?: unknown };
    try {
      claimed = decodeUnverified(request.client_assertion!) as { iss?: unknown };
    } catch {
      return fail('client_assertion is not a JWT.');
    }
    const client = typeof claimed.iss === 'string' ? this.deps.config.smartClients.find((c) => c.clientId === claimed.iss) : undefined;
    if (!client || client.tokenEndpointAuthMethod !== 'private_key_jwt' || !client.keys?.length)
      return fail('unknown app, or not registered for private_key_jwt.');
    if (request.client_id && request.client_id !== client.clientId) fail('client_id differs from the assertion’s issuer.');
    const keys = client.keys;
    let payload: { exp: number; jti?: unknown };
    try {
      const verify = createVerifier({
        key: async ({ header }: { header: { kid?: string; alg?: string } }) => {
          const key = keys.find((k) => (header.kid === undefined || k.kid === header.kid) && k.alg === header.alg);
          if (!key) throw new Error('no registered key matches kid and alg');
          return key.key.export({ type: 'spki', format: 'pem' }).toString();
        },
        algorithms: ['RS384', 'ES384'],
        allowedIss: client.clientId,
        allowedSub: client.clientId,
        allowedAud: tokenUrl,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_SKEW_S * 1000,
      });
      payload = (await verify(request.client_assertion!)) as { exp: number; jti?: unknown };
    } catch (err) {
      return fail(`the assertion is not valid (${(err as Error).message}).`);
    }
    const now = Math.floor(Date.now() / 1000);
    if (payload.exp > now + ASSERTION_MAX_LIFETIME_S + CLOCK_SKEW_S) fail('the assertion must expire within five minutes.');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 255) fail('jti must be a string.');
    // Single use: the jti is remembered until the assertion expires.
    await this.deps.db.deleteFrom('smart_client_assertions').where('expires_at', '<', new Date()).execute();
    const fresh = await this.deps.db
      .insertInto('smart_client_assertions')
      .values({ client_id: client.clientId, jti: payload.jti as string, expires_at: new Date((payload.exp + CLOCK_SKEW_S) * 1000) })
      .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
      .returning('jti')
      .executeTakeFirst();
    if (!fresh) fail('this assertion (jti) was already used.');
    return client;
  }

  /**
   * POST /oauth/token: an authorisation code and its PKCE verifier (single use), or a refresh
   * token (rotated: each is good once; a spent one presented again revokes its whole family, the
   * app session, RFC 9700 §4.14.2), for a FHIR-only access token.
   */
  async token(request: TokenRequest, base: string, client: { ip: string; userAgent: string | null }) {
    if (request.grant_type !== 'authorization_code' && request.grant_type !== 'refresh_token')
      throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token.');
    const app = await this.authenticateClient(request, `${base}/oauth/token`);
    if (request.grant_type === 'refresh_token') return this.refresh(request, app, base);
    for (const field of ['code', 'redirect_uri', 'code_verifier'] as const)
      if (!request[field]) throw new OAuthError('invalid_request', `${field} is required.`);
    const row = await this.deps.db.transaction().execute(async (trx) => {
      const found = await trx
        .selectFrom('smart_authorization_codes')
        .selectAll()
        .where('code_hash', '=', hashToken(request.code!))
        .forUpdate()
        .executeTakeFirst();
      if (found && found.used_at === null)
        await trx.updateTable('smart_authorization_codes').set({ used_at: new Date() }).where('code_hash', '=', found.code_hash).execute();
      return found;
    });
    if (!row || row.used_at !== null || row.expires_at.getTime() < Date.now())
      throw new OAuthError('invalid_grant', 'The authorisation code is unknown, expired or already used.');
    if (row.client_id !== app.clientId) throw new OAuthError('invalid_grant', 'The code was issued to another app.');
    if (row.redirect_uri !== request.redirect_uri) throw new OAuthError('invalid_grant', 'redirect_uri differs from the one the code was issued for.');
    const challenge = createHash('sha256').update(request.code_verifier!).digest('base64url');
    if (challenge !== row.code_challenge) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge (PKCE).');
    const scopes = row.scope.split(' ');
    const offline = scopes.includes('offline_access');
    const grant: Grant = { userId: row.user_id, clientId: row.client_id, scope: row.scope, patient: row.patient_id };
    const session = await this.deps.identity.startAppSession(
      row.user_id,
      { clientId: row.client_id, scope: row.scope, patient: row.patient_id },
      client,
      offline ? this.deps.config.refreshTokenTtlSeconds : undefined,
    );
    if (!session) throw new OAuthError('invalid_grant', 'The account that granted access is no longer active.');
    const refreshToken = offline
      ? await this.issueRefreshToken(session.sessionId, grant, new Date(Date.now() + this.deps.config.refreshTokenTtlSeconds * 1000))
      : null;
    return {
      access_token: session.accessToken,
      token_type: 'Bearer' as const,
      expires_in: session.expiresIn,
      scope: row.scope,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      ...(row.patient_id ? { patient: row.patient_id } : {}),
      ...(scopes.includes('openid') && scopes.includes('fhirUser') ? { id_token: this.idToken(row.user_id, session.role, row.client_id, base) } : {}),
    };
  }

  private async issueRefreshToken(sessionId: string, grant: Grant, expiresAt: Date): Promise<string> {
    const token = newOpaqueToken();
    await this.deps.db
      .insertInto('smart_refresh_tokens')
      .values({
        token_hash: hashToken(token),
        session_id: sessionId,
        user_id: grant.userId,
        client_id: grant.clientId,
        scope: grant.scope,
        patient_id: grant.patient,
        expires_at: expiresAt,
        used_at: null,
      })
      .execute();
    return token;
  }

  private async refresh(request: TokenRequest, app: SmartClientConfig, base: string) {
    if (!request.refresh_token) throw new OAuthError('invalid_request', 'refresh_token is required.');
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('smart_refresh_tokens')
        .selectAll()
        .where('token_hash', '=', hashToken(request.refresh_token!))
        .forUpdate()
        .executeTakeFirst();
      if (!row) return { error: 'The refresh token is unknown.' } as const;
      // Another app holding this app's token learns nothing and spends nothing.
      if (row.client_id !== app.clientId) return { error: 'The refresh token was issued to another app.' } as const;
      if (row.used_at) return { error: 'The refresh token was already used; every token of this grant is now revoked.', reuse: row } as const;
      if (row.expires_at.getTime() <= Date.now()) return { error: 'The refresh token has expired.' } as const;
      // RFC 6749 §6: a refresh may narrow the scope, never widen it; a refused request spends nothing.
      if (request.scope !== undefined) {
        const held = new Set(row.scope.split(' '));
        const asked = request.scope.split(/\s+/).filter(Boolean);
        if (asked.length === 0 || asked.some((s) => !held.has(s)))
          return { error: 'A refresh can only ask for scopes the grant already holds.', scope: true } as const;
      }
      await trx.updateTable('smart_refresh_tokens').set({ used_at: new Date() }).where('token_hash', '=', row.token_hash).execute();
      return { row } as const;
    });
    if (outcome.error !== undefined) {
      // Reuse of a rotated token: it leaked or was replayed, and we cannot tell the thief from the
      // app, so the family (the app session, and with it every access and refresh token) ends.
      if (outcome.reuse) await this.deps.identity.endAppSession(outcome.reuse.session_id, outcome.reuse.user_id, 'smart_refresh_token_reuse');
      throw new OAuthError(outcome.scope ? 'invalid_scope' : 'invalid_grant', outcome.error);
    }
    const row = outcome.row!;
    const scope = request.scope !== undefined ? request.scope.split(/\s+/).filter(Boolean).join(' ') : row.scope;
    const grant: Grant = { userId: row.user_id, clientId: row.client_id, scope: row.scope, patient: row.patient_id };
    const renewed = await this.deps.identity.renewAppSession(row.session_id, row.user_id, { clientId: row.client_id, scope, patient: row.patient_id });
    if (!renewed) throw new OAuthError('invalid_grant', 'The grant has ended (signed out, revoked or expired); the user must authorise the app again.');
    const refreshToken = await this.issueRefreshToken(
      row.session_id,
      grant,
      row.expires_at < renewed.sessionExpiresAt ? row.expires_at : renewed.sessionExpiresAt,
    );
    return {
      access_token: renewed.accessToken,
      token_type: 'Bearer' as const,
      expires_in: renewed.expiresIn,
      scope,
      refresh_token: refreshToken,
      ...(row.patient_id ? { patient: row.patient_id } : {}),
      ...(scope.split(' ').includes('openid') && scope.split(' ').includes('fhirUser')
        ? { id_token: this.idToken(row.user_id, renewed.role, row.client_id, base) }
        : {}),
    };
  }

  private idToken(userId: string, role: Role, clientId: string, base: string): string {
    const fhirUser = role === 'patient' ? `${base}/fhir/R4/Patient/${userId}` : role === 'doctor' ? `${base}/fhir/R4/Practitioner/${userId}` : undefined;
    return this.idTokenSigner({ iss: `${base}/fhir/R4`, sub: userId, aud: clientId, ...(fhirUser ? { fhirUser } : {}) });
  }
}

/** Constant-time comparison of a presented secret with the registered one (hashes first: equal lengths). */
function sameSecret(presented: string, registered: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(registered).digest();
  return timingSafeEqual(a, b);
}
