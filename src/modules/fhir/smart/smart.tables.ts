import type { Generated } from 'kysely';

export interface SmartAuthorizationCodesTable {
  code_hash: string;
  client_id: string;
  redirect_uri: string;
  user_id: string;
  scope: string;
  patient_id: string | null;
  code_challenge: string;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

declare module '../../../platform/database/schema.js' {
  interface Database {
    smart_authorization_codes: SmartAuthorizationCodesTable;
  }
}

export interface SmartRefreshTokensTable {
  token_hash: string;
  session_id: string;
  user_id: string;
  client_id: string;
  scope: string;
  patient_id: string | null;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface SmartLaunchesTable {
  launch_hash: string;
  client_id: string;
  user_id: string;
  patient_id: string | null;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface SmartClientAssertionsTable {
  client_id: string;
  jti: string;
  expires_at: Date;
}

declare module '../../../platform/database/schema.js' {
  interface Database {
    smart_refresh_tokens: SmartRefreshTokensTable;
    smart_launches: SmartLaunchesTable;
    smart_client_assertions: SmartClientAssertionsTable;
  }
}
