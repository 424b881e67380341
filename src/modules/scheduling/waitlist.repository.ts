import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { AppointmentType, WaitlistEntriesTable } from './scheduling.tables.js';

export type WaitlistRow = Selectable<WaitlistEntriesTable> & { offered_slot_id: string | null };

export class WaitlistRepository {
  async insert(
    db: Executor,
    values: { patient_id: string; doctor_id: string | null; specialty: string | null; window_start: Date; window_end: Date; type: AppointmentType | null },
  ): Promise<WaitlistRow> {
    const row = await db.insertInto('waitlist_entries').values(values).returningAll().executeTakeFirstOrThrow();
    return { ...row, offered_slot_id: null };
  }

  async list(db: Executor, filter: { patientId?: string; doctorId?: string; limit: number }): Promise<WaitlistRow[]> {
    let query = db
      .selectFrom('waitlist_entries as e')
      .selectAll('e')
      .select(sql<string | null>`(select o.slot_id from waitlist_offers o where o.entry_id = e.id order by o.created_at desc limit 1)`.as('offered_slot_id'))
      .where('e.status', 'in', ['waiting', 'offered']);
    if (filter.patientId) query = query.where('e.patient_id', '=', filter.patientId);
    if (filter.doctorId) query = query.where('e.doctor_id', '=', filter.doctorId);
    return query.orderBy('e.created_at').orderBy('e.id').limit(filter.limit).execute();
  }

  async cancel(db: Executor, id: string, patientId: string): Promise<boolean> {
    const result = await db
      .updateTable('waitlist_entries')
      .set({ status: 'cancelled', updated_at: new Date() })
      .where('id', '=', id)
      .where('patient_id', '=', patientId)
      .where('status', 'in', ['waiting', 'offered'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** First waiting entry (oldest first) that the freed slot satisfies; locked for this transaction. */
  async firstMatch(db: Executor, slot: { doctor_id: string; start_at: Date; end_at: Date }, excludePatientId: string) {
    const rows = await sql<{ id: string; patient_id: string }>`
      select e.id, e.patient_id from waitlist_entries e
      where e.status = 'waiting' and e.window_start <= ${slot.start_at} and e.window_end >= ${slot.end_at}
        and e.patient_id <> ${excludePatientId}
        and (e.doctor_id = ${slot.doctor_id}
             or (e.doctor_id is null and e.specialty = (select p.specialty from doctor_profiles p where p.user_id = ${slot.doctor_id})))
      order by e.created_at, e.id
      limit 1
      for update skip locked`.execute(db);
    return rows.rows[0];
  }

  async recordOffer(db: Executor, entryId: string, slotId: string, patientId: string): Promise<string> {
    const offer = await db
      .insertInto('waitlist_offers')
      .values({ entry_id: entryId, slot_id: slotId, patient_id: patientId })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.updateTable('waitlist_entries').set({ status: 'offered', updated_at: new Date() }).where('id', '=', entryId).execute();
    return offer.id;
  }
}
