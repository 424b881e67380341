import type { Generated } from 'kysely';
import type { Role } from '../../platform/auth/tokens.js';

export type UserStatus = 'active' | 'pending' | 'deactivated' | 'deleted';

export interface UsersTable {
  id: Generated<string>;
  /** Stored lower-cased: emails are case-insensitive (docs/API.md §1). */
  email: string;
  username: string | null;
  password_hash: string;
  full_name: string;
  phone: string | null;
  time_zone: Generated<string>;
  role: Role;
  status: UserStatus;
  approved_at: Date | null;
  approved_by: string | null;
  password_changed_at: Generated<Date>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}

/** A sign-in: one refresh-token family. Revoking it ends its access tokens too. */
export interface AuthSessionsTable {
  id: Generated<string>;
  user_id: string;
  created_at: Generated<Date>;
  last_refreshed_at: Date | null;
  expires_at: Date;
  revoked_at: Date | null;
  revoke_reason: string | null;
  ip: string | null;
  user_agent: string | null;
  /** How the session was authenticated: space-separated RFC 8176 `amr` values (`pwd otp`). */
  amr: Generated<string>;
  /** When the user last proved a factor in this session (sign-in or step-up). */
  auth_time: Generated<Date>;
}

export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
}

export interface PasswordResetTokensTable {
  token_hash: string;
  user_id: string;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
}

export interface MfaTotpTable {
  user_id: string;
  /** AES-256-GCM of the base32 secret (docs/SECURITY.md, "Second factors"). */
  secret_enc: string;
  confirmed_at: Date | null;
  /** The last 30-second step accepted: a code is good once (ASVS 6.5.1). */
  last_used_step: number | null;
  created_at: Generated<Date>;
}

export interface MfaRecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  /** SHA-256 of a 120-bit random code (ASVS 6.5.2 allows a plain hash at ≥ 112 bits). */
  code_hash: string;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface WebauthnCredentialsTable {
  id: Generated<string>;
  user_id: string;
  /** base64url credential id, as the authenticator reports it. */
  credential_id: string;
  /** base64url COSE public key. */
  public_key: string;
  counter: number;
  transports: string | null;
  name: string;
  created_at: Generated<Date>;
  last_used_at: Date | null;
}

export type ChallengeKind = 'mfa' | 'webauthn_register' | 'webauthn_login' | 'oidc';

export interface AuthChallengesTable {
  token_hash: string;
  kind: ChallengeKind;
  user_id: string | null;
  /** JSON: what the round trip must remember (challenge, nonce, PKCE verifier, amr so far). */
  payload: Generated<string>;
  attempts: Generated<number>;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface ExternalIdentitiesTable {
  provider: string;
  subject: string;
  user_id: string;
  email: string | null;
  created_at: Generated<Date>;
  last_login_at: Date | null;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    users: UsersTable;
    auth_sessions: AuthSessionsTable;
    refresh_tokens: RefreshTokensTable;
    password_reset_tokens: PasswordResetTokensTable;
    mfa_totp: MfaTotpTable;
    mfa_recovery_codes: MfaRecoveryCodesTable;
    webauthn_credentials: WebauthnCredentialsTable;
    auth_challenges: AuthChallengesTable;
    external_identities: ExternalIdentitiesTable;
  }
}
