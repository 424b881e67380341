import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser } from '../../../test/helpers/users.js';
import { linkCare } from '../../../test/helpers/files.js';
import { setup, until } from './test-setup.js';

// Review finding H1: two patients of one doctor raising emergencies in the same minute — the
// second alert must not be swallowed by the first one's delivery key.
test('emergency alerts: two patients of one doctor in the same minute each reach the doctor', async (t) => {
  const { built, api } = await setup(t);
  const doctor = await createUser(built, 'doctor');
  const [first, second] = await Promise.all([createUser(built, 'patient'), createUser(built, 'patient')]);
  await linkCare(built, doctor, first);
  await linkCare(built, doctor, second);
  for (const patient of [first, second]) {
    const check = await api(patient, 'POST', '/ml/emergency/check', { text: "crushing chest pain and I can't breathe" });
    assert.equal(check.json().is_emergency, true);
  }
  const alerts = await until(async () => {
    const items = (await api(doctor, 'GET', '/notifications?limit=50')).json().items as { type: string; data?: { patient_id?: string } }[];
    const emergencies = items.filter((n) => n.type === 'emergency_alert');
    return emergencies.length >= 2 && emergencies;
  });
  assert.deepEqual(alerts.map((n) => n.data?.patient_id).sort(), [first.id, second.id].sort());
});
