import { createHash, createPublicKey, randomBytes, type JsonWebKey } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { UnauthorizedError } from '../errors.js';

export type Role = 'patient' | 'doctor' | 'nurse' | 'admin';
export const ROLES: readonly Role[] = ['patient', 'doctor', 'nurse', 'admin'];

export interface AccessClaims {
  sub: string;
  /** Session id: logout and refresh-reuse revoke the session, which kills its access tokens. */
  sid: string;
  role: Role;
  /** How the session was authenticated (RFC 8176: `pwd`, `otp`, `hwk`, `mfa`, `fed`, …). */
  amr?: string[];
  /** When the user last proved a factor (seconds since the epoch), for step-up (docs/API.md §1.1). */
  auth_time?: number;
  /** Set only on tokens issued to a SMART app (src/modules/fhir/smart): what the user granted it. */
  scope?: string;
  /** The SMART app's client id. */
  client_id?: string;
  /** SMART launch context: the patient the grant is about. */
  patient?: string;
  iat: number;
  exp: number;
}

/** `amr` values that count as a second factor for step-up. */
export const STRONG_AMR = ['otp', 'hwk', 'mfa'] as const;

export interface SigningKeys {
  algorithm: 'RS256' | 'ES256' | 'EdDSA';
  privateKeyPem: string;
  publicKeyPem: string;
  kid: string;
}

/**
 * Access tokens: HS256 JWTs with JWT_SECRET, or RS256/ES256/EdDSA when a private key is
 * configured (then the public half is served as a JWKS for other services). The verifier
 * accepts exactly the configured algorithm, so `alg: none` and tokens signed with another
 * algorithm or key are rejected.
 */
export class AccessTokens {
  private readonly signer: (payload: Record<string, unknown>) => string;
  private readonly verifier: (token: string) => AccessClaims;
  /**
   * Tokens already verified, by their exact text, until they expire (oldest dropped first).
   * fast-jwt's own cache keys its entries by a SHA-256 of the token, and that hash was 7 % of
   * the CPU of `GET /auth/me` (docs/BENCHMARKS.md, "Read paths"); a Map keyed by the string
   * costs a lookup. Only successes are kept; a session's revocation is checked elsewhere on
   * every request (src/platform/http/auth.ts), as it was with fast-jwt's cache.
   */
  private readonly verified = new Map<string, Readonly<AccessClaims>>();
  /** Public keys to publish at /.well-known/jwks.json (none for a shared secret). */
  readonly jwks: { keys: (JsonWebKey & { kid: string; alg: string; use: 'sig' })[] };

  constructor(
    secret: string,
    readonly ttlSeconds: number,
    keys: SigningKeys | null = null,
  ) {
    const algorithm = keys?.algorithm ?? 'HS256';
    this.signer = createSigner({
      key: keys?.privateKeyPem ?? secret,
      algorithm,
      kid: keys?.kid,
      expiresIn: ttlSeconds * 1000,
      iss: 'carebridge',
      aud: 'carebridge-api',
    });
    this.jwks = { keys: keys ? [{ ...createPublicKey(keys.publicKeyPem).export({ format: 'jwk' }), kid: keys.kid, alg: algorithm, use: 'sig' }] : [] };
    this.verifier = createVerifier({
      key: keys?.publicKeyPem ?? secret,
      algorithms: [algorithm],
      allowedIss: 'carebridge',
      allowedAud: 'carebridge-api',
      requiredClaims: ['sub', 'sid', 'role', 'exp'],
    }) as (token: string) => AccessClaims;
  }

  sign(claims: { sub: string; sid: string; role: Role; amr?: string[]; auth_time?: number; scope?: string; client_id?: string; patient?: string }): string {
    return this.signer(claims);
  }

  verify(token: string): AccessClaims {
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.exp * 1000 > Date.now()) return cached;
      this.verified.delete(token);
    }
    try {
      const claims = Object.freeze(this.verifier(token));
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
      return claims;
    } catch (err) {
      if (err instanceof TokenError && err.code === TokenError.codes.expired) {
        throw new UnauthorizedError('The access token has expired.');
      }
      throw new UnauthorizedError('The access token is invalid.');
    }
  }
}

const VERIFIED_CACHE_SIZE = 1000;

/** Opaque random secret for refresh and reset tokens; only its hash is stored. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
