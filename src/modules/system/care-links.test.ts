import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { build } from '../../../test/helpers/build.js';
import { multipartBody } from '../../../test/helpers/files.js';
import { book, createSlot, futureHour, users } from '../../../test/helpers/scheduling.js';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import { irregularLesion } from '../infections/analysis/testing.js';

/**
 * docs/SECURITY.md, "How care relationships arise and end": every way a doctor–patient
 * relationship can be created, each tried by a doctor alone against a patient they have no
 * relationship with. After each attempt the doctor still gets 404 on the chart and no
 * `grant` was audited. (The consenting paths — patient booking, admin link, patient accepting,
 * nurse referral room — are walked in src/modules/scheduling/care-link.test.ts; the skin
 * consult's end in src/modules/infections/consult-end.test.ts.)
 */
test('a doctor cannot mint a care relationship with an arbitrary patient', async (t) => {
  const built = await build(t, {}, { RATE_LIMIT_API_PER_MIN: '1000000' });
  const { app } = built;
  const u = await users(built);
  const stranger = u.doctor; // has no relationship with u.patient
  const target = u.patient;
  const inject = (who: TestUser, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { ...who.auth, ...headers },
      ...(payload !== undefined && { payload: payload as object }),
    });
  const chart = async (who: TestUser, patientId = target.id) => ({
    records: (await inject(who, 'GET', `/medical/records?patient_id=${patientId}`)).statusCode,
    prescriptions: (await inject(who, 'GET', `/prescriptions?patient_id=${patientId}`)).statusCode,
    reports: (await inject(who, 'GET', `/reports?patient_id=${patientId}`)).statusCode,
    profile: (await inject(who, 'GET', `/patients/${patientId}`)).statusCode,
  });
  const NONE = { records: 404, prescriptions: 404, reports: 404, profile: 404 };
  const grants = async (patientId = target.id) =>
    (await built.ctx.db.selectFrom('audit_log').select(['resource_id']).where('patient_id', '=', patientId).where('action', '=', 'grant').execute()).map(
      (r) => r.resource_id,
    );
  const assertNoAccess = async (label: string, doctor: TestUser = stranger, patientId = target.id) => {
    assert.deepEqual(await chart(doctor, patientId), NONE, `${label}: chart stays closed`);
    assert.ok(!(await grants(patientId)).includes(doctor.id), `${label}: no grant audited`);
  };

  await assertNoAccess('start');

  await t.test('appointments: a doctor booking a stranger, on their own slot, by slot or by time, or on a colleague’s slot', async () => {
    const own = await createSlot(built, stranger, futureHour(30));
    assert.equal((await book(built, stranger, { slot_id: own.id, patient_id: target.id })).statusCode, 404);
    assert.equal((await book(built, stranger, { doctor_id: stranger.id, start: own.start, patient_id: target.id })).statusCode, 404);
    const colleague = await createSlot(built, u.otherDoctor, futureHour(31));
    assert.equal((await book(built, stranger, { slot_id: colleague.id, patient_id: target.id })).statusCode, 404);
    // The patient-only entry points refuse doctors outright.
    assert.equal((await inject(stranger, 'POST', '/appointments/request', { doctor_id: stranger.id })).statusCode, 403);
    assert.equal(
      (await inject(stranger, 'POST', '/waitlist', { doctor_id: stranger.id, from_date: '2030-01-01', to_date: '2030-01-10', time_zone: 'UTC' })).statusCode,
      403,
    );
    assert.equal((await inject(u.admin, 'GET', `/appointments?patient_id=${target.id}`)).json().items.length, 0, 'nothing was booked');
    await assertNoAccess('appointments');
  });

  await t.test('appointments: a doctor booking their own patient into a colleague’s slot gives the colleague nothing', async () => {
    // Security review: this used to be allowed (a "referral"), and the booking made the colleague
    // a care relationship with the patient's whole chart without the patient doing anything.
    const [treating, colleague, patient] = await Promise.all([createUser(built, 'doctor'), createUser(built, 'doctor'), createUser(built, 'patient')]);
    const first = await createSlot(built, treating, futureHour(34));
    assert.equal((await book(built, patient, { slot_id: first.id })).statusCode, 201, 'the treating doctor cares for the patient');
    const colleagueSlot = await createSlot(built, colleague, futureHour(35));
    const bySlot = await book(built, treating, { slot_id: colleagueSlot.id, patient_id: patient.id });
    assert.equal(bySlot.statusCode, 403, bySlot.body);
    assert.match(bySlot.json().type, /referral-via-clinic$/);
    const byTime = await book(built, treating, { doctor_id: colleague.id, start: colleagueSlot.start, patient_id: patient.id });
    assert.equal(byTime.statusCode, 403, byTime.body);
    const fhir = await app.inject({
      method: 'POST',
      url: '/fhir/R4/Appointment',
      headers: { ...treating.auth, 'content-type': 'application/fhir+json' },
      payload: JSON.stringify({
        resourceType: 'Appointment',
        status: 'booked',
        slot: [{ reference: `Slot/${colleagueSlot.id}` }],
        participant: [{ actor: { reference: `Patient/${patient.id}` }, status: 'accepted' }],
      }),
    });
    assert.equal(fhir.statusCode, 403, fhir.body);
    await assertNoAccess('booked into a colleague’s slot', colleague, patient.id);
    // A follow-up in the treating doctor's own slot stays possible; so does the clinic's referral.
    const followUp = await createSlot(built, treating, futureHour(36));
    assert.equal((await book(built, treating, { slot_id: followUp.id, patient_id: patient.id })).statusCode, 201);
    const referral = await book(built, u.nurse, { slot_id: colleagueSlot.id, patient_id: patient.id });
    assert.equal(referral.statusCode, 201, 'a nurse refers');
    assert.equal((await chart(colleague, patient.id)).records, 200, 'the clinic’s referral is a relationship');
    assert.equal((await inject(patient, 'POST', `/appointments/${referral.json().id}/cancel`, { reason: 'done' })).statusCode, 200);
    assert.deepEqual(await chart(colleague, patient.id), NONE, 'and it ends when the patient cancels');
  });

  await t.test('FHIR: POST Appointment naming the stranger as the patient', async () => {
    const slot = await createSlot(built, stranger, futureHour(32));
    const res = await app.inject({
      method: 'POST',
      url: '/fhir/R4/Appointment',
      headers: { ...stranger.auth, 'content-type': 'application/fhir+json' },
      payload: JSON.stringify({
        resourceType: 'Appointment',
        status: 'booked',
        slot: [{ reference: `Slot/${slot.id}` }],
        participant: [{ actor: { reference: `Patient/${target.id}` }, status: 'accepted' }],
      }),
    });
    assert.ok([403, 404].includes(res.statusCode), `${res.statusCode} ${res.body}`);
    await assertNoAccess('FHIR Appointment');
  });

  await t.test('clinic clients: user_id, the patient’s email, re-pointing, self-acceptance', async () => {
    const withId = await inject(stranger, 'POST', '/clients', { first_name: 'A', last_name: 'Target', user_id: target.id });
    assert.equal(withId.statusCode, 201, withId.body);
    assert.equal(withId.json().user_link_status, 'pending');
    // Accepting is the patient's act: a doctor cannot accept on their behalf.
    assert.equal((await inject(stranger, 'POST', `/patients/me/client-links/${withId.json().id}/accept`)).statusCode, 403);
    await assertNoAccess('client with user_id');
    // A client carrying the patient's email (and name) is not linked to the account.
    const byEmail = await inject(stranger, 'POST', '/clients', { first_name: 'B', last_name: 'Target', email: target.email });
    assert.equal(byEmail.statusCode, 201, byEmail.body);
    assert.equal(byEmail.json().user_id, null);
    await assertNoAccess('client with the patient’s email');
    // Re-pointing a record at the patient is pending too.
    const repointed = await inject(stranger, 'PUT', `/clients/${byEmail.json().id}`, { user_id: u.otherPatient.id });
    assert.equal(repointed.statusCode, 200, repointed.body);
    assert.equal(repointed.json().user_link_status, 'pending');
    await assertNoAccess('client re-pointed', stranger, u.otherPatient.id);
    // Assigning a client to a colleague is for nurses and admins.
    const assign = await inject(stranger, 'POST', '/clients', {
      first_name: 'C',
      last_name: 'Target',
      user_id: target.id,
      assigned_doctor_id: u.otherDoctor.id,
    });
    assert.equal(assign.statusCode, 422, assign.body);
    await assertNoAccess('client assigned to a colleague', u.otherDoctor);
  });

  await t.test('chat: direct rooms (both routes), care-team rooms, and re-opening a room the patient left', async () => {
    assert.equal((await inject(stranger, 'POST', '/chat/rooms', { kind: 'direct', participant_ids: [target.id] })).statusCode, 403);
    assert.equal((await inject(stranger, 'POST', '/chat/rooms/create', { doctor_id: stranger.id, patient_id: target.id })).statusCode, 403);
    const team = await inject(stranger, 'POST', '/chat/rooms', { kind: 'care_team', participant_ids: [target.id, u.otherDoctor.id] });
    assert.equal(team.statusCode, 422, team.body);
    await assertNoAccess('chat');

    // A doctor who has a patient cannot pass them to a colleague through a care-team room.
    const slot = await createSlot(built, u.otherDoctor, futureHour(33));
    const booked = await book(built, u.otherPatient, { slot_id: slot.id });
    assert.equal(booked.statusCode, 201, booked.body);
    const shared = await inject(u.otherDoctor, 'POST', '/chat/rooms', { kind: 'care_team', participant_ids: [u.otherPatient.id, stranger.id] });
    assert.equal(shared.statusCode, 201, shared.body);
    await assertNoAccess('care-team room made by a doctor', stranger, u.otherPatient.id);

    // The patient opened a room with their doctor, then left it (ending the relationship it
    // caused). The doctor, while a later appointment lasts, re-opens it: once that appointment
    // is cancelled, access must end — the patient's earlier consent does not come back.
    const room = await inject(u.otherPatient, 'POST', '/chat/rooms', { kind: 'direct', participant_ids: [u.otherDoctor.id] });
    assert.equal(room.statusCode, 201, room.body);
    assert.equal((await inject(u.otherPatient, 'POST', `/chat/rooms/${room.json().id}/leave`)).statusCode, 204);
    const reopened = await inject(u.otherDoctor, 'POST', '/chat/rooms', { kind: 'direct', participant_ids: [u.otherPatient.id] });
    assert.equal(reopened.statusCode, 200, reopened.body);
    assert.equal(reopened.json().id, room.json().id);
    assert.equal((await chart(u.otherDoctor, u.otherPatient.id)).records, 200, 'the appointment stands');
    assert.equal((await inject(u.otherPatient, 'POST', `/appointments/${booked.json().id}/cancel`, { reason: 'better' })).statusCode, 200);
    assert.deepEqual(await chart(u.otherDoctor, u.otherPatient.id), NONE, 'the re-opened room is no relationship');
  });

  await t.test('skin consult: only the patient asks for one (the doctor cannot consult a patient’s record)', async () => {
    const image = irregularLesion();
    const png = await sharp(Buffer.from(image.rgb), { raw: { width: image.width, height: image.height, channels: 3 } })
      .png()
      .toBuffer();
    const { payload, headers } = multipartBody([{ name: 'image', filename: 'spot.png', contentType: 'image/png', data: png }]);
    const record = await app.inject({ method: 'POST', url: '/api/v1/infections/diagnose', payload, headers: { ...headers, ...target.auth } });
    assert.equal(record.statusCode, 201, record.body);
    assert.equal((await inject(stranger, 'POST', `/infections/${record.json().id}/consult`, {})).statusCode, 403);
    assert.equal((await inject(stranger, 'GET', `/infections/${record.json().id}`)).statusCode, 404);
    await assertNoAccess('skin consult');
  });

  await t.test('writes that name a patient create no relationship: records, prescriptions, reports, allergies', async () => {
    assert.equal(
      (await inject(stranger, 'POST', '/medical/records', { patient_id: target.id, record_type: 'note', title: 'x', content: 'y' })).statusCode,
      404,
    );
    assert.equal(
      (await inject(stranger, 'POST', '/prescriptions', { patient_id: target.id, items: [{ drug: 'Amoxicillin', dose: '500 mg', frequency: 'tid' }] }))
        .statusCode,
      404,
    );
    assert.equal((await inject(stranger, 'POST', `/patients/${target.id}/allergies`, { substance: 'Peanut' })).statusCode, 404);
    await assertNoAccess('writes');
  });
});
