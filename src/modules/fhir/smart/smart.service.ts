import { createHash } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import type { SmartClientConfig } from '../../../platform/auth/smart-config.js';
import { hashToken, newOpaqueToken, type Role } from '../../../platform/auth/tokens.js';
import type { Config } from '../../../platform/config.js';
import type { Actor } from '../../../platform/access.js';
import type { Db } from '../../../platform/database/index.js';
import { BadRequestError, ForbiddenError } from '../../../platform/errors.js';
import type { IdentityService } from '../../identity/index.js';
import { CONTEXT_SCOPES, grantScopes } from './scopes.js';
import './smart.tables.js';

/** A code is redeemed by the app straight after the redirect; a minute is plenty (RFC 6749 §4.1.2 recommends ≤ 10). */
const CODE_TTL_MS = 60_000;

export interface AuthorizeRequest {
  response_type: string;
  client_id: string;
  redirect_uri: string;
  scope: string;
  state: string;
  aud: string;
  code_challenge: string;
  code_challenge_method: string;
}

export interface TokenRequest {
  grant_type?: string;
  code?: string;
  redirect_uri?: string;
  client_id?: string;
  code_verifier?: string;
}

/** An RFC 6749 §5.2 error of the token endpoint: the reply carries `error` beside the problem fields. */
export class OAuthError extends BadRequestError {
  constructor(
    readonly oauthError: 'invalid_request' | 'invalid_grant' | 'invalid_client' | 'unsupported_grant_type',
    detail: string,
  ) {
    super(detail);
  }
}

export interface SmartDeps {
  db: Db;
  config: Pick<Config, 'smartClients' | 'jwtSecret' | 'jwtKeys' | 'accessTokenTtlSeconds'>;
  identity: Pick<IdentityService, 'startAppSession'>;
}

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
      grant_types_supported: ['authorization_code'],
      token_endpoint_auth_methods_supported: ['none'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: [...CONTEXT_SCOPES, 'patient/*.rs', 'patient/*.cruds', 'user/*.rs', 'user/*.cruds', 'patient/*.read', 'user/*.read'],
      capabilities: [
        'launch-standalone',
        'client-public',
        'context-standalone-patient',
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
  private check(
    actor: Actor,
    request: AuthorizeRequest,
    base: string,
  ): { client: SmartClientConfig; scopes: string[] } | { client: SmartClientConfig; error: string; description: string } {
    if (actor.app) throw new ForbiddenError('An app cannot authorise another app.');
    const client = this.client(request.client_id);
    if (!client.redirectUris.includes(request.redirect_uri))
      throw new BadRequestError(`redirect_uri is not one registered for "${client.clientId}"; the user is not sent there.`);
    if (request.response_type !== 'code') return { client, error: 'unsupported_response_type', description: 'Only response_type=code is supported.' };
    if (request.code_challenge_method !== 'S256' || !/^[A-Za-z0-9_-]{43,128}$/.test(request.code_challenge))
      return { client, error: 'invalid_request', description: 'PKCE is required: code_challenge (base64url SHA-256) with code_challenge_method=S256.' };
    if (request.aud.replace(/\/$/, '') !== `${base}/fhir/R4`)
      return { client, error: 'invalid_request', description: `aud must be this server's FHIR base, ${base}/fhir/R4.` };
    const scopes = grantScopes(request.scope, client.scope, actor.role);
    if (!scopes.some((s) => s.includes('/') && s !== 'launch/patient'))
      return { client, error: 'invalid_scope', description: 'None of the requested resource scopes can be granted to this user for this app.' };
    return { client, scopes };
  }

  /** What the consent page shows: the app and exactly what it would be granted. */
  preview(actor: Actor, request: AuthorizeRequest, base: string) {
    const checked = this.check(actor, request, base);
    return {
      client_id: checked.client.clientId,
      client_name: checked.client.name,
      scopes: 'scopes' in checked ? checked.scopes : [],
      patient: 'scopes' in checked && checked.scopes.includes('launch/patient') ? actor.id : null,
      error: 'error' in checked ? checked.error : null,
      error_description: 'error' in checked ? checked.description : null,
    };
  }

  /** The user's decision: where to send the browser (the app's redirect URI with a code or an error). */
  async authorize(actor: Actor, request: AuthorizeRequest, approve: boolean, base: string): Promise<{ redirect_to: string }> {
    const checked = this.check(actor, request, base);
    const target = new URL(request.redirect_uri);
    if (request.state) target.searchParams.set('state', request.state);
    if ('error' in checked || !approve) {
      target.searchParams.set('error', 'error' in checked ? checked.error : 'access_denied');
      target.searchParams.set('error_description', 'error' in checked ? checked.description : 'The user did not allow access.');
      return { redirect_to: target.toString() };
    }
    const code = newOpaqueToken();
    await this.deps.db
      .insertInto('smart_authorization_codes')
      .values({
        code_hash: hashToken(code),
        client_id: checked.client.clientId,
        redirect_uri: request.redirect_uri,
        user_id: actor.id,
        scope: checked.scopes.join(' '),
        patient_id: checked.scopes.includes('launch/patient') ? actor.id : null,
        code_challenge: request.code_challenge,
        expires_at: new Date(Date.now() + CODE_TTL_MS),
        used_at: null,
      })
      .execute();
    target.searchParams.set('code', code);
    return { redirect_to: target.toString() };
  }

  /** POST /oauth/token: a code and its PKCE verifier for a FHIR-only access token (single use). */
  async token(request: TokenRequest, base: string, client: { ip: string; userAgent: string | null }) {
    if (request.grant_type !== 'authorization_code') throw new OAuthError('unsupported_grant_type', 'Only grant_type=authorization_code is supported.');
    for (const field of ['code', 'redirect_uri', 'client_id', 'code_verifier'] as const)
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
    if (row.client_id !== request.client_id) throw new OAuthError('invalid_grant', 'The code was issued to another app.');
    if (row.redirect_uri !== request.redirect_uri) throw new OAuthError('invalid_grant', 'redirect_uri differs from the one the code was issued for.');
    const challenge = createHash('sha256').update(request.code_verifier!).digest('base64url');
    if (challenge !== row.code_challenge) throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge (PKCE).');
    const session = await this.deps.identity.startAppSession(row.user_id, { clientId: row.client_id, scope: row.scope, patient: row.patient_id }, client);
    if (!session) throw new OAuthError('invalid_grant', 'The account that granted access is no longer active.');
    const scopes = row.scope.split(' ');
    return {
      access_token: session.accessToken,
      token_type: 'Bearer' as const,
      expires_in: session.expiresIn,
      scope: row.scope,
      ...(row.patient_id ? { patient: row.patient_id } : {}),
      ...(scopes.includes('openid') && scopes.includes('fhirUser') ? { id_token: this.idToken(row.user_id, session.role, row.client_id, base) } : {}),
    };
  }

  private idToken(userId: string, role: Role, clientId: string, base: string): string {
    const fhirUser = role === 'patient' ? `${base}/fhir/R4/Patient/${userId}` : role === 'doctor' ? `${base}/fhir/R4/Practitioner/${userId}` : undefined;
    return this.idTokenSigner({ iss: `${base}/fhir/R4`, sub: userId, aud: clientId, ...(fhirUser ? { fhirUser } : {}) });
  }
}
