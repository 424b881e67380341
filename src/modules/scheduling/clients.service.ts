import type { Db, Executor } from '../../platform/database/index.js';
import { isUniqueViolation } from '../../platform/database/index.js';
import type { Actor } from '../../platform/access.js';
import { listEvents, type AuditEvent, type AuditService, type RequestMeta } from '../audit/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { ClientRow, ClientsRepository } from './clients.repository.js';
import type { ProfilesRepository } from './profiles.repository.js';
import type { ClientDto, ClientLinkDto, ClientListQuery, CreateClientBody, UpdateClientBody } from './scheduling.schemas.js';

export function toClientDto(row: ClientRow): ClientDto {
  return {
    id: row.id,
    first_name: row.first_name,
    last_name: row.last_name,
    full_name: `${row.first_name} ${row.last_name}`,
    email: row.email,
    phone: row.phone,
    date_of_birth: row.date_of_birth,
    sex: row.sex,
    address: row.address,
    medical_history: row.medical_history,
    notes: row.notes,
    assigned_doctor_id: row.assigned_doctor_id,
    user_id: row.user_id,
    user_link_status: row.user_link_status,
    created_by: row.created_by,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** The care relationship a client record creates, if any: an active link to a patient account and an assigned doctor. */
type CareLink = { doctorId: string; patientId: string } | null;

function careLinkOf(row: ClientRow | null): CareLink {
  if (!row || row.deleted_at || row.user_link_status !== 'active' || !row.user_id || !row.assigned_doctor_id) return null;
  return { doctorId: row.assigned_doctor_id, patientId: row.user_id };
}

/** Audit rows for a change of care relationship caused by a client record (revocation first, then the grant). */
export function careChangeEvents(before: CareLink, after: CareLink, clientId: string): AuditEvent[] {
  if (before?.doctorId === after?.doctorId && before?.patientId === after?.patientId) return [];
  const events: AuditEvent[] = [];
  if (before)
    events.push({
      patientId: before.patientId,
      resourceType: 'care_relationship',
      resourceId: before.doctorId,
      action: 'revoke',
      details: { cause: 'client_assignment', client_id: clientId },
    });
  if (after)
    events.push({
      patientId: after.patientId,
      resourceType: 'care_relationship',
      resourceId: after.doctorId,
      action: 'grant',
      details: { cause: 'client_assignment', client_id: clientId },
    });
  return events;
}

/**
 * Clinic-managed patient records (seed 003). Doctors see and manage only the clients
 * assigned to them (others are 404); nurses and admins see all.
 *
 * Linking a record to a patient account (issue 11): a record that names a patient account
 * and an assigned doctor gives that doctor access to the patient's data, so the link is
 * only `active` when an admin made it or the patient accepted it
 * (`POST /patients/me/client-links/{id}/accept`); otherwise it is `pending` and opens
 * nothing. Every read and write is audited; every grant and revocation of the care
 * relationship it causes is audited in the same transaction as the change.
 */
export class ClientsService {
  constructor(
    private readonly db: Db,
    private readonly clients: ClientsRepository,
    private readonly profiles: ProfilesRepository,
    private readonly audit: AuditService,
  ) {}

  private async visible(db: Executor, actor: Actor, id: string): Promise<ClientRow> {
    const row = await this.clients.findLive(db, id);
    if (!row || (actor.role === 'doctor' && row.assigned_doctor_id !== actor.id)) throw new NotFoundError('Client');
    return row;
  }

  private async checkLinks(actor: Actor, body: { assigned_doctor_id?: string | null; user_id?: string | null; date_of_birth?: string | null }): Promise<void> {
    if (actor.role === 'doctor' && body.assigned_doctor_id !== undefined && body.assigned_doctor_id !== actor.id) {
      throw new ValidationError('Doctors manage only their own clients; assigned_doctor_id must be you.', [
        { path: '/assigned_doctor_id', message: 'must be your own id' },
      ]);
    }
    if (body.assigned_doctor_id) {
      const doctor = await this.profiles.userRoleStatus(this.db, body.assigned_doctor_id);
      if (!doctor || doctor.role !== 'doctor' || doctor.status !== 'active')
        throw new ValidationError('assigned_doctor_id is not an active doctor.', [{ path: '/assigned_doctor_id', message: 'not an active doctor' }]);
    }
    if (body.user_id) {
      const user = await this.profiles.userRoleStatus(this.db, body.user_id);
      if (!user || user.role !== 'patient')
        throw new ValidationError('user_id is not a patient account.', [{ path: '/user_id', message: 'not a patient account' }]);
    }
    if (body.date_of_birth && body.date_of_birth > new Date().toISOString().slice(0, 10)) {
      throw new ValidationError('date_of_birth is in the future.', [{ path: '/date_of_birth', message: 'must not be in the future' }]);
    }
  }

  /** The link columns for a record that now names `userId`: active only when an admin links. */
  private linkValues(actor: Actor, userId: string | null) {
    if (!userId) return { user_id: null, user_link_status: null, user_linked_by: null, user_link_confirmed_at: null };
    const byAdmin = actor.role === 'admin';
    return {
      user_id: userId,
      user_link_status: byAdmin ? ('active' as const) : ('pending' as const),
      user_linked_by: actor.id,
      user_link_confirmed_at: byAdmin ? new Date() : null,
    };
  }

  /**
   * Only an active link is unique per account (migration 202612072320): a pending link never
   * conflicts, so a doctor or nurse proposing one gets the same answer whether or not the
   * account is linked elsewhere. The 409 reaches only callers who may see every link to the
   * account: an admin (their links are active at once) and the patient accepting their own.
   */
  private async mapUnique<T>(run: () => Promise<T>, detail = 'That patient account is already actively linked to another client record.'): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (isUniqueViolation(err, 'clients_user_active_unique')) throw new ConflictError(detail, 'client-user-linked');
      throw err;
    }
  }

  private event(row: ClientRow, action: AuditEvent['action'], details?: Record<string, unknown>): AuditEvent {
    return { patientId: row.user_id, resourceType: 'client', resourceId: row.id, action, ...(details && { details }) };
  }

  async create(meta: RequestMeta, body: CreateClientBody): Promise<ClientDto> {
    const { actor } = meta;
    await this.checkLinks(actor, body);
    const assigned = actor.role === 'doctor' ? actor.id : (body.assigned_doctor_id ?? null);
    const row = await this.mapUnique(() =>
      this.db.transaction().execute(async (trx) => {
        const created = await this.clients.insert(trx, {
          ...body,
          email: body.email?.toLowerCase() ?? null,
          assigned_doctor_id: assigned,
          ...this.linkValues(actor, body.user_id ?? null),
          created_by: actor.id,
        });
        await this.audit.record(trx, meta, [this.event(created, 'create'), ...careChangeEvents(null, careLinkOf(created), created.id)]);
        return created;
      }),
    );
    return toClientDto(row);
  }

  async get(meta: RequestMeta, id: string): Promise<ClientDto> {
    const row = await this.visible(this.db, meta.actor, id);
    await this.audit.record(this.db, meta, [this.event(row, 'read')]);
    return toClientDto(row);
  }

  async update(meta: RequestMeta, id: string, body: UpdateClientBody): Promise<ClientDto> {
    const { actor } = meta;
    await this.checkLinks(actor, body);
    const updated = await this.mapUnique(() =>
      this.db.transaction().execute(async (trx) => {
        const row = await this.visible(trx, actor, id);
        const values: Parameters<ClientsRepository['update']>[2] = { ...body, ...(body.email && { email: body.email.toLowerCase() }) };
        if (body.user_id !== undefined && body.user_id !== row.user_id) Object.assign(values, this.linkValues(actor, body.user_id));
        else if (body.user_id && actor.role === 'admin' && row.user_link_status === 'pending') Object.assign(values, this.linkValues(actor, body.user_id));
        const after = await this.clients.update(trx, row.id, values);
        await this.audit.record(trx, meta, [
          this.event(after, 'update', { fields: Object.keys(body).sort() }),
          ...careChangeEvents(careLinkOf(row), careLinkOf(after), row.id),
        ]);
        return after;
      }),
    );
    return toClientDto(updated);
  }

  /** Soft delete: the record disappears from the clinic's lists; the history is retained; the care link it caused ends. */
  async remove(meta: RequestMeta, id: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.visible(trx, meta.actor, id);
      await this.clients.softDelete(trx, row.id);
      await this.audit.record(trx, meta, [this.event(row, 'delete'), ...careChangeEvents(careLinkOf(row), null, row.id)]);
    });
  }

  async list(meta: RequestMeta, query: ClientListQuery) {
    const { actor } = meta;
    const limit = query.limit ?? 20;
    const sort = query.sort ?? '-created_at';
    if (actor.role === 'doctor' && query.assigned_doctor_id && query.assigned_doctor_id !== actor.id) return { items: [], next_cursor: null };
    const rows = await this.clients.list(this.db, {
      q: query.q,
      assignedDoctorId: actor.role === 'doctor' ? actor.id : query.assigned_doctor_id,
      sort,
      after: decodeCursor(query.cursor),
      limit,
    });
    // One audit row per linked patient (and one for unlinked clients), with the listed ids (audit/index.ts).
    await this.audit.record(
      this.db,
      meta,
      listEvents(
        rows.slice(0, limit),
        'client',
        (row) => row.user_id,
        (row) => row.id,
      ),
    );
    const column = sort.replace('-', '');
    return toPage(rows, limit, (row) => (column === 'created_at' ? row.created_at.toISOString() : row.last_name), toClientDto);
  }

  // ---- the patient's side of the link ----

  /** The clinic records that name the caller's account, pending or active. */
  async linksOf(meta: RequestMeta): Promise<{ items: ClientLinkDto[] }> {
    const rows = await this.clients.linksOfUser(this.db, meta.actor.id);
    await this.audit.record(
      this.db,
      meta,
      listEvents(
        rows,
        'client',
        () => meta.actor.id,
        (r) => r.id,
      ),
    );
    return {
      items: rows.map((r) => ({
        client_id: r.id,
        status: r.user_link_status ?? 'pending',
        full_name: `${r.first_name} ${r.last_name}`,
        assigned_doctor: r.assigned_doctor_id ? { id: r.assigned_doctor_id, full_name: r.doctor_name ?? '' } : null,
        requested_by: r.user_linked_by ? { id: r.user_linked_by, full_name: r.requester_name ?? '', role: r.requester_role ?? 'unknown' } : null,
        requested_at: iso(r.updated_at),
        confirmed_at: r.user_link_confirmed_at ? iso(r.user_link_confirmed_at) : null,
      })),
    };
  }

  /** The patient accepts a clinic record as theirs: the assigned doctor gains access (audited). */
  async acceptLink(meta: RequestMeta, clientId: string): Promise<void> {
    await this.mapUnique(
      () =>
        this.db.transaction().execute(async (trx) => {
          const row = await this.clients.findLiveOfUser(trx, clientId, meta.actor.id);
          if (!row) throw new NotFoundError('Client link');
          if (row.user_link_status === 'active') return;
          const after = await this.clients.update(trx, row.id, { user_link_status: 'active', user_link_confirmed_at: new Date() });
          await this.audit.record(trx, meta, [
            this.event(after, 'consent', { accepted: true }),
            ...careChangeEvents(careLinkOf(row), careLinkOf(after), row.id),
          ]);
        }),
      'Another clinic record is already active for your account; withdraw it first (DELETE /patients/me/client-links/{id}).',
    );
  }

  /** The patient declines a pending link or withdraws an active one: the record no longer names them, and the care link it caused ends. */
  async removeLink(meta: RequestMeta, clientId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.clients.findLiveOfUser(trx, clientId, meta.actor.id);
      if (!row) throw new NotFoundError('Client link');
      const after = await this.clients.update(trx, row.id, this.linkValues(meta.actor, null));
      await this.audit.record(trx, meta, [
        { ...this.event(row, 'consent', { accepted: false, was: row.user_link_status }) },
        ...careChangeEvents(careLinkOf(row), careLinkOf(after), row.id),
      ]);
    });
  }
}
