import type { Actor, CareRelationships } from '../access.js';
import type { Executor } from '../database/index.js';
import { encodeCursor, type KeysetPosition } from './pagination.js';

/**
 * Keyset pagination over rows the actor may see, when "may see" is the care relationship
 * (a set of registered checks, not a SQL predicate). Rows are fetched in batches after the
 * cursor and kept when `canAccessPatient` allows their patient (memoised per patient), so
 * a doctor's list holds exactly their patients' rows. The scan is bounded; if the budget
 * runs out the page ends early with a cursor to continue from.
 */
export async function visiblePage<Row extends { id: string; patient_id: string }>(options: {
  db: Executor;
  care: CareRelationships;
  actor: Actor;
  limit: number;
  after: KeysetPosition | null;
  /** True when the query is already limited to what the actor may see. */
  prefiltered: boolean;
  fetch: (after: KeysetPosition | null, count: number) => Promise<Row[]>;
  position: (row: Row) => KeysetPosition;
}): Promise<{ rows: Row[]; next_cursor: string | null }> {
  const { limit, prefiltered } = options;
  const batchSize = prefiltered ? limit + 1 : Math.max(limit + 1, 100);
  const allowed = new Map<string, boolean>();
  const may = async (patientId: string) => {
    if (prefiltered) return true;
    let ok = allowed.get(patientId);
    if (ok === undefined) {
      ok = await options.care.canAccessPatient(options.db, options.actor, patientId);
      allowed.set(patientId, ok);
    }
    return ok;
  };
  const rows: Row[] = [];
  let cursor = options.after;
  for (let batchNo = 0; batchNo < 20; batchNo++) {
    const batch = await options.fetch(cursor, batchSize);
    for (let i = 0; i < batch.length; i++) {
      const row = batch[i]!;
      if (!(await may(row.patient_id))) continue;
      rows.push(row);
      if (rows.length === limit) {
        const more = i < batch.length - 1 || batch.length === batchSize;
        return { rows, next_cursor: more ? encodeCursor(options.position(row)) : null };
      }
    }
    if (batch.length < batchSize) return { rows, next_cursor: null };
    cursor = options.position(batch[batch.length - 1]!);
  }
  return { rows, next_cursor: cursor ? encodeCursor(cursor) : null };
}
