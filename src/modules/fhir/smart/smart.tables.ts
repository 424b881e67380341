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
