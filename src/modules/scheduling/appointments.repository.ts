import { CompiledQuery, sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import { invalidCursor, type KeysetPosition } from '../../platform/http/pagination.js';
import type { AppointmentStatus, AppointmentsTable, AppointmentType, SlotState } from './scheduling.tables.js';

export type AppointmentRow = Selectable<AppointmentsTable> & { doctor_name: string; patient_name: string };

export interface BookValues {
  patientId: string;
  bookedBy: string;
  type: AppointmentType;
  reason: string | null;
}

export interface AppointmentFilter {
  doctorId?: string;
  patientId?: string;
  status?: AppointmentStatus;
  type?: AppointmentType;
  from?: Date;
  to?: Date;
  descending: boolean;
  after: KeysetPosition | null;
  limit: number;
}

/** What a slot looks like to the booking diagnosis after a booking statement found nothing to book. */
export interface SlotDiagnosis {
  id: string;
  doctor_id: string;
  start_at: Date;
  status: SlotState;
  deleted_at: Date | null;
  doctor_status: string;
}

export class AppointmentsRepository {
  /**
   * Books a slot in ONE statement: the slot flips `free → booked` with a conditional UPDATE
   * and the appointment is inserted from its RETURNING row. Concurrent requests for the same
   * slot serialise on the slot's row lock; after the winner commits, the others re-check
   * `status = 'free'`, match nothing and insert nothing. If the insert fails (the patient
   * already has an overlapping appointment; the unique index on active slot), the whole
   * statement — the slot update included — is rolled back.
   * Returns undefined when nothing was bookable.
   */
  async book(db: Executor, target: { slotId: string } | { doctorId: string; start: Date }, values: BookValues): Promise<AppointmentRow | undefined> {
    const where = 'slotId' in target ? sql`s.id = ${target.slotId}` : sql`s.doctor_id = ${target.doctorId} and s.start_at = ${target.start}`;
    return this.bookWhere(db, where, values);
  }

  /**
   * Earliest free slot matching the filter, skipping slots another transaction is booking
   * right now (`for update skip locked`) and ones overlapping the patient's appointments.
   */
  async bookEarliest(db: Executor, filter: { doctorId?: string; specialty?: string; after: Date }, values: BookValues): Promise<AppointmentRow | undefined> {
    const rows = await sql<AppointmentRow>`
      with pick as (
        select s.id from slots s
        join users u on u.id = s.doctor_id and u.status = 'active' and u.role = 'doctor'
        ${filter.specialty ? sql`join doctor_profiles p on p.user_id = s.doctor_id and p.specialty = ${filter.specialty}` : sql``}
        where s.status = 'free' and s.deleted_at is null and s.start_at > now() and s.start_at >= ${filter.after}
          and s.doctor_id <> ${values.patientId}
          ${filter.doctorId ? sql`and s.doctor_id = ${filter.doctorId}` : sql``}
          and not exists (
            select 1 from appointments a where a.patient_id = ${values.patientId}
              and a.status in ('scheduled', 'confirmed', 'in_progress')
              and tstzrange(a.start_at, a.end_at, '[)') && tstzrange(s.start_at, s.end_at, '[)'))
        order by s.start_at, s.id
        limit 1
        for update of s skip locked
      ),
      taken as (
        update slots set status = 'booked' from pick where slots.id = pick.id and slots.status = 'free'
        returning slots.id, slots.doctor_id, slots.start_at, slots.end_at
      ),
      made as (
        insert into appointments (slot_id, doctor_id, patient_id, start_at, end_at, type, reason, booked_by)
        select id, doctor_id, ${values.patientId}, start_at, end_at, ${values.type}, ${values.reason}, ${values.bookedBy} from taken
        returning *
      )
      select made.*, d.full_name as doctor_name, p.full_name as patient_name
      from made join users d on d.id = made.doctor_id join users p on p.id = made.patient_id`.execute(db);
    return rows.rows[0];
  }

  private async bookWhere(db: Executor, where: ReturnType<typeof sql>, values: BookValues): Promise<AppointmentRow | undefined> {
    const rows = await sql<AppointmentRow>`
      with taken as (
        update slots s set status = 'booked'
        where ${where}
          and s.status = 'free' and s.deleted_at is null and s.start_at > now()
          and s.doctor_id <> ${values.patientId}
          and exists (select 1 from users u where u.id = s.doctor_id and u.status = 'active' and u.role = 'doctor')
        returning s.id, s.doctor_id, s.start_at, s.end_at
      ),
      made as (
        insert into appointments (slot_id, doctor_id, patient_id, start_at, end_at, type, reason, booked_by)
        select id, doctor_id, ${values.patientId}, start_at, end_at, ${values.type}, ${values.reason}, ${values.bookedBy} from taken
        returning *
      )
      select made.*, d.full_name as doctor_name, p.full_name as patient_name
      from made join users d on d.id = made.doctor_id join users p on p.id = made.patient_id`.execute(db);
    return rows.rows[0];
  }

  async diagnoseSlot(db: Executor, target: { slotId: string } | { doctorId: string; start: Date }): Promise<SlotDiagnosis | undefined> {
    let query = db
      .selectFrom('slots as s')
      .innerJoin('users as u', 'u.id', 's.doctor_id')
      .select(['s.id', 's.doctor_id', 's.start_at', 's.status', 's.deleted_at', 'u.status as doctor_status'])
      .where('s.deleted_at', 'is', null);
    query =
      'slotId' in target ? query.where('s.id', '=', target.slotId) : query.where('s.doctor_id', '=', target.doctorId).where('s.start_at', '=', target.start);
    return query.executeTakeFirst();
  }

  private withNames(db: Executor) {
    return db
      .selectFrom('appointments as a')
      .innerJoin('users as d', 'd.id', 'a.doctor_id')
      .innerJoin('users as p', 'p.id', 'a.patient_id')
      .selectAll('a')
      .select(['d.full_name as doctor_name', 'p.full_name as patient_name']);
  }

  async findById(db: Executor, id: string, lock = false): Promise<AppointmentRow | undefined> {
    let query = this.withNames(db).where('a.id', '=', id);
    if (lock) query = query.forUpdate('a');
    return query.executeTakeFirst();
  }

  /**
   * One page of appointments with both names. Written as SQL text rather than with the query
   * builder: this is the most requested list (every patient's and doctor's home screen), and
   * building the query through Kysely cost more CPU than serialising the page
   * (docs/BENCHMARKS.md, "Read paths"). The text depends only on which filters are present,
   * so each shape is one prepared statement (platform/database/prepared.ts).
   */
  async list(db: Executor, filter: AppointmentFilter): Promise<AppointmentRow[]> {
    const values: unknown[] = [];
    const where: string[] = [];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      values.push(value);
      where.push(condition(`$${values.length}`));
    };
    if (filter.doctorId) add((p) => `a.doctor_id = ${p}`, filter.doctorId);
    if (filter.patientId) add((p) => `a.patient_id = ${p}`, filter.patientId);
    if (filter.status) add((p) => `a.status = ${p}`, filter.status);
    if (filter.type) add((p) => `a.type = ${p}`, filter.type);
    if (filter.from) add((p) => `a.start_at >= ${p}`, filter.from);
    if (filter.to) add((p) => `a.start_at < ${p}`, filter.to);
    const direction = filter.descending ? 'desc' : 'asc';
    if (filter.after) {
      // The keyset predicate of platform/database/keyset.ts (afterPosition), as text.
      const at = new Date(String(filter.after.v));
      if (Number.isNaN(at.getTime())) throw invalidCursor();
      values.push(at, filter.after.id);
      where.push(`(a.start_at, a.id) ${filter.descending ? '<' : '>'} ($${values.length - 1}, $${values.length})`);
    }
    values.push(filter.limit + 1);
    const text =
      'select a.*, d.full_name as doctor_name, p.full_name as patient_name from appointments a ' +
      'join users d on d.id = a.doctor_id join users p on p.id = a.patient_id' +
      (where.length ? ` where ${where.join(' and ')}` : '') +
      ` order by a.start_at ${direction}, a.id ${direction} limit $${values.length}`;
    const result = await db.executeQuery<AppointmentRow>(CompiledQuery.raw(text, values));
    return result.rows;
  }

  async update(
    db: Executor,
    id: string,
    values: Partial<
      Pick<AppointmentRow, 'reason' | 'notes' | 'status' | 'cancel_reason' | 'cancelled_by' | 'cancelled_at' | 'slot_id' | 'start_at' | 'end_at'>
    > & { bumpReschedule?: boolean },
    expectStatus?: AppointmentStatus[],
  ): Promise<boolean> {
    const { bumpReschedule, ...set } = values;
    let query = db
      .updateTable('appointments')
      .set({ ...set, updated_at: new Date(), ...(bumpReschedule && { reschedule_count: sql<number>`reschedule_count + 1` }) })
      .where('id', '=', id);
    if (expectStatus) query = query.where('status', 'in', expectStatus);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Takes a free future slot of `doctorId` for an existing appointment (reschedule). */
  async takeSlot(db: Executor, slotId: string, doctorId: string): Promise<{ id: string; start_at: Date; end_at: Date } | undefined> {
    return db
      .updateTable('slots')
      .set({ status: 'booked' })
      .where('id', '=', slotId)
      .where('doctor_id', '=', doctorId)
      .where('status', '=', 'free')
      .where('deleted_at', 'is', null)
      .where(sql<boolean>`start_at > now()`)
      .returning(['id', 'start_at', 'end_at'])
      .executeTakeFirst();
  }

  async setSlotState(db: Executor, slotId: string, status: SlotState): Promise<void> {
    await db.updateTable('slots').set({ status }).where('id', '=', slotId).execute();
  }

  /** Care link: a non-cancelled appointment (past, present or upcoming) between them. */
  async hasCareLink(db: Executor, doctorId: string, patientId: string): Promise<boolean> {
    const row = await db
      .selectFrom('appointments')
      .select('id')
      .where('doctor_id', '=', doctorId)
      .where('patient_id', '=', patientId)
      .where('status', '<>', 'cancelled')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** `hasCareLink` as a SQL condition (CareRelationships.sqlCondition). */
  careLinkSql(doctor: string, patient: string): string {
    return `exists (select 1 from appointments care_a where care_a.doctor_id = ${doctor} and care_a.patient_id = ${patient} and care_a.status <> 'cancelled')`;
  }

  /** Every patient `hasCareLink` is true for. */
  async careLinkPatients(db: Executor, doctorId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('appointments')
      .select('patient_id')
      .distinct()
      .where('doctor_id', '=', doctorId)
      .where('status', '<>', 'cancelled')
      .execute();
    return rows.map((r) => r.patient_id);
  }
}
