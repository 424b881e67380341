import { Type, type Static, type TSchema } from 'typebox';
import { ValidationError } from '../errors.js';

/**
 * Cursor pagination (docs/API.md §0): `?limit=` (default 20, max 100) and an opaque `?cursor=`.
 * Cursors are keyset positions (the sort value and id of the last item), so pages stay
 * stable while rows are inserted, and a page costs an index range scan, not an OFFSET.
 */
export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ maxLength: 512 })),
});
export type PageQuery = Static<typeof PageQuery>;

export function pageOf<T extends TSchema>(item: T) {
  return Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });
}

export interface KeysetPosition {
  /** The sort column's value of the last row served (ISO string for timestamps). */
  v: string | number | null;
  id: string;
}

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): KeysetPosition | null {
  if (!cursor) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as KeysetPosition;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.id !== 'string') throw new Error('shape');
    return parsed;
  } catch {
    throw new ValidationError('The cursor is not valid; use the next_cursor value of a previous page.', [{ path: '/cursor', message: 'is not a cursor this API issued' }]);
  }
}

/**
 * Builds the reply from `limit + 1` fetched rows: the extra row only tells whether
 * another page exists.
 */
export function toPage<Row extends { id: string }, Out>(rows: Row[], limit: number, sortValue: (row: Row) => string | number | null, shape: (row: Row) => Out) {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(shape),
    next_cursor: hasMore && last ? encodeCursor({ v: sortValue(last), id: last.id }) : null,
  };
}
