import type { Insertable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { KeysetPosition } from '../../platform/http/pagination.js';
import type { AuditAction, AuditLogTable } from './audit.tables.js';
import { afterPosition } from '../../platform/database/keyset.js';

export interface AuditFilter {
  patientId?: string;
  actorId?: string;
  resourceType?: string;
  resourceId?: string;
  action?: AuditAction;
  from?: Date;
  to?: Date;
  after: KeysetPosition | null;
  limit: number;
}

export class AuditRepository {
  async insert(db: Executor, rows: Insertable<AuditLogTable>[]): Promise<void> {
    if (rows.length === 0) return;
    await db
      .insertInto('audit_log')
      .values(rows.map((row) => ({ ...row, details: row.details === undefined || row.details === null ? null : JSON.stringify(row.details) })))
      .execute();
  }

  async list(db: Executor, filter: AuditFilter) {
    let query = db
      .selectFrom('audit_log as a')
      .leftJoin('users as u', 'u.id', 'a.actor_id')
      .select(['a.id', 'a.at', 'a.actor_id', 'a.actor_role', 'a.patient_id', 'a.resource_type', 'a.resource_id', 'a.action', 'a.ip', 'a.user_agent', 'a.request_id', 'u.full_name as actor_name']);
    if (filter.patientId) query = query.where('a.patient_id', '=', filter.patientId);
    if (filter.actorId) query = query.where('a.actor_id', '=', filter.actorId);
    if (filter.resourceType) query = query.where('a.resource_type', '=', filter.resourceType);
    if (filter.resourceId) query = query.where('a.resource_id', '=', filter.resourceId);
    if (filter.action) query = query.where('a.action', '=', filter.action);
    if (filter.from) query = query.where('a.at', '>=', filter.from);
    if (filter.to) query = query.where('a.at', '<', filter.to);
    if (filter.after) {
      const at = new Date(String(filter.after.v));
      const id = filter.after.id;
      query = query.where(afterPosition('a.at', 'a.id', true, at, id));
    }
    return query.orderBy('a.at', 'desc').orderBy('a.id', 'desc').limit(filter.limit + 1).execute();
  }
}
