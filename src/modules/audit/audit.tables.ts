import type { Generated } from 'kysely';
import type { Role } from '../../platform/auth/tokens.js';

export type AuditAction = 'read' | 'list' | 'create' | 'update' | 'delete' | 'upload' | 'download' | 'status_change' | 'grant' | 'revoke' | 'consent';

/** One access to patient data. Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE. */
export interface AuditLogTable {
  id: Generated<string>;
  at: Generated<Date>;
  actor_id: string | null;
  actor_role: Role | 'system';
  patient_id: string | null;
  resource_type: string;
  resource_id: string | null;
  /** A list read: every listed resource of this patient (resource_id is then null). */
  resource_ids: string[] | null;
  action: AuditAction;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: unknown | null;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    audit_log: AuditLogTable;
  }
}
