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

/**
 * "Rows after this row" for keyset pagination ordered by `column, id`, where the position is
 * the last row's id alone: its `column` value is read in SQL, so a timestamp keeps the
 * microseconds PostgreSQL stores (a JavaScript Date would round them away and skip or repeat
 * rows written in the same millisecond). `inclusive` also returns the row itself.
 */
export function afterRow(table: string, column: string, id: string, options: { descending: boolean; inclusive?: boolean }): RawBuilder<boolean> {
  const position = sql`(${sql.ref(column)}, id)`;
  const bound = sql`(select ${sql.ref(column)}, id from ${sql.table(table)} where id = ${id})`;
  const op = sql.raw(`${options.descending ? '<' : '>'}${options.inclusive ? '=' : ''}`);
  return sql<boolean>`${position} ${op} ${bound}`;
}

/**
 * Values for `where(column, 'in', …)`: `in ()` is not valid SQL, so an empty list becomes one
 * id no row can have, and the filter matches nothing (as an empty list should).
 */
export function idsOrNone(values: readonly string[]): string[] {
  return values.length ? [...values] : ['00000000-0000-0000-0000-000000000000'];
}
