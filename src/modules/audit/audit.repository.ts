import { sql, type Insertable } from 'kysely';
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
  /**
   * One statement whatever the number of rows: the columns go as arrays through unnest(), so the
   * SQL text (and its prepared statement, platform/database/prepared.ts) is always the same and
   * a group commit of 300 rows costs one round trip and no per-row query building.
   */
  async insert(db: Executor, rows: Insertable<AuditLogTable>[]): Promise<void> {
    if (rows.length === 0) return;
    const n = rows.length;
    const actorId = new Array<string | null>(n);
    const actorRole = new Array<string>(n);
    const patientId = new Array<string | null>(n);
    const resourceType = new Array<string>(n);
    const resourceId = new Array<string | null>(n);
    const resourceIds = new Array<string | null>(n);
    const action = new Array<string>(n);
    const ip = new Array<string | null>(n);
    const userAgent = new Array<string | null>(n);
    const requestId = new Array<string | null>(n);
    const details = new Array<string | null>(n);
    for (let i = 0; i < n; i++) {
      const row = rows[i]!;
      actorId[i] = row.actor_id ?? null;
      actorRole[i] = row.actor_role;
      patientId[i] = row.patient_id ?? null;
      resourceType[i] = row.resource_type;
      resourceId[i] = row.resource_id ?? null;
      resourceIds[i] = row.resource_ids ? textArrayLiteral(row.resource_ids) : null;
      action[i] = row.action;
      ip[i] = row.ip ?? null;
      userAgent[i] = row.user_agent ?? null;
      requestId[i] = row.request_id ?? null;
      details[i] = row.details === undefined || row.details === null ? null : JSON.stringify(row.details);
    }
    await sql`
      insert into audit_log (actor_id, actor_role, patient_id, resource_type, resource_id, resource_ids, action, ip, user_agent, request_id, details)
      select actor_id, actor_role, patient_id, resource_type, resource_id, resource_ids::text[], action, ip, user_agent, request_id, details::jsonb
      from unnest(${actorId}::uuid[], ${actorRole}::text[], ${patientId}::uuid[], ${resourceType}::text[], ${resourceId}::text[], ${resourceIds}::text[],
                  ${action}::text[], ${ip}::text[], ${userAgent}::text[], ${requestId}::text[], ${details}::text[])
        as r (actor_id, actor_role, patient_id, resource_type, resource_id, resource_ids, action, ip, user_agent, request_id, details)`.execute(db);
  }

  async list(db: Executor, filter: AuditFilter) {
    let query = db
      .selectFrom('audit_log as a')
      .leftJoin('users as u', 'u.id', 'a.actor_id')
      .select([
        'a.id',
        'a.at',
        'a.actor_id',
        'a.actor_role',
        'a.patient_id',
        'a.resource_type',
        'a.resource_id',
        'a.resource_ids',
        'a.action',
        'a.ip',
        'a.user_agent',
        'a.request_id',
        'u.full_name as actor_name',
      ]);
    if (filter.patientId) query = query.where('a.patient_id', '=', filter.patientId);
    if (filter.actorId) query = query.where('a.actor_id', '=', filter.actorId);
    if (filter.resourceType) query = query.where('a.resource_type', '=', filter.resourceType);
    if (filter.resourceId) {
      // Its own rows, and the list reads that included it (indexes of migration 202612071800).
      const id = filter.resourceId;
      query = query.where((eb) => eb.or([eb('a.resource_id', '=', id), sql<boolean>`a.resource_ids @> array[${id}]::text[]`]));
    }
    if (filter.action) query = query.where('a.action', '=', filter.action);
    if (filter.from) query = query.where('a.at', '>=', filter.from);
    if (filter.to) query = query.where('a.at', '<', filter.to);
    if (filter.after) {
      const at = new Date(String(filter.after.v));
      const id = filter.after.id;
      query = query.where(afterPosition('a.at', 'a.id', true, at, id));
    }
    return query
      .orderBy('a.at', 'desc')
      .orderBy('a.id', 'desc')
      .limit(filter.limit + 1)
      .execute();
  }
}

/** PostgreSQL's array literal for text values: each element quoted, with `"` and backslash escaped. */
function textArrayLiteral(values: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    // Ids (the usual content) need no escaping: skip the regular expression for them.
    const safe = value.indexOf('"') === -1 && value.indexOf('\\') === -1;
    out += (i ? ',"' : '"') + (safe ? value : value.replace(/["\\]/g, '\\$&')) + '"';
  }
  return out + '}';
}
