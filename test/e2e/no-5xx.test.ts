import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { build } from '../helpers/build.js';
import { createUser } from '../helpers/users.js';

/**
 * "Bad input gets a clear error and loses nothing; a 5xx is a bug." This walks every
 * operation in /openapi.json as an anonymous caller and as each role, with junk and with
 * plausible-but-wrong input, and asserts every reply is < 500 and that every error is
 * application/problem+json.
 */
type Schema = {
  type?: string | string[];
  format?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  required?: string[];
  minimum?: number;
};

function plausible(schema: Schema | undefined, depth = 0, text = 'test'): unknown {
  if (!schema || depth > 4) return null;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf) return plausible(schema.anyOf[0], depth + 1, text);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, plausible(v, depth + 1, text)]));
    case 'array':
      return [plausible(schema.items, depth + 1, text)];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (schema.format === 'date') return '2030-01-01';
      if (schema.format === 'email') return 'someone@example.test';
      return text;
    default:
      return text;
  }
}

/** Every property replaced by a value of the wrong type. */
function confused(schema: Schema | undefined): unknown {
  if (!schema?.properties) return { unexpected: true };
  return Object.fromEntries(Object.keys(schema.properties).map((k, i) => [k, i % 2 ? { nested: [1, 2] } : 123456789]));
}

describe('no 5xx on any route', async () => {
  const built = await build({ after }, {}, { RATE_LIMIT_API_PER_MIN: '1000000', RATE_LIMIT_AUTH_PER_MIN: '1000000' });
  const { app } = built;
  const callers: Record<string, Record<string, string>> = { anonymous: {} };
  for (const role of ['patient', 'doctor', 'nurse', 'admin'] as const) callers[role] = (await createUser(built, role)).auth;
  const pending = await createUser(built, 'doctor', { pending: true });
  callers['pending doctor'] = pending.auth;
  const doc = (await app.inject('/openapi.json')).json() as {
    paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  };

  const operations: { method: string; path: string; body?: Schema; multipart: boolean }[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      // Logging out would end the callers' sessions and turn the rest of the walk into 401s.
      if (path === '/api/v1/auth/logout') continue;
      const content = op.requestBody?.content ?? {};
      operations.push({ method: method.toUpperCase(), path, body: content['application/json']?.schema, multipart: Boolean(content['multipart/form-data']) });
    }
  }

  it('covers the API', () => assert.ok(operations.length > 60, `${operations.length} operations`));

  it('answers every operation with < 500 and problem+json errors', { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    for (const op of operations) {
      const urls = [
        op.path.replace(/\{[^}]+\}/g, () => randomUUID()),
        op.path.replace(/\{[^}]+\}/g, 'not-an-id%00'),
        op.path
          .replace(/\{role\}/g, 'patient')
          .replace(/\{user\}/g, 'nobody')
          .replace(/\{[^}]+\}/g, () => randomUUID()) +
          '?limit=abc&cursor=%ff%fe&from=yesterday&to=0&status=%27%3B--&q=' +
          'x'.repeat(300),
        op.path.replace(/\{[^}]+\}/g, () => randomUUID()) + '?q=%00&name=%00&specialty=%00&sort=%00&before_seq=-1&after=%00',
      ];
      const bodies: (string | undefined)[] =
        op.method === 'GET' || op.method === 'DELETE'
          ? [undefined]
          : [
              '{"broken": ',
              '[]',
              'null',
              JSON.stringify(confused(op.body)),
              JSON.stringify(plausible(op.body)),
              JSON.stringify(plausible(op.body, 0, 'nul\u0000 \ud800')),
              JSON.stringify(plausible(op.body, 0, 'x'.repeat(5000))),
            ];
      for (const [who, headers] of Object.entries(callers)) {
        for (const url of urls) {
          for (const body of bodies) {
            const res = await app.inject({
              method: op.method as 'GET',
              url,
              headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
              ...(body !== undefined && { payload: body }),
            });
            const label = `${op.method} ${url} as ${who} with ${body?.slice(0, 60) ?? 'no body'} → ${res.statusCode}`;
            if (res.statusCode >= 500) failures.push(`${label}: ${res.body.slice(0, 200)}`);
            else if (res.statusCode >= 400 && !String(res.headers['content-type']).startsWith('application/problem+json'))
              failures.push(`${label}: not problem+json`);
          }
        }
      }
    }
    assert.deepEqual(failures, []);
    // The walk only means something if the callers stayed signed in throughout.
    for (const [who, headers] of Object.entries(callers)) {
      if (who === 'anonymous') continue;
      assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers })).statusCode, 200, `${who} is still signed in`);
    }
  });
});
