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

declare module '../../platform/database/schema.js' {
  interface Database {
    users: UsersTable;
    auth_sessions: AuthSessionsTable;
    refresh_tokens: RefreshTokensTable;
    password_reset_tokens: PasswordResetTokensTable;
  }
}
