import { ConfigError } from '../config.js';

import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/**
 * How an app authenticates at the token endpoint (SMART App Launch 2.0 "client authentication"):
 * a public app only by PKCE; a confidential app also by a shared secret in HTTP Basic
 * (`client-confidential-symmetric`) or by a JWT signed with its own key (`private_key_jwt`,
 * `client-confidential-asymmetric`, RS384 or ES384).
 */
type SmartClientAuth = 'none' | 'client_secret_basic' | 'private_key_jwt';

/** A public key of an app registered for private_key_jwt (from its inline JWKS). */
interface SmartClientKey {
  kid: string | undefined;
  alg: 'RS384' | 'ES384';
  key: KeyObject;
}

/**
 * A SMART on FHIR app allowed to ask for access (SMART_CLIENTS, docs/FHIR.md "SMART App Launch").
 * Every app proves its authorisation code with PKCE (S256); confidential apps authenticate too.
 */
export interface SmartClientConfig {
  clientId: string;
  name: string;
  /** Exact redirect URIs (https, or http on loopback for native and development apps: RFC 8252 §7.3). */
  redirectUris: string[];
  /** The most this app may be granted (space-separated SMART scopes); a request asking for more is cut down to it. */
  scope: string;
  /** Absent: a public app (`none`). */
  tokenEndpointAuthMethod?: SmartClientAuth;
  /** client_secret_basic: the shared secret (at least 32 characters). */
  clientSecret?: string | null;
  /** private_key_jwt: the app's public keys (an inline JWKS; RS384 / ES384). */
  keys?: SmartClientKey[];
  /** EHR launch: where the portal sends the browser with `iss` and `launch` (https, or http on loopback). */
  launchUri?: string | null;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function smartClientsConfig(env: Record<string, string | undefined>): SmartClientConfig[] {
  const raw = env.SMART_CLIENTS?.trim();
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('SMART_CLIENTS', 'must be a JSON array of {"client_id","name","redirect_uris":[…],"scope"}');
  }
  if (!Array.isArray(parsed)) throw new ConfigError('SMART_CLIENTS', 'must be a JSON array');
  const seen = new Set<string>();
  return parsed.map((entry: unknown, i) => {
    const item = (entry ?? {}) as Record<string, unknown>;
    const clientId = item.client_id;
    if (typeof clientId !== 'string' || !/^[A-Za-z0-9._-]{3,64}$/.test(clientId))
      throw new ConfigError('SMART_CLIENTS', `entry ${i}: client_id must be 3–64 letters, digits, dots, dashes or underscores`);
    if (seen.has(clientId)) throw new ConfigError('SMART_CLIENTS', `client_id "${clientId}" appears twice`);
    seen.add(clientId);
    const uris = item.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0) throw new ConfigError('SMART_CLIENTS', `${clientId}: redirect_uris must list at least one URL`);
    for (const uri of uris) checkUri(clientId, uri, 'redirect URIs');
    const launchUri = item.launch_uri === undefined ? null : checkUri(clientId, item.launch_uri, 'launch_uri');
    const scope = typeof item.scope === 'string' && item.scope.trim() ? item.scope.trim() : 'launch/patient openid fhirUser patient/*.rs user/*.rs';
    const method = item.token_endpoint_auth_method ?? 'none';
    if (method !== 'none' && method !== 'client_secret_basic' && method !== 'private_key_jwt')
      throw new ConfigError('SMART_CLIENTS', `${clientId}: token_endpoint_auth_method must be none, client_secret_basic or private_key_jwt`);
    let clientSecret: string | null = null;
    if (method === 'client_secret_basic') {
      if (typeof item.client_secret !== 'string' || item.client_secret.length < 32)
        throw new ConfigError('SMART_CLIENTS', `${clientId}: client_secret_basic needs a client_secret of at least 32 characters`);
      clientSecret = item.client_secret;
    } else if (item.client_secret !== undefined) {
      throw new ConfigError('SMART_CLIENTS', `${clientId}: client_secret is only for token_endpoint_auth_method client_secret_basic`);
    }
    const keys = method === 'private_key_jwt' ? parseJwks(clientId, item.jwks) : [];
    return {
      clientId,
      name: typeof item.name === 'string' && item.name.trim() ? item.name.trim() : clientId,
      redirectUris: uris.map(String),
      scope,
      tokenEndpointAuthMethod: method,
      clientSecret,
      keys,
      launchUri,
    };
  });
}

function checkUri(clientId: string, uri: unknown, what: string): string {
  let url: URL;
  try {
    url = new URL(String(uri));
  } catch {
    throw new ConfigError('SMART_CLIENTS', `${clientId}: "${String(uri)}" is not a URL`);
  }
  if (url.hash) throw new ConfigError('SMART_CLIENTS', `${clientId}: ${what} have no fragment ("${String(uri)}")`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
    throw new ConfigError('SMART_CLIENTS', `${clientId}: ${what} must use https (http only on loopback), got "${String(uri)}"`);
  return String(uri);
}

/** private_key_jwt: the app's JWKS inline (a jwks_uri would make the token endpoint fetch from the app's server on each request). */
function parseJwks(clientId: string, jwks: unknown): SmartClientKey[] {
  const list = (jwks as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError('SMART_CLIENTS', `${clientId}: private_key_jwt needs "jwks": {"keys": [ public JWKs ]}`);
  return list.map((jwk: JsonWebKey & { kid?: string; alg?: string; d?: string }) => {
    if (jwk.d !== undefined) throw new ConfigError('SMART_CLIENTS', `${clientId}: a JWK holds a private key ("d"); register public keys only`);
    const alg = jwk.alg ?? (jwk.kty === 'RSA' ? 'RS384' : jwk.kty === 'EC' && jwk.crv === 'P-384' ? 'ES384' : undefined);
    if (alg !== 'RS384' && alg !== 'ES384') throw new ConfigError('SMART_CLIENTS', `${clientId}: keys must be RS384 (RSA) or ES384 (EC P-384)`);
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      throw new ConfigError('SMART_CLIENTS', `${clientId}: a JWK in jwks is not a valid public key`);
    }
    return { kid: jwk.kid, alg, key };
  });
}
