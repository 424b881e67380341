import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { build } from '../../../test/helpers/build.js';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import { multipartBody } from '../../../test/helpers/files.js';
import { createSlot, futureHour } from '../../../test/helpers/scheduling.js';
import { irregularLesion } from './analysis/testing.js';

/**
 * Review M3: a skin consult shares the case with the booked dermatologist, and that sharing
 * ends. The consult itself opens no chart (the appointment it books is the care
 * relationship), and cancelling the appointment — by the patient or the doctor — ends the
 * chart access, the record and its image, and the chat room the consult opened; audited.
 */
test('a skin consult grants the case while its appointment stands, and ends with it', async (t) => {
  const built = await build(t);
  const { app } = built;
  const [patient, dermatologist] = await Promise.all([createUser(built, 'patient'), createUser(built, 'doctor')]);
  const specialty = await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: dermatologist.auth, payload: { specialty: 'dermatology' } });
  assert.equal(specialty.statusCode, 200, specialty.body);
  const get = (user: TestUser, url: string) => app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user.auth });
  const image = irregularLesion();
  const png = await sharp(Buffer.from(image.rgb), { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
  const { payload, headers } = multipartBody([{ name: 'image', filename: 'back.png', contentType: 'image/png', data: png }]);
  const diagnosed = await app.inject({ method: 'POST', url: '/api/v1/infections/diagnose', payload, headers: { ...headers, ...patient.auth } });
  assert.equal(diagnosed.statusCode, 201, diagnosed.body);
  const record = diagnosed.json();
  const access = async () => ({
    record: (await get(dermatologist, `/infections/${record.id}`)).statusCode,
    image: (await get(dermatologist, `/files/${record.image_file_id}`)).statusCode,
    chart: (await get(dermatologist, `/medical/records?patient_id=${patient.id}`)).statusCode,
    listed: (await get(dermatologist, '/infections')).json().items.length as number,
  });
  const consult = async () => app.inject({ method: 'POST', url: `/api/v1/infections/${record.id}/consult`, headers: patient.auth });
  const cancel = (user: TestUser, appointmentId: string) =>
    app.inject({ method: 'POST', url: `/api/v1/appointments/${appointmentId}/cancel`, headers: user.auth, payload: { reason: 'no longer needed' } });
  const auditOf = async (resourceType: string) =>
    built.ctx.db
      .selectFrom('audit_log')
      .select(['action', 'resource_id as id', 'details'])
      .where('patient_id', '=', patient.id)
      .where('resource_type', '=', resourceType)
      .orderBy('at')
      .execute();

  assert.deepEqual(await access(), { record: 404, image: 404, chart: 404, listed: 0 }, 'nothing before the consult');

  await t.test('grant: the booked dermatologist reads the case and (through the appointment) the chart', async () => {
    await createSlot(built, dermatologist, futureHour(30));
    const res = await consult();
    assert.equal(res.statusCode, 201, res.body);
    const c = res.json().consult;
    assert.equal(c.status, 'booked');
    assert.equal(c.ended_at, null);
    assert.deepEqual(await access(), { record: 200, image: 200, chart: 200, listed: 1 });
    assert.equal((await get(dermatologist, `/chat/rooms/${c.chat_room_id}/history`)).statusCode, 200);
    // The image is stored without a patient link, yet its reads are audited against the patient.
    const imageReads = (await auditOf('file')).filter((e) => e.id === record.image_file_id && e.action === 'read');
    assert.ok(imageReads.length >= 1, 'the dermatologist’s image read is in the patient’s audit trail');
    const grants = (await auditOf('care_relationship')).filter((e) => e.action === 'grant');
    assert.deepEqual(grants, [
      { action: 'grant', id: dermatologist.id, details: { cause: 'appointment', appointment_id: c.appointment_id, via: 'skin_consult', record_id: record.id } },
    ]);
  });

  await t.test('end: the patient cancels the consult appointment → case, image, chart and consult room all closed; audited', async () => {
    const c = (await get(patient, `/infections/${record.id}`)).json().consult;
    const roomId = c.chat_room_id;
    const cancelled = await cancel(patient, c.appointment_id);
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.deepEqual(await access(), { record: 404, image: 404, chart: 404, listed: 0 });
    assert.equal((await get(dermatologist, `/chat/rooms/${roomId}/history`)).statusCode, 404, 'the doctor left the room the consult opened');
    assert.equal((await get(patient, `/chat/rooms/${roomId}/history`)).statusCode, 200, 'the patient keeps their conversation');
    const mine = await get(patient, `/infections/${record.id}`);
    assert.equal(mine.json().consult.status, 'cancelled');
    assert.ok(mine.json().consult.ended_at);
    const revoked = (await auditOf('infection_record')).filter((e) => e.action === 'revoke');
    assert.equal(revoked.length, 1);
    assert.equal(revoked[0]!.id, record.id);
    assert.deepEqual(
      { ...(revoked[0]!.details as Record<string, unknown>) },
      { consult_id: c.id, shared_with: dermatologist.id, appointment_id: c.appointment_id, cancelled_by: patient.id },
    );
  });

  await t.test('asking again books a new consult; the doctor cancelling it ends it too', async () => {
    await createSlot(built, dermatologist, futureHour(40));
    const res = await consult();
    assert.equal(res.statusCode, 201, res.body);
    const c = res.json().consult;
    assert.equal(c.status, 'booked');
    assert.deepEqual(await access(), { record: 200, image: 200, chart: 200, listed: 1 });
    const again = await consult();
    assert.equal(again.statusCode, 200, 'a live consult is returned, not doubled');
    assert.equal(again.json().consult.id, c.id);
    assert.equal((await cancel(dermatologist, c.appointment_id)).statusCode, 200);
    assert.deepEqual(await access(), { record: 404, image: 404, chart: 404, listed: 0 });
    assert.equal((await get(patient, `/infections/${record.id}`)).json().consult.status, 'cancelled');
  });
});
