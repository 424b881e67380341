import type { Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { AllergiesTable, AllergySeverity } from './medical.tables.js';

export type AllergyRow = Selectable<AllergiesTable>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class AllergiesRepository {
  async insert(
    db: Executor,
    values: {
      patient_id: string;
      substance: string;
      substance_key: string;
      reaction: string | null;
      severity: AllergySeverity;
      notes: string | null;
      recorded_by: string;
    },
  ): Promise<AllergyRow> {
    return db
      .insertInto('allergies')
      .values({ ...values, removed_at: null, removed_by: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** A patient's live allergies, oldest first (a short list: no pagination needed). */
  async listLive(db: Executor, patientId: string): Promise<AllergyRow[]> {
    return db
      .selectFrom('allergies')
      .selectAll()
      .where('patient_id', '=', patientId)
      .where('removed_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(500)
      .execute();
  }

  async findLive(db: Executor, patientId: string, id: string): Promise<AllergyRow | undefined> {
    if (!UUID_RE.test(id)) return undefined;
    return db.selectFrom('allergies').selectAll().where('id', '=', id).where('patient_id', '=', patientId).where('removed_at', 'is', null).executeTakeFirst();
  }

  async remove(db: Executor, id: string, by: string): Promise<AllergyRow | undefined> {
    return db
      .updateTable('allergies')
      .set({ removed_at: new Date(), removed_by: by })
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  }
}
