import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { KeysetPosition } from '../../platform/http/pagination.js';
import type { ClientsTable } from './scheduling.tables.js';
import { afterPosition } from '../../platform/database/keyset.js';

export type ClientRow = Selectable<ClientsTable>;
type ClientValues = Partial<Omit<ClientRow, 'id' | 'created_at' | 'updated_at' | 'deleted_at' | 'created_by'>>;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class ClientsRepository {
  async insert(db: Executor, values: ClientValues & { first_name: string; last_name: string; created_by: string }): Promise<ClientRow> {
    return db
      .insertInto('clients')
      .values({ ...values, deleted_at: null } as never)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async findLive(db: Executor, id: string): Promise<ClientRow | undefined> {
    return db.selectFrom('clients').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  }

  async update(db: Executor, id: string, values: ClientValues): Promise<ClientRow> {
    return db
      .updateTable('clients')
      .set({ ...values, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async softDelete(db: Executor, id: string): Promise<void> {
    await db.updateTable('clients').set({ deleted_at: new Date(), updated_at: new Date() }).where('id', '=', id).execute();
  }

  /**
   * Search `q`: case-insensitive partial match on first/last/full name and email; phone
   * matches on digits only, so "030 1234" finds "+49 (30) 1234-56".
   */
  async list(
    db: Executor,
    filter: {
      q?: string;
      assignedDoctorId?: string;
      sort: 'created_at' | '-created_at' | 'last_name' | '-last_name';
      after: KeysetPosition | null;
      limit: number;
    },
  ): Promise<ClientRow[]> {
    const column = filter.sort.replace('-', '') as 'created_at' | 'last_name';
    const descending = filter.sort.startsWith('-');
    let query = db.selectFrom('clients').selectAll().where('deleted_at', 'is', null);
    if (filter.assignedDoctorId) query = query.where('assigned_doctor_id', '=', filter.assignedDoctorId);
    if (filter.q) {
      const pattern = `%${escapeLike(filter.q.toLowerCase())}%`;
      const digits = filter.q.replace(/\D/g, '');
      query = query.where((eb) =>
        eb.or([
          eb(sql<string>`lower(first_name || ' ' || last_name)`, 'like', pattern),
          eb(sql<string>`lower(last_name || ' ' || first_name)`, 'like', pattern),
          eb(sql<string>`lower(coalesce(email, ''))`, 'like', pattern),
          eb(sql<string>`coalesce(phone, '')`, 'like', pattern),
          ...(digits.length >= 3 ? [eb(sql<string>`regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')`, 'like', `%${digits}%`)] : []),
        ]),
      );
    }
    if (filter.after) {
      const value = column === 'created_at' ? new Date(String(filter.after.v)) : String(filter.after.v);
      const id = filter.after.id;
      query = query.where(afterPosition(column, 'id', descending, value, id));
    }
    const direction = descending ? 'desc' : 'asc';
    return query
      .orderBy(column, direction)
      .orderBy('id', direction)
      .limit(filter.limit + 1)
      .execute();
  }

  /** The live clinic records that name `userId` as their patient account, with the names a patient needs to decide. */
  async linksOfUser(db: Executor, userId: string) {
    return db
      .selectFrom('clients as c')
      .leftJoin('users as d', 'd.id', 'c.assigned_doctor_id')
      .leftJoin('users as r', 'r.id', 'c.user_linked_by')
      .select([
        'c.id',
        'c.first_name',
        'c.last_name',
        'c.user_link_status',
        'c.user_link_confirmed_at',
        'c.updated_at',
        'c.assigned_doctor_id',
        'd.full_name as doctor_name',
        'c.user_linked_by',
        'r.full_name as requester_name',
        'r.role as requester_role',
      ])
      .where('c.user_id', '=', userId)
      .where('c.deleted_at', 'is', null)
      .orderBy('c.updated_at', 'desc')
      .limit(100)
      .execute();
  }

  async findLiveOfUser(db: Executor, id: string, userId: string): Promise<ClientRow | undefined> {
    return db
      .selectFrom('clients')
      .selectAll()
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('deleted_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
  }

  /**
   * Care link: a live client record linking the patient account to the assigned doctor,
   * and the link is `active` (the patient accepted it, or an admin made it). A link a
   * doctor wrote into the record alone is `pending` and opens nothing.
   */
  async isAssigned(db: Executor, doctorId: string, patientId: string): Promise<boolean> {
    const row = await db
      .selectFrom('clients')
      .select('id')
      .where('user_id', '=', patientId)
      .where('assigned_doctor_id', '=', doctorId)
      .where('user_link_status', '=', 'active')
      .where('deleted_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** `isAssigned` as a SQL condition (CareRelationships.sqlCondition). */
  assignedSql(doctor: string, patient: string): string {
    return (
      `exists (select 1 from clients care_c where care_c.user_id = ${patient} and care_c.assigned_doctor_id = ${doctor}` +
      ` and care_c.user_link_status = 'active' and care_c.deleted_at is null)`
    );
  }

  /** Every patient `isAssigned` is true for. */
  async assignedPatients(db: Executor, doctorId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('clients')
      .select('user_id')
      .where('assigned_doctor_id', '=', doctorId)
      .where('user_link_status', '=', 'active')
      .where('deleted_at', 'is', null)
      .where('user_id', 'is not', null)
      .execute();
    return rows.map((r) => r.user_id!);
  }
}
