import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../database/index.js';
import { ConflictError, ValidationError } from '../errors.js';
import { actorOf } from './auth.js';

/**
 * `Idempotency-Key` for POSTs that create things (docs/API.md §0), on the `idempotency_keys`
 * table (primary key user + route + key):
 *  - first request with a key: the key is claimed (a row without a status), the handler
 *    runs, and its status and body are stored;
 *  - same key and same body again: the stored reply is returned (header
 *    `idempotent-replayed: true`), nothing runs twice;
 *  - same key, different body: 422; same key while the first is still running: 409.
 * A handler that fails releases the key, so a corrected retry can use it again. Keys are
 * kept for 24 h; an older row is treated as absent.
 *
 * Usage in a route:  `return idempotent(db, request, reply, 201, () => service.create(...))`
 */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const TTL_HOURS = 24;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function requestHash(body: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(body ?? null)))
    .digest('hex');
}

export async function idempotent<T>(db: Db, request: FastifyRequest, reply: FastifyReply, successStatus: number, run: () => Promise<T>): Promise<T> {
  const header = request.headers[IDEMPOTENCY_HEADER];
  if (header === undefined) {
    reply.code(successStatus);
    return run();
  }
  const key = Array.isArray(header) ? header[0] : header;
  if (!key || !KEY_RE.test(key)) {
    throw new ValidationError('The Idempotency-Key header must be 1–255 visible ASCII characters.', [
      { path: '/headers/idempotency-key', message: 'invalid key' },
    ]);
  }
  const userId = actorOf(request).id;
  const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
  const hash = requestHash(request.body);

  // Forget an expired claim so the key can be reused.
  await sql`
    delete from idempotency_keys
    where user_id = ${userId} and route = ${route} and key = ${key} and created_at < now() - make_interval(hours => ${TTL_HOURS})`.execute(db);
  const claimed = await sql<{ key: string }>`
    insert into idempotency_keys (user_id, key, route, request_hash) values (${userId}, ${key}, ${route}, ${hash})
    on conflict do nothing returning key`.execute(db);

  if (claimed.rows.length === 0) {
    const existing = await sql<{ request_hash: string; status_code: number | null; response: T | null }>`
      select request_hash, status_code, response from idempotency_keys where user_id = ${userId} and route = ${route} and key = ${key}`.execute(db);
    const row = existing.rows[0];
    if (!row) throw new ConflictError('This Idempotency-Key was just released; retry the request.', 'idempotency-retry');
    if (row.request_hash !== hash) {
      throw new ValidationError('This Idempotency-Key was already used with a different request body.', [
        { path: '/headers/idempotency-key', message: 'reused with a different body' },
      ]);
    }
    if (row.status_code === null) throw new ConflictError('A request with this Idempotency-Key is still being processed.', 'idempotency-in-flight');
    reply.code(row.status_code).header('idempotent-replayed', 'true');
    return row.response as T;
  }

  let result: T;
  try {
    result = await run();
  } catch (err) {
    await sql`delete from idempotency_keys where user_id = ${userId} and route = ${route} and key = ${key}`.execute(db);
    throw err;
  }
  await sql`
    update idempotency_keys set status_code = ${successStatus}, response = ${JSON.stringify(result)}::jsonb
    where user_id = ${userId} and route = ${route} and key = ${key}`.execute(db);
  reply.code(successStatus);
  return result;
}
