import type { Insertable } from 'kysely';
import type { Actor } from '../../platform/access.js';
import type { Db, Executor } from '../../platform/database/index.js';
import { ForbiddenError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import type { RequestMeta } from '../../platform/http/request-meta.js';
import { iso } from '../../platform/http/schemas.js';
import type { AuditFilter, AuditRepository } from './audit.repository.js';
import type { AuditQuery } from './audit.schemas.js';
import type { AuditAction, AuditLogTable } from './audit.tables.js';
import { GroupCommit } from './group-commit.js';
import { parseTimeFilters } from '../../platform/http/time-filter.js';

export type { RequestMeta } from '../../platform/http/request-meta.js';

export interface AuditEvent {
  patientId: string | null;
  resourceType: string;
  resourceId: string | null;
  /**
   * A list read: the ids of this patient's resources the reply listed, in one row (instead of
   * one row per resource, which cost more than the read; docs/BENCHMARKS.md "Read paths").
   * GET /audit?resource_id=X finds the row by any of them.
   */
  resourceIds?: string[];
  action: AuditAction;
  details?: Record<string, unknown>;
}

/**
 * The events of a list read: one per patient, carrying the ids of that patient's listed
 * resources, in the order the patients first appear.
 */
export function listEvents<T>(
  items: readonly T[],
  resourceType: string,
  patientOf: (item: T) => string | null,
  idOf: (item: T) => string,
  details?: (patientId: string | null, ids: string[]) => Record<string, unknown>,
): AuditEvent[] {
  const byPatient = new Map<string | null, string[]>();
  for (const item of items) {
    const patientId = patientOf(item);
    const ids = byPatient.get(patientId);
    if (ids) ids.push(idOf(item));
    else byPatient.set(patientId, [idOf(item)]);
  }
  return [...byPatient].map(([patientId, ids]) => ({
    patientId,
    resourceType,
    resourceId: null,
    resourceIds: ids,
    action: 'list',
    ...(details && { details: details(patientId, ids) }),
  }));
}

/**
 * The PHI access log (docs/API.md §3): every read and write of patient data writes a row
 * with who, what, when and from where. Writes are audited in the same transaction as
 * the change; reads right after the data is loaded. Rows are append-only (a database
 * trigger refuses UPDATE/DELETE), and the API only ever reads them.
 */
export class AuditService {
  constructor(
    private readonly db: Db,
    private readonly repository: AuditRepository,
    /** The caller's account time zone, for plain dates in `from`/`to` (identity's lookups). */
    private readonly timeZoneOf: (userId: string) => Promise<string | null> = async () => null,
  ) {}

  /** Rows of reads outside a transaction, written together under load (see group-commit.ts). */
  private readonly reads = new GroupCommit<Insertable<AuditLogTable>>((rows) => this.repository.insert(this.db, rows));

  /** Resolves when every read's audit row handed in so far is stored (shutdown, see app.ts). */
  drain(): Promise<void> {
    return this.reads.drain();
  }

  /**
   * Inside a transaction (a write) the rows go into that transaction, so they commit or roll
   * back with the change; otherwise (a read) they join the next group commit. Either way the
   * promise settles once the rows are stored.
   */
  async record(db: Executor, meta: RequestMeta | null, events: AuditEvent[]): Promise<void> {
    const write = (rows: Insertable<AuditLogTable>[]) => (db === this.db && !db.isTransaction ? this.reads.add(rows) : this.repository.insert(db, rows));
    await write(
      events.map((event) => ({
        actor_id: meta?.actor.id ?? null,
        actor_role: meta?.actor.role ?? 'system',
        patient_id: event.patientId,
        resource_type: event.resourceType,
        resource_id: event.resourceId,
        resource_ids: event.resourceIds ?? null,
        action: event.action,
        ip: meta?.ip ?? null,
        user_agent: meta?.userAgent ?? null,
        request_id: meta?.requestId ?? null,
        details: event.details ?? null,
      })),
    );
  }

  /** Admins: everything, with filters. Patients: who accessed their own data. */
  async list(actor: Actor, query: AuditQuery) {
    const isAdmin = actor.role === 'admin';
    if (!isAdmin && actor.role !== 'patient') throw new ForbiddenError('The audit log is available to administrators, and to patients for their own record.');
    const limit = query.limit ?? 20;
    // Plain dates are days in `tz`, else the caller's account time zone (docs/API.md §0).
    const { from, to } = await parseTimeFilters({ from: { value: query.from, bound: 'start' }, to: { value: query.to, bound: 'end' } }, query.tz, () =>
      this.timeZoneOf(actor.id),
    );
    return this.page(isAdmin, {
      patientId: isAdmin ? query.patient_id : actor.id,
      actorId: query.actor_id,
      resourceType: query.resource_type,
      resourceId: query.resource_id,
      action: query.action,
      from,
      to,
      after: decodeCursor(query.cursor),
      limit,
    });
  }

  /**
   * A patient's own audit trail as they see it in GET /audit (who read or changed what of
   * their data, when; no addresses or request ids), whoever asks: the data export's
   * `audit_trail` section (identity's PatientExportService, src/modules/services.ts), which
   * must be the same document whether the patient or an admin downloads it. Newest first,
   * as GET /audit pages them.
   */
  async patientTrail(patientId: string, cursor: string | undefined, limit = 100) {
    return this.page(false, { patientId, after: decodeCursor(cursor), limit });
  }

  private async page(isAdmin: boolean, filter: AuditFilter) {
    const limit = filter.limit;
    const rows = await this.repository.list(this.db, filter);
    return toPage(
      rows,
      limit,
      (row) => iso(row.at),
      (row) => ({
        id: row.id,
        at: iso(row.at),
        actor: row.actor_id ? { id: row.actor_id, role: row.actor_role, full_name: row.actor_name ?? null } : null,
        patient_id: row.patient_id,
        resource_type: row.resource_type,
        resource_id: row.resource_id,
        resource_ids: row.resource_ids ?? null,
        action: row.action,
        ip: isAdmin ? row.ip : null,
        user_agent: isAdmin ? row.user_agent : null,
        request_id: isAdmin ? row.request_id : null,
      }),
    );
  }
}
