import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { build } from '../helpers/build.js';
import { createUser, type TestUser } from '../helpers/users.js';

/**
 * Issue 11, item 7: one cursor codec that validates. Every list operation in /openapi.json
 * (every operation with a `cursor` query parameter) answers a malformed cursor — garbage,
 * or base64 of JSON with the wrong types — with 400 problem+json, never 5xx, for every role.
 */
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const BAD_CURSORS = [
  'garbage!!',
  b64('not json'),
  b64(null),
  b64([1, 2]),
  b64({ v: { nested: true }, id: randomUUID() }),
  b64({ v: [1], id: randomUUID() }),
  b64({ v: 'x', id: 12 }),
  b64({ v: '2026-01-01T00:00:00Z', id: 'not-a-uuid' }),
  b64(`{"v":1e999,"id":"${randomUUID()}"}`),
  b64({ v: 'x'.repeat(300), id: randomUUID() }),
  b64({ id: randomUUID() }),
];

test('every list in the OpenAPI document answers a malformed cursor with 400', async (t) => {
  const built = await build(t, {}, { RATE_LIMIT_API_PER_MIN: '1000000' });
  const { app } = built;
  const callers: Record<string, TestUser> = {};
  for (const role of ['patient', 'doctor', 'nurse', 'admin'] as const) callers[role] = await createUser(built, role);
  const nurse = callers.nurse!;
  const room = await app.inject({
    method: 'POST',
    url: '/api/v1/chat/rooms',
    headers: nurse.auth,
    payload: { kind: 'care_team', participant_ids: [callers.doctor!.id, callers.patient!.id, callers.admin!.id] },
  });
  assert.equal(room.statusCode, 201, room.body);

  type Param = { name: string; in: string; required?: boolean; schema?: { type?: string; format?: string; enum?: unknown[] } };
  const doc = (await app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, { parameters?: Param[] }>> };
  const lists = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method, op]) => method === 'get' && (op.parameters ?? []).some((p) => p.in === 'query' && p.name === 'cursor'))
      .map(([, op]) => ({ path, op })),
  );
  assert.ok(lists.length >= 10, `only ${lists.length} lists found`);

  for (const { path, op } of lists) {
    await t.test(path, async () => {
      let answered = 0;
      for (const [role, user] of Object.entries(callers)) {
        const url = path
          .replace('{role}', 'patient')
          .replace('{user_id}', user.id)
          .replace('{id}', path.startsWith('/api/v1/chat') ? room.json().id : path.startsWith('/api/v1/doctors') ? callers.doctor!.id : callers.patient!.id);
        const required = (op.parameters ?? []).filter((p) => p.in === 'query' && p.required && p.name !== 'cursor');
        const extra = required
          .map(
            (p) =>
              `&${p.name}=${encodeURIComponent((p.schema?.enum?.[0] as string) ?? (p.schema?.format === 'date-time' ? new Date().toISOString() : p.schema?.format === 'date' ? '2030-01-01' : 'glucose'))}`,
          )
          .join('');
        // Well-formed, but the sort value may not fit this list (not a date, null, a number): a 400 or a page — never a 5xx.
        for (const v of ['not a date', null, 7]) {
          const odd = await app.inject({ method: 'GET', url: `${url}?cursor=${b64({ v, id: randomUUID() })}${extra}`, headers: user.auth });
          assert.ok(odd.statusCode < 500, `${role} GET ${url} with sort value ${JSON.stringify(v)} → ${odd.statusCode} ${odd.body.slice(0, 200)}`);
        }
        for (const cursor of BAD_CURSORS) {
          const res = await app.inject({ method: 'GET', url: `${url}?cursor=${encodeURIComponent(cursor)}${extra}`, headers: user.auth });
          if (res.statusCode === 403 || res.statusCode === 404) continue;
          answered++;
          assert.equal(
            res.statusCode,
            400,
            `${role} GET ${url} cursor=${Buffer.from(cursor, 'base64url').toString().slice(0, 60)} → ${res.statusCode} ${res.body.slice(0, 200)}`,
          );
          assert.match(String(res.headers['content-type']), /application\/problem\+json/);
        }
      }
      assert.ok(answered > 0, `no role could call ${path}`);
    });
  }
});
