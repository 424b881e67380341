import type { Db } from '../../platform/database/index.js';
import { isUniqueViolation } from '../../platform/database/index.js';
import type { Actor } from '../../platform/access.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { ClientRow, ClientsRepository } from './clients.repository.js';
import type { ProfilesRepository } from './profiles.repository.js';
import type { ClientDto, ClientListQuery, CreateClientBody, UpdateClientBody } from './scheduling.schemas.js';

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
    created_by: row.created_by,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/**
 * Clinic-managed patient records (seed 003). Doctors see and manage only the clients
 * assigned to them (others are 404); nurses and admins see all.
 */
export class ClientsService {
  constructor(
    private readonly db: Db,
    private readonly clients: ClientsRepository,
    private readonly profiles: ProfilesRepository,
  ) {}

  private async visible(actor: Actor, id: string): Promise<ClientRow> {
    const row = await this.clients.findLive(this.db, id);
    if (!row || (actor.role === 'doctor' && row.assigned_doctor_id !== actor.id)) throw new NotFoundError('Client');
    return row;
  }

  private async checkLinks(actor: Actor, body: { assigned_doctor_id?: string | null; user_id?: string | null; date_of_birth?: string | null }): Promise<void> {
    if (actor.role === 'doctor' && body.assigned_doctor_id !== undefined && body.assigned_doctor_id !== actor.id) {
      throw new ValidationError('Doctors manage only their own clients; assigned_doctor_id must be you.', [{ path: '/assigned_doctor_id', message: 'must be your own id' }]);
    }
    if (body.assigned_doctor_id) {
      const doctor = await this.profiles.userRoleStatus(this.db, body.assigned_doctor_id);
      if (!doctor || doctor.role !== 'doctor' || doctor.status !== 'active') throw new ValidationError('assigned_doctor_id is not an active doctor.', [{ path: '/assigned_doctor_id', message: 'not an active doctor' }]);
    }
    if (body.user_id) {
      const user = await this.profiles.userRoleStatus(this.db, body.user_id);
      if (!user || user.role !== 'patient') throw new ValidationError('user_id is not a patient account.', [{ path: '/user_id', message: 'not a patient account' }]);
    }
    if (body.date_of_birth && body.date_of_birth > new Date().toISOString().slice(0, 10)) {
      throw new ValidationError('date_of_birth is in the future.', [{ path: '/date_of_birth', message: 'must not be in the future' }]);
    }
  }

  private async mapUnique<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (isUniqueViolation(err, 'clients_user_unique')) throw new ConflictError('That patient account is already linked to another client record.', 'client-user-linked');
      throw err;
    }
  }

  async create(actor: Actor, body: CreateClientBody): Promise<ClientDto> {
    await this.checkLinks(actor, body);
    const assigned = actor.role === 'doctor' ? actor.id : (body.assigned_doctor_id ?? null);
    const row = await this.mapUnique(() =>
      this.clients.insert(this.db, { ...body, email: body.email?.toLowerCase() ?? null, assigned_doctor_id: assigned, created_by: actor.id }),
    );
    return toClientDto(row);
  }

  async get(actor: Actor, id: string): Promise<ClientDto> {
    return toClientDto(await this.visible(actor, id));
  }

  async update(actor: Actor, id: string, body: UpdateClientBody): Promise<ClientDto> {
    const row = await this.visible(actor, id);
    await this.checkLinks(actor, body);
    const updated = await this.mapUnique(() => this.clients.update(this.db, row.id, { ...body, ...(body.email && { email: body.email.toLowerCase() }) }));
    return toClientDto(updated);
  }

  /** Soft delete: the record disappears from the clinic's lists; the history is retained. */
  async remove(actor: Actor, id: string): Promise<void> {
    const row = await this.visible(actor, id);
    await this.clients.softDelete(this.db, row.id);
  }

  async list(actor: Actor, query: ClientListQuery) {
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
    const column = sort.replace('-', '');
    return toPage(rows, limit, (row) => (column === 'created_at' ? row.created_at.toISOString() : row.last_name), toClientDto);
  }
}
