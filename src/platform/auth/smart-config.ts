import { ConfigError } from '../config.js';

/**
 * A SMART on FHIR app allowed to ask for access (SMART_CLIENTS, docs/FHIR.md "SMART App Launch").
 * Only public clients: they prove the authorisation code with PKCE (S256), never a secret.
 */
export interface SmartClientConfig {
  clientId: string;
  name: string;
  /** Exact redirect URIs (https, or http on loopback for native and development apps: RFC 8252 §7.3). */
  redirectUris: string[];
  /** The most this app may be granted (space-separated SMART scopes); a request asking for more is cut down to it. */
  scope: string;
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
    for (const uri of uris) {
      let url: URL;
      try {
        url = new URL(String(uri));
      } catch {
        throw new ConfigError('SMART_CLIENTS', `${clientId}: "${String(uri)}" is not a URL`);
      }
      if (url.hash) throw new ConfigError('SMART_CLIENTS', `${clientId}: a redirect URI has no fragment ("${String(uri)}")`);
      if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))
        throw new ConfigError('SMART_CLIENTS', `${clientId}: redirect URIs must use https (http only on loopback), got "${String(uri)}"`);
    }
    const scope = typeof item.scope === 'string' && item.scope.trim() ? item.scope.trim() : 'launch/patient openid fhirUser patient/*.rs user/*.rs';
    return { clientId, name: typeof item.name === 'string' && item.name.trim() ? item.name.trim() : clientId, redirectUris: uris.map(String), scope };
  });
}
