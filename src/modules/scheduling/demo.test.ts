import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { login } from '../../../test/helpers/users.js';
import { identityModule } from '../identity/index.js';
import { DEMO_PASSWORD } from '../identity/index.js';
import { schedulingModule } from './index.js';

test('demo data: doctor profiles, a week of slots, a completed and an upcoming appointment', async (t) => {
  const built = await build(t);
  const { app, ctx } = built;
  await identityModule.seedDemo!(ctx);
  await schedulingModule.seedDemo!(ctx);
  await schedulingModule.seedDemo!(ctx); // idempotent
  const dir = await app.inject({ method: 'GET', url: '/api/v1/doctors?specialty=dermatology' });
  assert.equal(dir.json().items.length, 1);
  assert.ok(dir.json().items[0].next_available);
  const jane = await login(app, 'jane@demo.carebridge.local', DEMO_PASSWORD);
  const list = await app.inject({ method: 'GET', url: '/api/v1/appointments', headers: { authorization: `Bearer ${jane.access_token}` } });
  const statuses = list
    .json()
    .items.map((a: { status: string; doctor_name: string }) => `${a.status}:${a.doctor_name}`)
    .sort();
  assert.deepEqual(statuses, ['completed:Dr. Gregory Hause', 'scheduled:Dr. Gregory Hause']);
  const slots = await ctx.db
    .selectFrom('slots')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'free')
    .executeTakeFirstOrThrow();
  assert.ok(slots.n >= 3 * 16 * 3, `free slots: ${slots.n}`);
});
