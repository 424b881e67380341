import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { exportOpenApi, schemaSource, SCHEMA_FILE } from '../../scripts/portal-schema.js';

/**
 * The portal's typed API client (portal/src/api/schema.d.ts) must match the OpenAPI document the
 * app produces today: a route or schema change without `npm run portal:schema` fails here, and the
 * portal's type-check (`npm run typecheck`) then shows what the change breaks in the pages.
 */
test('portal/src/api/schema.d.ts is generated from the current OpenAPI document', async () => {
  const expected = await schemaSource(await exportOpenApi());
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  assert.ok(committed === expected, 'portal/src/api/schema.d.ts is stale: run `npm run portal:schema` and commit it (then `npm run typecheck`).');
});
