import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { build } from '../../../test/helpers/build.js';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import { multipartBody } from '../../../test/helpers/files.js';
import { createSlot, futureHour } from '../../../test/helpers/scheduling.js';
import { irregularLesion } from './analysis/testing.js';

/**
 * Issue 16: a consult that found no free dermatology slot joins the waitlist; when a slot frees
 * up (a cancellation or a reschedule) and scheduling offers it to that entry, the consult books
 * it for the patient, shares the case with that dermatologist, leaves the waitlist, and the
 * patient is told (the `appointment.booked` notification). Through scheduling's public API only.
 */
test('a waitlisted skin consult becomes a booked consult when a dermatology slot frees up', async (t) => {
  const built = await build(t);
  const { app } = built;
  const [patient, otherPatient, dermatologist] = await Promise.all([createUser(built, 'patient'), createUser(built, 'patient'), createUser(built, 'doctor')]);
  const specialty = await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: dermatologist.auth, payload: { specialty: 'dermatology' } });
  assert.equal(specialty.statusCode, 200, specialty.body);
  const get = (user: TestUser, url: string) => app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user.auth });

  // The only dermatology slot is taken by another patient.
  const slot = await createSlot(built, dermatologist, futureHour(50));
  const taken = await app.inject({ method: 'POST', url: '/api/v1/appointments', headers: otherPatient.auth, payload: { slot_id: slot.id, type: 'video' } });
  assert.equal(taken.statusCode, 201, taken.body);

  const image = irregularLesion();
  const png = await sharp(Buffer.from(image.rgb), { raw: { width: image.width, height: image.height, channels: 3 } })
    .png()
    .toBuffer();
  const { payload, headers } = multipartBody([
    { name: 'body_site', data: 'upper back' },
    { name: 'image', filename: 'back.png', contentType: 'image/png', data: png },
  ]);
  const diagnosed = await app.inject({ method: 'POST', url: '/api/v1/infections/diagnose', payload, headers: { ...headers, ...patient.auth } });
  assert.equal(diagnosed.statusCode, 201, diagnosed.body);
  const record = diagnosed.json();

  const asked = await app.inject({ method: 'POST', url: `/api/v1/infections/${record.id}/consult`, headers: patient.auth, payload: { type: 'video' } });
  assert.equal(asked.statusCode, 201, asked.body);
  const waiting = asked.json().consult;
  assert.equal(waiting.status, 'waitlisted');
  assert.equal(waiting.appointment_id, null);
  assert.equal((await get(dermatologist, `/infections/${record.id}`)).statusCode, 404, 'nothing shared while waiting');

  // The other patient cancels: scheduling offers the freed slot to the waitlist entry.
  const cancelled = await app.inject({
    method: 'POST',
    url: `/api/v1/appointments/${taken.json().id}/cancel`,
    headers: otherPatient.auth,
    payload: { reason: 'feeling better' },
  });
  assert.equal(cancelled.statusCode, 200, cancelled.body);

  const after = (await get(patient, `/infections/${record.id}`)).json();
  assert.equal(after.consult.status, 'booked', JSON.stringify(after.consult));
  assert.equal(after.consult.id, waiting.id, 'the same consult, now booked');
  assert.equal(after.consult.doctor_id, dermatologist.id);
  assert.ok(after.consult.appointment_id);
  assert.ok(after.consult.chat_room_id, 'the case was posted to the dermatologist');

  // The booking is the patient's, on the freed slot, through scheduling.
  const appointment = (await get(patient, `/appointments/${after.consult.appointment_id}`)).json();
  assert.equal(appointment.slot_id ?? slot.id, slot.id);
  assert.equal(appointment.patient_id, patient.id);
  assert.equal(appointment.doctor_id, dermatologist.id);
  assert.equal(appointment.status, 'scheduled');

  // Shared with that dermatologist now: the record and its image.
  assert.equal((await get(dermatologist, `/infections/${record.id}`)).statusCode, 200);
  assert.equal((await get(dermatologist, `/files/${record.image_file_id}`)).statusCode, 200);

  // The patient is told, and no longer waits.
  const notes = (await get(patient, '/notifications?limit=50')).json().items as { type: string; data?: { appointment_id?: string } }[];
  assert.ok(
    notes.some((n) => n.type === 'appointment_booked' && n.data?.appointment_id === after.consult.appointment_id),
    `notifications: ${JSON.stringify(notes.map((n) => n.type))}`,
  );
  const entry = (await get(patient, '/waitlist')).json().items.find((w: { id: string }) => w.id === waiting.waitlist_entry_id);
  assert.ok(!entry || !['waiting', 'offered'].includes(entry.status), `waitlist entry still ${entry?.status}`);

  // Audited as consent, on the patient's behalf.
  const consent = await built.ctx.db
    .selectFrom('audit_log')
    .select(['action', 'details'])
    .where('resource_id', '=', record.id)
    .where('action', '=', 'consent')
    .execute();
  assert.ok(consent.some((row) => JSON.stringify(row.details).includes('waitlist_offer')));

  // Asking again returns the booked consult; nothing is booked twice.
  const again = await app.inject({ method: 'POST', url: `/api/v1/infections/${record.id}/consult`, headers: patient.auth });
  assert.equal(again.statusCode, 200, again.body);
  assert.equal(again.json().consult.appointment_id, after.consult.appointment_id);
});
