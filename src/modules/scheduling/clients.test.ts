import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { users } from '../../../test/helpers/scheduling.js';

test('clinic clients', async (t) => {
  const built = await build(t);
  const { app, ctx } = built;
  const u = await users(built);
  const post = (who: typeof u.doctor, payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/clients', headers: who.auth, payload });

  const mine = await post(u.doctor, {
    first_name: 'Anna',
    last_name: 'Schmidt',
    email: 'Anna.Schmidt@Example.com',
    phone: '+49 (30) 1234-567',
    medical_history: 'Asthma',
    user_id: u.patient.id,
  });
  assert.equal(mine.statusCode, 201, mine.body);
  assert.equal(mine.json().assigned_doctor_id, u.doctor.id);
  assert.equal(mine.json().email, 'anna.schmidt@example.com');
  const theirs = await post(u.nurse, { first_name: 'Bert', last_name: 'Meyer', phone: '0171 555 0100', assigned_doctor_id: u.otherDoctor.id });
  assert.equal(theirs.statusCode, 201, theirs.body);
  const unassigned = await post(u.admin, { first_name: 'Carla', last_name: 'Schmitt' });
  assert.equal(unassigned.statusCode, 201);

  await t.test('permissions', async () => {
    assert.equal((await post(u.patient, { first_name: 'X', last_name: 'Y' })).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/clients', headers: u.patient.auth })).statusCode, 403);
    assert.equal((await post(u.doctor, { first_name: 'X', last_name: 'Y', assigned_doctor_id: u.otherDoctor.id })).statusCode, 422);
    assert.equal((await post(u.nurse, { first_name: 'X', last_name: 'Y', assigned_doctor_id: u.patient.id })).statusCode, 422);
    // A second (pending) link to an already linked account is no 409 any more: that would tell
    // the caller the account is linked elsewhere (client-link-disclosure.test.ts).
    // A doctor sees only their own clients; others' are 404 for read, write and delete.
    const id = theirs.json().id;
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/clients/${id}`, headers: u.doctor.auth })).statusCode, 404);
    assert.equal((await app.inject({ method: 'PUT', url: `/api/v1/clients/${id}`, headers: u.doctor.auth, payload: { notes: 'x' } })).statusCode, 404);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/clients/${id}`, headers: u.doctor.auth })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/clients/${id}`, headers: u.otherDoctor.auth })).statusCode, 200);
    const list = await app.inject({ method: 'GET', url: '/api/v1/clients', headers: u.doctor.auth });
    assert.deepEqual(
      list.json().items.map((c: { id: string }) => c.id),
      [mine.json().id],
    );
    const sneaky = await app.inject({ method: 'GET', url: `/api/v1/clients?assigned_doctor_id=${u.otherDoctor.id}`, headers: u.doctor.auth });
    assert.deepEqual(sneaky.json().items, []);
    const all = await app.inject({ method: 'GET', url: '/api/v1/clients', headers: u.nurse.auth });
    assert.equal(all.json().items.length, 3);
  });

  await t.test('search and filters, pagination', async () => {
    const q = async (query: string) =>
      (await app.inject({ method: 'GET', url: `/api/v1/clients?${query}`, headers: u.admin.auth }))
        .json()
        .items.map((c: { first_name: string }) => c.first_name)
        .sort();
    assert.deepEqual(await q('q=SCHM'), ['Anna', 'Carla']);
    assert.deepEqual(await q('q=anna%20schmidt'), ['Anna']);
    assert.deepEqual(await q('q=example.COM'), ['Anna']);
    assert.deepEqual(await q('q=555%200100'), ['Bert']);
    assert.deepEqual(await q('q=301234'), ['Anna']);
    assert.deepEqual(await q(`assigned_doctor_id=${u.otherDoctor.id}`), ['Bert']);
    assert.deepEqual(await q('q=%25'), []);
    const p1 = (await app.inject({ method: 'GET', url: '/api/v1/clients?limit=2&sort=last_name', headers: u.admin.auth })).json();
    assert.deepEqual(
      p1.items.map((c: { last_name: string }) => c.last_name),
      ['Meyer', 'Schmidt'],
    );
    const p2 = (await app.inject({ method: 'GET', url: `/api/v1/clients?limit=2&sort=last_name&cursor=${p1.next_cursor}`, headers: u.admin.auth })).json();
    assert.deepEqual(
      p2.items.map((c: { last_name: string }) => c.last_name),
      ['Schmitt'],
    );
    assert.equal(p2.next_cursor, null);
  });

  await t.test('update, delete, care link via assignment', async () => {
    const asDoctor = { id: u.doctor.id, role: 'doctor' as const, status: 'active' as const, sessionId: '' };
    // A link a doctor wrote is pending until the patient accepts it (issue 11).
    assert.equal(mine.json().user_link_status, 'pending');
    assert.equal(await ctx.care.canAccessPatient(ctx.db, asDoctor, u.patient.id), false);
    assert.equal(
      (await app.inject({ method: 'POST', url: `/api/v1/patients/me/client-links/${mine.json().id}/accept`, headers: u.patient.auth })).statusCode,
      204,
    );
    assert.equal(await ctx.care.canAccessPatient(ctx.db, asDoctor, u.patient.id), true);
    const put = await app.inject({
      method: 'PUT',
      url: `/api/v1/clients/${mine.json().id}`,
      headers: u.doctor.auth,
      payload: { notes: 'Prefers mornings', phone: null },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().notes, 'Prefers mornings');
    assert.equal(put.json().phone, null);
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/clients/${mine.json().id}`, headers: u.doctor.auth });
    assert.equal(del.statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/clients/${mine.json().id}`, headers: u.admin.auth })).statusCode, 404);
    assert.equal(await ctx.care.canAccessPatient(ctx.db, asDoctor, u.patient.id), false);
  });
});
