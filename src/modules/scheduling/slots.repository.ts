import type { Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { KeysetPosition } from '../../platform/http/pagination.js';
import type { SlotState, SlotsTable } from './scheduling.tables.js';
import { afterPosition } from '../../platform/database/keyset.js';

export type SlotRow = Selectable<SlotsTable>;

export class SlotsRepository {
  async insert(db: Executor, doctorId: string, start: Date, end: Date, status: SlotState = 'free'): Promise<SlotRow> {
    return db
      .insertInto('slots')
      .values({ doctor_id: doctorId, start_at: start, end_at: end, status, deleted_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /**
   * Inserts many slots in one statement; ones overlapping an existing live slot are skipped
   * by the exclusion constraint (`on conflict do nothing` covers exclusion constraints too).
   */
  async insertMany(db: Executor, doctorId: string, slots: { start: Date; end: Date }[]): Promise<SlotRow[]> {
    if (slots.length === 0) return [];
    return db
      .insertInto('slots')
      .values(slots.map((s) => ({ doctor_id: doctorId, start_at: s.start, end_at: s.end, deleted_at: null })))
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .execute();
  }

  async findLive(db: Executor, id: string): Promise<SlotRow | undefined> {
    return db.selectFrom('slots').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  }

  async listOwn(
    db: Executor,
    doctorId: string,
    filter: { from?: Date; to?: Date; state?: SlotState; after: KeysetPosition | null; limit: number },
  ): Promise<SlotRow[]> {
    let query = db.selectFrom('slots').selectAll().where('doctor_id', '=', doctorId).where('deleted_at', 'is', null);
    if (filter.from) query = query.where('start_at', '>=', filter.from);
    if (filter.to) query = query.where('start_at', '<', filter.to);
    if (filter.state) query = query.where('status', '=', filter.state);
    if (filter.after) {
      const at = new Date(String(filter.after.v));
      const id = filter.after.id;
      query = query.where(afterPosition('start_at', 'id', false, at, id));
    }
    return query
      .orderBy('start_at')
      .orderBy('id')
      .limit(filter.limit + 1)
      .execute();
  }

  async listFree(db: Executor, doctorId: string, filter: { from: Date; to: Date; after: KeysetPosition | null; limit: number }): Promise<SlotRow[]> {
    let query = db
      .selectFrom('slots')
      .selectAll()
      .where('doctor_id', '=', doctorId)
      .where('deleted_at', 'is', null)
      .where('status', '=', 'free')
      .where('start_at', '>=', filter.from)
      .where('start_at', '<', filter.to);
    if (filter.after) query = query.where(afterPosition('start_at', 'id', false, new Date(String(filter.after.v)), filter.after.id));
    return query
      .orderBy('start_at')
      .orderBy('id')
      .limit(filter.limit + 1)
      .execute();
  }

  /** Soft-deletes a doctor's own slot unless it is booked or held; returns it, or nothing. */
  async deleteUnbooked(db: Executor, doctorId: string, id: string): Promise<SlotRow | undefined> {
    return db
      .updateTable('slots')
      .set({ deleted_at: new Date() })
      .where('id', '=', id)
      .where('doctor_id', '=', doctorId)
      .where('deleted_at', 'is', null)
      .where('status', 'in', ['free', 'blocked'])
      .returningAll()
      .executeTakeFirst();
  }
}
