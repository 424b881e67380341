import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledQuery } from 'kysely';
import { build } from '../../../test/helpers/build.js';
import { book, createSlot, futureHour, users } from '../../../test/helpers/scheduling.js';

/**
 * Issue 11, item 1: a care relationship comes only from something the patient or the
 * clinic did — never from a field a doctor can write — and every grant and revocation is
 * audited. Walks the exploit of the adversarial review end to end, through HTTP.
 */
test('care relationships: no doctor-made links, consent, audit, and an end', async (t) => {
  const built = await build(t);
  const { app } = built;
  const u = await users(built);
  const get = (who: { auth: Record<string, string> }, url: string) => app.inject({ method: 'GET', url, headers: who.auth });
  // At every step the care relationship as one SQL condition (what a doctor's list compiles into
  // its statement: CareRelationships.sqlCondition) must agree with the checks run one by one.
  const sqlAgrees = async (doctorId: string, patientId: string) => {
    const condition = built.ctx.care.sqlCondition('$1', '$2');
    assert.ok(condition, 'every registered care link has a SQL form');
    const result = await built.ctx.db.executeQuery<{ ok: boolean }>(CompiledQuery.raw(`select ${condition} as ok`, [doctorId, patientId]));
    assert.equal(result.rows[0]!.ok, await built.ctx.care.exists(built.ctx.db, doctorId, patientId), `SQL condition for ${doctorId} → ${patientId}`);
  };
  const recordsOf = async (who: { id: string; auth: Record<string, string> }, patientId: string) => {
    await sqlAgrees(who.id, patientId);
    return get(who, `/api/v1/medical/records?patient_id=${patientId}`);
  };
  const careAudit = async (patientId: string) =>
    (await get(u.admin, `/api/v1/audit?patient_id=${patientId}&resource_type=care_relationship&limit=100`))
      .json()
      .items.map((e: { action: string; resource_id: string; actor: { id: string } | null }) => `${e.action}:${e.resource_id}`);

  await t.test('a doctor cannot link a stranger by writing user_id on a clinic client', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: u.doctor.auth,
      payload: { first_name: 'Eve', last_name: 'Target', user_id: u.patient.id },
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().user_link_status, 'pending');
    assert.equal((await recordsOf(u.doctor, u.patient.id)).statusCode, 404, 'records stay private');
    assert.equal((await get(u.doctor, `/api/v1/prescriptions?patient_id=${u.patient.id}`)).statusCode, 404);
    assert.equal((await get(u.doctor, `/api/v1/reports?patient_id=${u.patient.id}`)).statusCode, 404);
    assert.equal((await get(u.doctor, `/api/v1/patients/${u.patient.id}/observations?name=glucose`)).statusCode, 404);
    const rx = await app.inject({
      method: 'POST',
      url: '/api/v1/prescriptions',
      headers: u.doctor.auth,
      payload: { patient_id: u.patient.id, items: [{ drug: 'Amoxicillin', dose: '500 mg', frequency: 'tid' }] },
    });
    assert.equal(rx.statusCode, 404, 'no prescription for a stranger');
    const room = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms',
      headers: u.doctor.auth,
      payload: { kind: 'direct', participant_ids: [u.patient.id] },
    });
    assert.equal(room.statusCode, 403, 'no chat with a stranger');
    const appt = await book(built, u.doctor, { slot_id: (await createSlot(built, u.doctor, futureHour(30))).id, patient_id: u.patient.id });
    assert.equal(appt.statusCode, 404, 'no booking for a stranger');
    assert.deepEqual(await careAudit(u.patient.id), [], 'nothing was granted');

    // The patient sees the pending link and declines it: the record no longer names them.
    const links = await get(u.patient, '/api/v1/patients/me/client-links');
    assert.equal(links.statusCode, 200);
    assert.deepEqual(
      links.json().items.map((l: { client_id: string; status: string }) => [l.client_id, l.status]),
      [[created.json().id, 'pending']],
    );
    assert.equal(
      (await app.inject({ method: 'DELETE', url: `/api/v1/patients/me/client-links/${created.json().id}`, headers: u.patient.auth })).statusCode,
      204,
    );
    assert.equal((await get(u.admin, `/api/v1/clients/${created.json().id}`)).json().user_id, null);
    // Another patient cannot act on someone else's link.
    assert.equal(
      (await app.inject({ method: 'POST', url: `/api/v1/patients/me/client-links/${created.json().id}/accept`, headers: u.otherPatient.auth })).statusCode,
      404,
    );
  });

  await t.test("with the patient's consent the assigned doctor gains access; deleting the client ends it; both audited", async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: u.doctor.auth,
      payload: { first_name: 'Pat', last_name: 'Consenting', user_id: u.patient.id },
    });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id;
    assert.equal((await app.inject({ method: 'POST', url: `/api/v1/patients/me/client-links/${id}/accept`, headers: u.patient.auth })).statusCode, 204);
    assert.equal((await get(u.doctor, `/api/v1/clients/${id}`)).json().user_link_status, 'active');
    assert.equal((await recordsOf(u.doctor, u.patient.id)).statusCode, 200);
    assert.deepEqual(await careAudit(u.patient.id), [`grant:${u.doctor.id}`]);

    // A room the doctor opens rests on the link and does not outlive it.
    const room = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms',
      headers: u.doctor.auth,
      payload: { kind: 'direct', participant_ids: [u.patient.id] },
    });
    assert.equal(room.statusCode, 201, room.body);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/clients/${id}`, headers: u.doctor.auth })).statusCode, 204);
    assert.equal((await recordsOf(u.doctor, u.patient.id)).statusCode, 404, 'access ends with the client record');
    assert.equal((await get(u.doctor, `/api/v1/prescriptions?patient_id=${u.patient.id}`)).statusCode, 404);
    assert.deepEqual(await careAudit(u.patient.id), [`revoke:${u.doctor.id}`, `grant:${u.doctor.id}`]);
  });

  await t.test('nurses link only pending; an admin link is active at once; reassignment moves the grant', async () => {
    const byNurse = await app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: u.nurse.auth,
      payload: { first_name: 'O', last_name: 'Other', user_id: u.otherPatient.id, assigned_doctor_id: u.doctor.id },
    });
    assert.equal(byNurse.statusCode, 201, byNurse.body);
    assert.equal(byNurse.json().user_link_status, 'pending');
    assert.equal((await recordsOf(u.doctor, u.otherPatient.id)).statusCode, 404);
    // The admin confirms the same link.
    const confirmed = await app.inject({
      method: 'PUT',
      url: `/api/v1/clients/${byNurse.json().id}`,
      headers: u.admin.auth,
      payload: { user_id: u.otherPatient.id },
    });
    assert.equal(confirmed.json().user_link_status, 'active');
    assert.equal((await recordsOf(u.doctor, u.otherPatient.id)).statusCode, 200);
    const moved = await app.inject({
      method: 'PUT',
      url: `/api/v1/clients/${byNurse.json().id}`,
      headers: u.admin.auth,
      payload: { assigned_doctor_id: u.otherDoctor.id },
    });
    assert.equal(moved.statusCode, 200);
    assert.equal((await recordsOf(u.doctor, u.otherPatient.id)).statusCode, 404);
    assert.equal((await recordsOf(u.otherDoctor, u.otherPatient.id)).statusCode, 200);
    // The reassignment's revoke and grant are one change with one timestamp, so their relative
    // order in the log is not defined: compare them as a pair, after the first grant.
    const trail = await careAudit(u.otherPatient.id);
    assert.equal(trail.length, 3);
    assert.deepEqual([...trail.slice(0, 2)].sort(), [`grant:${u.otherDoctor.id}`, `revoke:${u.doctor.id}`].sort());
    assert.equal(trail[2], `grant:${u.doctor.id}`);
    // A doctor cannot re-point an active link at another patient and keep access.
    const repoint = await app.inject({
      method: 'PUT',
      url: `/api/v1/clients/${byNurse.json().id}`,
      headers: u.otherDoctor.auth,
      payload: { user_id: u.patient.id },
    });
    assert.equal(repoint.json().user_link_status, 'pending');
    assert.equal((await recordsOf(u.otherDoctor, u.patient.id)).statusCode, 404);
    assert.equal((await recordsOf(u.otherDoctor, u.otherPatient.id)).statusCode, 404);
  });

  await t.test('an appointment the patient books grants access; cancelling it revokes; both audited', async () => {
    const slot = await createSlot(built, u.otherDoctor, futureHour(50));
    const booked = await book(built, u.patient, { slot_id: slot.id });
    assert.equal(booked.statusCode, 201, booked.body);
    assert.equal((await recordsOf(u.otherDoctor, u.patient.id)).statusCode, 200);
    const cancel = await app.inject({
      method: 'POST',
      url: `/api/v1/appointments/${booked.json().id}/cancel`,
      headers: u.patient.auth,
      payload: { reason: 'better now' },
    });
    assert.equal(cancel.statusCode, 200, cancel.body);
    assert.equal((await recordsOf(u.otherDoctor, u.patient.id)).statusCode, 404);
    const trail = await careAudit(u.patient.id);
    assert.deepEqual(trail.slice(0, 2), [`revoke:${u.otherDoctor.id}`, `grant:${u.otherDoctor.id}`]);
  });

  await t.test('a room the clinic set up is a link; the patient leaving it ends the link (audited)', async () => {
    // The clinic (a nurse) sets up a room between a doctor and the patient: a referral.
    const room = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms/create',
      headers: u.nurse.auth,
      payload: { doctor_id: u.otherDoctor.id, patient_id: u.otherPatient.id },
    });
    assert.equal(room.statusCode, 201, room.body);
    assert.equal((await recordsOf(u.otherDoctor, u.otherPatient.id)).statusCode, 200);
    const left = await app.inject({ method: 'POST', url: `/api/v1/chat/rooms/${room.json().id}/leave`, headers: u.otherPatient.auth });
    assert.equal(left.statusCode, 204);
    // The client link (moved to otherDoctor, then re-pointed) no longer covers otherPatient.
    assert.equal((await recordsOf(u.otherDoctor, u.otherPatient.id)).statusCode, 404);
    assert.deepEqual((await careAudit(u.otherPatient.id)).slice(0, 2), [`revoke:${u.otherDoctor.id}`, `grant:${u.otherDoctor.id}`]);
  });
});
