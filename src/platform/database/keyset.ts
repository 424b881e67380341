import { sql, type RawBuilder } from 'kysely';
import { invalidCursor } from '../http/pagination.js';

/**
 * "Rows after this position" for keyset pagination ordered by `column, idColumn` (both
 * ascending or both descending): the row comparison `(column, id) > (value, id)`, which
 * PostgreSQL evaluates lexicographically — exactly `column > value OR (column = value AND
 * id > lastId)` — and can serve from a composite index. Pair it with
 * `decodeCursor`/`toPage` from platform/http/pagination.ts.
 */
export function afterPosition(column: string, idColumn: string, descending: boolean, value: unknown, id: string): RawBuilder<boolean> {
  // A cursor value that did not make a valid date (or number) is the client's malformed cursor.
  if ((value instanceof Date && Number.isNaN(value.getTime())) || (typeof value === 'number' && !Number.isFinite(value))) throw invalidCursor();
  const position = sql`(${sql.ref(column)}, ${sql.ref(idColumn)})`;
  return descending ? sql<boolean>`${position} < (${value}, ${id})` : sql<boolean>`${position} > (${value}, ${id})`;
}
