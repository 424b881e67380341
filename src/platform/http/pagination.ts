import { Type, type Static, type TSchema } from 'typebox';
import { BadRequestError } from '../errors.js';

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

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_CURSOR_VALUE_LENGTH = 256;

/** A malformed cursor is a malformed request (400), whatever list it was sent to. */
export function invalidCursor(): BadRequestError {
  return new BadRequestError('The cursor is not valid; use the next_cursor value of a previous page.', [
    { path: '/cursor', message: 'is not a cursor this API issued' },
  ]);
}

/**
 * The one cursor codec (issue 11): base64url of `{v, id}` where `id` is a UUID and `v` is
 * null, a finite number or a string of at most 256 characters; anything else — not
 * base64, not JSON, other types or keys — is a 400. `expect` narrows `v` for lists whose
 * sort value is a timestamp (`'timestamp'`: an ISO date string), a number or a string.
 */
export function decodeCursor(cursor: string | undefined, expect?: 'timestamp' | 'number' | 'string'): KeysetPosition | null {
  if (!cursor) return null;
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(cursor)) throw invalidCursor();
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidCursor();
  const keys = Object.keys(parsed);
  if (keys.some((k) => k !== 'v' && k !== 'id') || !('v' in parsed)) throw invalidCursor();
  const { v, id } = parsed as { v: unknown; id: unknown };
  if (typeof id !== 'string' || !UUID_RE.test(id)) throw invalidCursor();
  const valueOk = v === null || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= MAX_CURSOR_VALUE_LENGTH);
  if (!valueOk) throw invalidCursor();
  if (expect === 'timestamp' && (typeof v !== 'string' || Number.isNaN(Date.parse(v)))) throw invalidCursor();
  if (expect === 'number' && typeof v !== 'number') throw invalidCursor();
  if (expect === 'string' && typeof v !== 'string') throw invalidCursor();
  return { v: v as KeysetPosition['v'], id };
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
