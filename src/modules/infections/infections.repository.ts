import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import { afterPosition } from '../../platform/database/keyset.js';
import type { KeysetPosition } from '../../platform/http/pagination.js';
import type { InfectionConsultsTable, InfectionRecordsTable } from './infections.tables.js';

export type InfectionRow = Selectable<InfectionRecordsTable>;
export type ConsultRow = Selectable<InfectionConsultsTable>;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class InfectionsRepository {
  async insert(db: Executor, row: Insertable<InfectionRecordsTable>): Promise<InfectionRow> {
    return db.insertInto('infection_records').values(row).returningAll().executeTakeFirstOrThrow();
  }

  async findById(db: Executor, id: string): Promise<InfectionRow | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    return db.selectFrom('infection_records').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Records the actor may see: their own (patient) or those consulted with them (doctor). */
  async list(db: Executor, viewer: { patientId?: string; doctorId?: string }, after: KeysetPosition | null, count: number): Promise<InfectionRow[]> {
    let query = db.selectFrom('infection_records').selectAll('infection_records');
    if (viewer.patientId) query = query.where('infection_records.patient_id', '=', viewer.patientId);
    if (viewer.doctorId) {
      const doctorId = viewer.doctorId;
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('infection_consults as c')
            .select('c.id')
            .whereRef('c.record_id', '=', 'infection_records.id')
            .where('c.doctor_id', '=', doctorId)
            .where('c.status', '=', 'booked'),
        ),
      );
    }
    if (after) query = query.where(afterPosition('infection_records.created_at', 'infection_records.id', true, new Date(String(after.v)), after.id));
    return query.orderBy('infection_records.created_at', 'desc').orderBy('infection_records.id', 'desc').limit(count).execute();
  }

  /** The record's consult: the live one (booked or waitlisted) if any, else the latest ended one. */
  async consultOf(db: Executor, recordId: string): Promise<ConsultRow | undefined> {
    return (await this.consultsOf(db, [recordId]))[0];
  }

  /** One consult per record (see consultOf), in no particular record order. */
  async consultsOf(db: Executor, recordIds: string[]): Promise<ConsultRow[]> {
    if (recordIds.length === 0) return [];
    const rows = await db
      .selectFrom('infection_consults')
      .selectAll()
      .where('record_id', 'in', recordIds)
      .orderBy(sql`(status = 'cancelled')`)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    const first = new Map<string, ConsultRow>();
    for (const row of rows) if (!first.has(row.record_id)) first.set(row.record_id, row);
    return [...first.values()];
  }

  async liveConsultInRoom(db: Executor, roomId: string, doctorId: string): Promise<boolean> {
    const row = await db
      .selectFrom('infection_consults')
      .select('id')
      .where('chat_room_id', '=', roomId)
      .where('doctor_id', '=', doctorId)
      .where('status', '=', 'booked')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async consultsOfAppointment(db: Executor, appointmentId: string): Promise<ConsultRow[]> {
    return db.selectFrom('infection_consults').selectAll().where('appointment_id', '=', appointmentId).execute();
  }

  /**
   * Ends the live consults booked on this appointment (it was cancelled): they share nothing
   * from now on. Returns the consults ended.
   */
  async endConsultsOfAppointment(db: Executor, appointmentId: string): Promise<ConsultRow[]> {
    return db
      .updateTable('infection_consults')
      .set({ status: 'cancelled', ended_at: new Date() })
      .where('appointment_id', '=', appointmentId)
      .where('status', '=', 'booked')
      .returningAll()
      .execute();
  }

  /** Consults still waiting for a slot, oldest first (the order the waitlist offers in). */
  async waitlistedConsults(db: Executor, limit: number): Promise<ConsultRow[]> {
    return db.selectFrom('infection_consults').selectAll().where('status', '=', 'waitlisted').orderBy('created_at').orderBy('id').limit(limit).execute();
  }

  /** A waitlisted consult becomes booked; undefined when it is no longer waitlisted. */
  async promoteConsult(db: Executor, id: string, booking: { doctorId: string; appointmentId: string }): Promise<ConsultRow | undefined> {
    return db
      .updateTable('infection_consults')
      .set({ status: 'booked', doctor_id: booking.doctorId, appointment_id: booking.appointmentId })
      .where('id', '=', id)
      .where('status', '=', 'waitlisted')
      .returningAll()
      .executeTakeFirst();
  }

  async insertConsult(db: Executor, row: Insertable<InfectionConsultsTable>): Promise<ConsultRow> {
    return db.insertInto('infection_consults').values(row).returningAll().executeTakeFirstOrThrow();
  }

  /** File-access rule: the image of a record with a live (booked) consult with this doctor. */
  async imageConsultedWith(db: Executor, fileId: string, doctorId: string): Promise<boolean> {
    const row = await db
      .selectFrom('infection_records as r')
      .innerJoin('infection_consults as c', 'c.record_id', 'r.id')
      .select('r.id')
      .where('r.image_file_id', '=', fileId)
      .where('c.doctor_id', '=', doctorId)
      .where('c.status', '=', 'booked')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}
