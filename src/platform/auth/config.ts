import { ConfigError } from '../config.js';
import { ROLES, type Role } from './tokens.js';

type Env = Record<string, string | undefined>;

/** One external OpenID provider (docs/API.md §1.1, README "Sign-in with Microsoft Entra ID"). */
export interface OidcProviderConfig {
  /** The path segment: /auth/oidc/{name}/login. Lower-case letters, digits, dashes. */
  name: string;
  /** Discovery base (`{issuer}/.well-known/openid-configuration`). */
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  redirectUri: string;
  scopes: string;
  /** Claim holding role names (Entra app roles: `roles`; groups: `groups`); null: everyone gets `patient`. */
  roleClaim: string | null;
  /** Claim value → our role. Unmapped values are ignored; nothing mapped means `patient`. */
  roleMap: Record<string, Role>;
  /** Link a first sign-in to an existing account with the same, provider-verified email (ASVS 6.8.1: off by default). */
  linkByEmail: boolean;
  /**
   * Treat the provider's `email` as verified even without `email_verified: true` (Entra ID
   * does not send that claim). Only for a directory you control (single-tenant Entra ID).
   */
  trustEmail: boolean;
  /** Create an account on a first sign-in that matches none (default true). */
  createAccounts: boolean;
  /** Entra multi-tenant: the `tid` values allowed (empty: any tenant). */
  tenants: string[];
}

export interface AuthConfig {
  /** Roles that must use a second factor at every sign-in (MFA_REQUIRED_ROLES). */
  mfaRequiredRoles: Role[];
  /** Prescribing, role changes and exports need a second factor this recent (STEP_UP_REQUIRED, STEP_UP_MAX_AGE_SECONDS). */
  stepUpRequired: boolean;
  stepUpMaxAgeSeconds: number;
  /** Shown in authenticator apps next to the account (TOTP_ISSUER). */
  totpIssuer: string;
  /** Lifetime of an mfa_token and of WebAuthn/OIDC round trips. */
  challengeTtlSeconds: number;
  webauthn: { rpId: string; rpName: string; origins: string[] };
  oidc: OidcProviderConfig[];
  /** Where the OIDC callback redirects a browser with the tokens in the fragment (OIDC_POST_LOGIN_URL). */
  postLoginUrl: string;
}

function str(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function checkUrl(name: string, raw: string, protocols = ['https:', 'http:']): string {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL ("${raw}")`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  return raw.replace(/\/$/, '');
}

function roleList(name: string, raw: string): Role[] {
  const list = raw
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  for (const role of list) if (!ROLES.includes(role as Role)) throw new ConfigError(name, `entries must be roles (${ROLES.join(', ')}), got "${role}"`);
  return list as Role[];
}

/**
 * An Entra ID issuer any directory can sign in through (`common`, `organizations`, `consumers`
 * or the `{tenantid}` template). In those, whoever administers *some* tenant sets its users'
 * `email` to anything, unverified.
 */
function isEntraMultiTenant(issuer: string): boolean {
  const url = new URL(issuer);
  const segment = decodeURIComponent(url.pathname.split('/')[1] ?? '').toLowerCase();
  return url.hostname === 'login.microsoftonline.com' && ['common', 'organizations', 'consumers', '{tenantid}'].includes(segment);
}

function providerFrom(name: string, source: string, raw: Record<string, unknown>): OidcProviderConfig {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name)) throw new ConfigError(source, `provider names must be lower-case letters, digits and dashes, got "${name}"`);
  const field = (key: string): string | null => {
    const value = raw[key];
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string') throw new ConfigError(source, `${name}.${key} must be a string`);
    return value.trim();
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const value = raw[key];
    if (value === undefined || value === null || value === '') return fallback;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && /^(1|true|yes|on)$/i.test(value)) return true;
    if (typeof value === 'string' && /^(0|false|no|off)$/i.test(value)) return false;
    throw new ConfigError(source, `${name}.${key} must be true or false`);
  };
  const issuer = field('issuer');
  const clientId = field('client_id');
  const redirectUri = field('redirect_uri');
  if (!issuer) throw new ConfigError(source, `${name}: issuer is required`);
  if (!clientId) throw new ConfigError(source, `${name}: client_id is required`);
  if (!redirectUri) throw new ConfigError(source, `${name}: redirect_uri is required`);
  let roleMap: Record<string, Role> = {};
  const rawMap = raw.role_map;
  if (typeof rawMap === 'string' && rawMap.trim()) {
    // OIDC_<NAME>_ROLE_MAP: "Clinic.Doctor=doctor,Clinic.Nurse=nurse"
    roleMap = Object.fromEntries<Role>(rawMap.split(',').map((pair) => pair.split('=').map((s) => s.trim()) as [string, Role]));
  } else if (rawMap && typeof rawMap === 'object') {
    roleMap = rawMap as Record<string, Role>;
  }
  for (const [claim, role] of Object.entries(roleMap)) {
    if (!claim || !ROLES.includes(role)) throw new ConfigError(source, `${name}.role_map entries must map a claim value to one of ${ROLES.join(', ')}`);
  }
  const tenantsRaw = raw.tenants;
  const tenants = Array.isArray(tenantsRaw)
    ? tenantsRaw.map(String)
    : typeof tenantsRaw === 'string'
      ? tenantsRaw
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : [];
  const issuerUrl = new URL(checkUrl(`${source} (${name}.issuer)`, issuer));
  if (issuerUrl.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(issuerUrl.hostname)) {
    throw new ConfigError(source, `${name}.issuer must use https (http only on loopback, for a local test provider)`);
  }
  const trustEmail = flag('trust_email', false);
  const linkByEmail = flag('link_by_email', false);
  // Review L8: trusting an unverified email from any tenant and linking by it would let the
  // admin of any Entra directory sign in as any CareBridge account (set a user's email to the victim's).
  if (trustEmail && linkByEmail && isEntraMultiTenant(issuer)) {
    throw new ConfigError(
      source === 'OIDC_PROVIDERS' ? 'OIDC_PROVIDERS' : source.replace(/\*$/, 'TRUST_EMAIL'),
      `${name}: trust_email with link_by_email is refused on a multi-tenant Entra ID issuer (${issuer}): any tenant's administrator sets its users' email, ` +
        'so any account could be taken over. Use your single-tenant issuer (https://login.microsoftonline.com/<your tenant id>/v2.0), or turn one of them off.',
    );
  }
  return {
    name,
    issuer: checkUrl(`${source} (${name}.issuer)`, issuer),
    clientId,
    clientSecret: field('client_secret'),
    redirectUri: checkUrl(`${source} (${name}.redirect_uri)`, redirectUri),
    scopes: field('scopes') ?? 'openid email profile',
    roleClaim: field('role_claim'),
    roleMap,
    linkByEmail,
    trustEmail,
    createAccounts: flag('create_accounts', true),
    tenants,
  };
}

/** OIDC_PROVIDERS (JSON object keyed by name) and/or OIDC_<NAME>_ISSUER, _CLIENT_ID, … */
function oidcProviders(env: Env): OidcProviderConfig[] {
  const providers = new Map<string, OidcProviderConfig>();
  const json = str(env, 'OIDC_PROVIDERS');
  if (json !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new ConfigError('OIDC_PROVIDERS', 'is not valid JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError('OIDC_PROVIDERS', 'must be a JSON object keyed by provider name');
    for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
      if (!raw || typeof raw !== 'object') throw new ConfigError('OIDC_PROVIDERS', `${name} must be an object`);
      providers.set(name, providerFrom(name, 'OIDC_PROVIDERS', raw as Record<string, unknown>));
    }
  }
  const fields = [
    'ISSUER',
    'CLIENT_ID',
    'CLIENT_SECRET',
    'REDIRECT_URI',
    'SCOPES',
    'ROLE_CLAIM',
    'ROLE_MAP',
    'LINK_BY_EMAIL',
    'TRUST_EMAIL',
    'CREATE_ACCOUNTS',
    'TENANTS',
  ];
  for (const key of Object.keys(env)) {
    const match = /^OIDC_([A-Z0-9_]+)_ISSUER$/.exec(key);
    if (!match?.[1] || key === 'OIDC_PROVIDERS') continue;
    const upper = match[1];
    const name = upper.toLowerCase().replace(/_/g, '-');
    const raw = Object.fromEntries(fields.map((f) => [f.toLowerCase(), env[`OIDC_${upper}_${f}`]]));
    providers.set(name, providerFrom(name, `OIDC_${upper}_*`, raw));
  }
  return [...providers.values()];
}

export function authConfig(env: Env, publicBaseUrl: string): AuthConfig {
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = str(env, name);
    if (raw === null) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  };
  const maxAge = str(env, 'STEP_UP_MAX_AGE_SECONDS');
  if (maxAge !== null && (!/^\d+$/.test(maxAge) || Number(maxAge) < 60 || Number(maxAge) > 3600)) {
    throw new ConfigError('STEP_UP_MAX_AGE_SECONDS', `must be a whole number between 60 and 3600, got "${maxAge}"`);
  }
  const base = new URL(publicBaseUrl);
  const origins = (str(env, 'WEBAUTHN_ORIGINS') ?? base.origin).split(',').map((o) => checkUrl('WEBAUTHN_ORIGINS', o.trim()));
  const rpId = str(env, 'WEBAUTHN_RP_ID') ?? base.hostname;
  if (!/^[a-z0-9.-]+$/i.test(rpId)) throw new ConfigError('WEBAUTHN_RP_ID', `must be a host name, got "${rpId}"`);
  return {
    mfaRequiredRoles: roleList('MFA_REQUIRED_ROLES', env.MFA_REQUIRED_ROLES ?? 'admin'),
    stepUpRequired: bool('STEP_UP_REQUIRED', true),
    stepUpMaxAgeSeconds: maxAge === null ? 600 : Number(maxAge),
    totpIssuer: str(env, 'TOTP_ISSUER') ?? 'CareBridge',
    challengeTtlSeconds: 300,
    webauthn: { rpId, rpName: str(env, 'WEBAUTHN_RP_NAME') ?? 'CareBridge', origins },
    oidc: oidcProviders(env),
    postLoginUrl: checkUrl('OIDC_POST_LOGIN_URL', str(env, 'OIDC_POST_LOGIN_URL') ?? `${publicBaseUrl.replace(/\/$/, '')}/`),
  };
}
