import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { login } from '../../../test/helpers/users.js';

test('demo seed: Jane Doe has a record, a prescription and a parsed lab report (idempotent)', async (t) => {
  const built = await build(t, { seedDemo: true });
  await built.start();
  const { medicalModule } = await import('../medical/index.js');
  const { reportsModule } = await import('./index.js');
  assert.deepEqual(await medicalModule.seedDemo!(built.ctx), [], 'second run adds nothing (record, prescription)');
  assert.deepEqual(await reportsModule.seedDemo!(built.ctx), [], 'second run adds nothing (lab report)');
  const jane = await login(built.app, 'jane@demo.carebridge.local', 'CareBridge-demo-2026');
  const auth = { authorization: `Bearer ${jane.access_token}` };
  const records = (await built.app.inject({ method: 'GET', url: '/api/v1/medical/records', headers: auth })).json();
  assert.equal(records.items.length, 1);
  const rx = (await built.app.inject({ method: 'GET', url: '/api/v1/prescriptions', headers: auth })).json();
  assert.equal(rx.items.length, 1);
  const reports = (await built.app.inject({ method: 'GET', url: '/api/v1/reports', headers: auth })).json();
  assert.equal(reports.items.length, 1);
  assert.ok(reports.items[0].abnormal_count > 0);
  const house = await login(built.app, 'dr.house@demo.carebridge.local', 'CareBridge-demo-2026');
  const seen = await built.app.inject({
    method: 'GET',
    url: `/api/v1/reports/${reports.items[0].id}`,
    headers: { authorization: `Bearer ${house.access_token}` },
  });
  assert.equal(seen.statusCode, 200, 'Dr. Hause has a care relationship with Jane through the completed appointment');
  if (records.items[0].appointment_id) assert.equal(rx.items[0].appointment_id, records.items[0].appointment_id);
});
