import { createHash, randomBytes } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { UnauthorizedError } from '../errors.js';

export type Role = 'patient' | 'doctor' | 'nurse' | 'admin';
export const ROLES: readonly Role[] = ['patient', 'doctor', 'nurse', 'admin'];

export interface AccessClaims {
  sub: string;
  /** Session id: logout and refresh-reuse revoke the session, which kills its access tokens. */
  sid: string;
  role: Role;
  iat: number;
  exp: number;
}

/**
 * Access tokens: HS256 JWTs. The verifier accepts HS256 only, so `alg: none` and
 * tokens signed with another algorithm or key are rejected.
 */
export class AccessTokens {
  private readonly signer: (payload: Record<string, unknown>) => string;
  private readonly verifier: (token: string) => AccessClaims;

  constructor(secret: string, readonly ttlSeconds: number) {
    this.signer = createSigner({ key: secret, algorithm: 'HS256', expiresIn: ttlSeconds * 1000, iss: 'carebridge', aud: 'carebridge-api' });
    this.verifier = createVerifier({
      key: secret,
      algorithms: ['HS256'],
      allowedIss: 'carebridge',
      allowedAud: 'carebridge-api',
      requiredClaims: ['sub', 'sid', 'role', 'exp'],
      cache: 1000,
    }) as (token: string) => AccessClaims;
  }

  sign(claims: { sub: string; sid: string; role: Role }): string {
    return this.signer(claims);
  }

  verify(token: string): AccessClaims {
    try {
      return this.verifier(token);
    } catch (err) {
      if (err instanceof TokenError && err.code === TokenError.codes.expired) {
        throw new UnauthorizedError('The access token has expired.');
      }
      throw new UnauthorizedError('The access token is invalid.');
    }
  }
}

/** Opaque random secret for refresh and reset tokens; only its hash is stored. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
