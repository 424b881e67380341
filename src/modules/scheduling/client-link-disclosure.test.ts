import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { users } from '../../../test/helpers/scheduling.js';
import type { TestUser } from '../../../test/helpers/users.js';

/**
 * Security review: proposing a clinic-client link to a patient account must not reveal whether
 * that account is already linked to another record (and so has a clinician elsewhere). Before
 * the fix a doctor or nurse got 409 `client-user-linked` for a linked account and 201 for any
 * other. Now a proposal is a pending link answered alike in both cases; the conflict shows only
 * to an admin (whose link is active at once) and to the patient accepting a second link.
 */
test('a pending client link answers the same whether or not the account is linked elsewhere', async (t) => {
  const built = await build(t);
  const { app } = built;
  const u = await users(built);
  const { doctor, otherDoctor: prober, patient: linked, otherPatient: unlinked, nurse, admin } = u;
  const inject = (who: TestUser, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url: `/api/v1${url}`, headers: who.auth, ...(payload && { payload }) });
  const shape = (body: Record<string, unknown>) => ({
    keys: Object.keys(body).sort(),
    user_link_status: body.user_link_status,
    assigned_doctor_id: body.assigned_doctor_id,
  });

  // The clinic (an admin) links `linked` to a record of `doctor`: an active link.
  const existing = await inject(admin, 'POST', '/clients', { first_name: 'Lia', last_name: 'Linked', user_id: linked.id, assigned_doctor_id: doctor.id });
  assert.equal(existing.statusCode, 201, existing.body);
  assert.equal(existing.json().user_link_status, 'active');

  await t.test('a doctor and a nurse get the same answer for a linked and an unlinked account', async () => {
    for (const who of [prober, nurse]) {
      const toLinked = await inject(who, 'POST', '/clients', { first_name: 'P', last_name: 'Probe', user_id: linked.id });
      const toUnlinked = await inject(who, 'POST', '/clients', { first_name: 'P', last_name: 'Probe', user_id: unlinked.id });
      assert.equal(toLinked.statusCode, 201, `${who.role}: ${toLinked.body}`);
      assert.equal(toUnlinked.statusCode, 201, `${who.role}: ${toUnlinked.body}`);
      assert.deepEqual(shape(toLinked.json()), shape(toUnlinked.json()), who.role);
      assert.equal(toLinked.json().user_link_status, 'pending');
      // Re-pointing an existing record is answered alike too.
      const blank = await inject(who, 'POST', '/clients', { first_name: 'Q', last_name: 'Probe' });
      const repoint = await inject(who, 'PUT', `/clients/${blank.json().id}`, { user_id: linked.id });
      assert.equal(repoint.statusCode, 200, repoint.body);
      assert.equal(repoint.json().user_link_status, 'pending');
    }
    // A pending link opens nothing and the existing active one stands.
    assert.equal((await inject(prober, 'GET', `/medical/records?patient_id=${linked.id}`)).statusCode, 404);
    assert.equal((await inject(doctor, 'GET', `/medical/records?patient_id=${linked.id}`)).statusCode, 200);
  });

  await t.test('the conflict shows to those who may see the links: the admin, and the patient accepting', async () => {
    const adminSecond = await inject(admin, 'POST', '/clients', { first_name: 'A', last_name: 'Second', user_id: linked.id });
    assert.equal(adminSecond.statusCode, 409, adminSecond.body);
    assert.match(adminSecond.json().type, /client-user-linked$/);

    const links = (await inject(linked, 'GET', '/patients/me/client-links')).json().items as { client_id: string; status: string }[];
    assert.equal(links.filter((l) => l.status === 'active').length, 1);
    const proposal = links.find((l) => l.status === 'pending')!;
    const accept = await inject(linked, 'POST', `/patients/me/client-links/${proposal.client_id}/accept`);
    assert.equal(accept.statusCode, 409, accept.body);
    assert.match(accept.json().type, /client-user-linked$/);
    // Withdrawing the active link first lets the patient choose the other one.
    assert.equal((await inject(linked, 'DELETE', `/patients/me/client-links/${existing.json().id}`)).statusCode, 204);
    assert.equal((await inject(linked, 'POST', `/patients/me/client-links/${proposal.client_id}/accept`)).statusCode, 204);
    assert.equal((await inject(doctor, 'GET', `/medical/records?patient_id=${linked.id}`)).statusCode, 404, 'the withdrawn link ended');
  });
});
