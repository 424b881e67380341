import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { lazyValidators } from './validators.js';

const ajv = { customOptions: { removeAdditional: false, coerceTypes: 'array' as const, useDefaults: true, allErrors: true } };

function appWith(validators: ReturnType<typeof lazyValidators>) {
  const app = Fastify({ ajv, schemaController: { compilersFactory: { buildValidator: validators.buildValidator } } });
  app.addSchema({ $id: 'Limit', type: 'integer', minimum: 1, maximum: 100 });
  app.get(
    '/items',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { $ref: 'Limit#' }, kind: { type: 'string', enum: ['a', 'b'], default: 'a' } },
          additionalProperties: false,
        },
        headers: { type: 'object', properties: { 'X-Tenant': { type: 'string', minLength: 2 } }, required: ['X-Tenant'] },
      },
    },
    async (request) => request.query,
  );
  return app;
}

describe('lazy request validators (platform/http/validators.ts)', () => {
  it('validate, coerce and fill defaults as the eager compiler does, shared schemas and header names included', async (t) => {
    const validators = lazyValidators();
    const app = appWith(validators);
    t.after(() => app.close());
    await app.ready();

    const ok = await app.inject({ url: '/items?limit=5', headers: { 'x-tenant': 'north' } });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { limit: 5, kind: 'a' });

    const tooBig = await app.inject({ url: '/items?limit=500', headers: { 'x-tenant': 'north' } });
    assert.equal(tooBig.statusCode, 400);
    assert.match(tooBig.json().message, /querystring\/limit must be <= 100/);

    const unknown = await app.inject({ url: '/items?kind=c&extra=1', headers: { 'x-tenant': 'north' } });
    assert.equal(unknown.statusCode, 400);

    // A headers schema written with capitals still matches (Node lower-cases header names).
    const noTenant = await app.inject({ url: '/items' });
    assert.equal(noTenant.statusCode, 400);
    assert.match(noTenant.json().message, /x-tenant/);
    const shortTenant = await app.inject({ url: '/items', headers: { 'X-Tenant': 'n' } });
    assert.equal(shortTenant.statusCode, 400);
  });

  it('warm() compiles what no request has needed yet and reports a schema that does not compile', async (t) => {
    const validators = lazyValidators();
    const app = appWith(validators);
    app.post('/broken', { schema: { body: { type: 'object', properties: { a: { $ref: 'Missing#' } } } } }, async () => ({}));
    t.after(() => app.close());
    await app.ready();
    const errors: unknown[] = [];
    await validators.warm((err) => errors.push(err));
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /Missing/);
    // The route whose schema is broken answers 500, the others are unaffected.
    assert.equal((await app.inject({ method: 'POST', url: '/broken', payload: { a: 1 } })).statusCode, 500);
    assert.equal((await app.inject({ url: '/items', headers: { 'x-tenant': 'north' } })).statusCode, 200);
  });
});
