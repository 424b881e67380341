import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser } from '../../../test/helpers/users.js';
import { createSlot, futureHour } from '../../../test/helpers/scheduling.js';
import { PushKeys } from './testing.js';
import { upload } from '../../../test/helpers/files.js';
import { setup, sleep, until } from './test-setup.js';

test('notifications: emergencies, prescriptions, lab results, waitlist, approval', async (t) => {
  const { built, smtp, push, api } = await setup(t);
  await t.test('emergency: every clinician with a care relationship, at once, every channel, whatever preferences and quiet hours say', async () => {
    const [patient, doctor, unrelated] = await Promise.all([
      createUser(built, 'patient', { fullName: 'Em Ergency' }),
      createUser(built, 'doctor'),
      createUser(built, 'doctor'),
    ]);
    const slot = await createSlot(built, doctor, futureHour(50));
    assert.equal((await api(patient, 'POST', '/appointments', { slot_id: slot.id })).statusCode, 201);
    // The doctor turned emergency email off and is in quiet hours all day: it still goes.
    const prefs = await api(doctor, 'PUT', '/notifications/preferences', {
      time_zone: 'Europe/Paris',
      quiet_hours: { start: '00:00', end: '23:59' },
      channels: { emergency_alert: { email: false, push: false }, appointment_booked: { email: false } },
    });
    assert.equal(prefs.statusCode, 200, prefs.body);
    const keys = new PushKeys();
    assert.equal(
      (await api(doctor, 'POST', '/notifications/push-subscriptions', { endpoint: `${push.base}/ok/em`, keys: { p256dh: keys.p256dh, auth: keys.authSecret } }))
        .statusCode,
      201,
    );
    const emailsBefore = smtp.received.length;

    const check = await api(patient, 'POST', '/ml/emergency/check', { text: "I can't breathe and my chest hurts" });
    assert.equal(check.statusCode, 200, check.body);
    assert.equal(check.json().is_emergency, true);

    const mail = await smtp.next((m) => m.to.includes(doctor.email) && /Emergency/.test(m.subject));
    assert.doesNotMatch(mail.text, /Em Ergency|breathe|chest/i, 'the email names no patient and no symptom');
    // (The booking's own push may reach this subscription too: look for the alert.)
    const pushed = await until(() => push.received.find((r) => r.path === '/ok/em' && JSON.parse(keys.decrypt(r.body)).title === 'Emergency alert'));
    assert.equal(pushed.headers.urgency, 'high');
    const inApp = (await api(doctor, 'GET', '/notifications')).json().items.find((n: { type: string }) => n.type === 'emergency_alert');
    assert.ok(inApp);
    assert.match(inApp.body, /Em Ergency/);
    // Nobody without a care relationship is told.
    assert.equal((await api(unrelated, 'GET', '/notifications')).json().items.length, 0);
    assert.equal(smtp.to(unrelated.email).length, 0);
    assert.ok(smtp.received.length > emailsBefore);

    // Quiet hours hold a non-urgent email (a cancellation) until they end, while the in-app row is there at once.
    const appointment = (await api(patient, 'GET', '/appointments')).json().items[0];
    assert.equal((await api(patient, 'POST', `/appointments/${appointment.id}/cancel`, { reason: 'ok now' })).statusCode, 200);
    const held = await built.ctx.db
      .selectFrom('jobs')
      .select(['run_at', 'key'])
      .where('queue', '=', 'notify.email')
      .where('state', '=', 'scheduled')
      .where('key', 'like', `%appointment_cancelled|${doctor.id}`)
      .executeTakeFirstOrThrow();
    assert.ok(held.run_at.getTime() > Date.now() + 60_000, `held until the quiet hours end (${held.run_at.toISOString()})`);
    assert.ok((await api(doctor, 'GET', '/notifications')).json().items.some((n: { type: string }) => n.type === 'appointment_cancelled'));
    await smtp.next((m) => m.to.includes(patient.email) && /cancelled/i.test(m.subject));
    assert.equal(smtp.to(doctor.email).filter((m) => /cancelled/i.test(m.subject)).length, 0);
  });
  await t.test('prescription, abnormal lab report, waitlist offer and account approval reach their recipient; emails carry no clinical detail', async () => {
    const [patient, doctor, waiter, admin] = await Promise.all([
      createUser(built, 'patient'),
      createUser(built, 'doctor', { stepUp: true }),
      createUser(built, 'patient'),
      createUser(built, 'admin', { stepUp: true }),
    ]);
    const slot = await createSlot(built, doctor, futureHour(70));
    const booked = await api(patient, 'POST', '/appointments', { slot_id: slot.id });
    assert.equal(booked.statusCode, 201, booked.body);

    const prescription = await api(doctor, 'POST', '/prescriptions', {
      patient_id: patient.id,
      items: [{ drug: 'Amoxicillin', dose: '500 mg', frequency: 'tid' }],
    });
    assert.equal(prescription.statusCode, 201, prescription.body);
    const rxMail = await smtp.next((m) => m.to.includes(patient.email) && /prescription/i.test(m.subject));
    assert.doesNotMatch(rxMail.raw, /amoxicillin|500 mg/i);
    assert.match(rxMail.text, new RegExp(`/prescriptions/${prescription.json().id}`));

    const report = await upload(built, patient, '/api/v1/reports', { filename: 'labs.csv', data: 'test,value,unit,range\nGlucose,11.2,mmol/L,3.9-5.5\n' });
    assert.equal(report.statusCode, 201, report.body);
    const labMail = await smtp.next((m) => m.to.includes(patient.email) && /lab result/i.test(m.subject));
    assert.doesNotMatch(labMail.raw, /glucose|11\.2/i);
    // A normal report notifies nobody.
    const before = smtp.to(patient.email).length;
    assert.equal(
      (await upload(built, patient, '/api/v1/reports', { filename: 'ok.csv', data: 'test,value,unit,range\nGlucose,5.0,mmol/L,3.9-5.5\n' })).statusCode,
      201,
    );

    const day = new Date(slot.start).toISOString().slice(0, 10);
    const join = await api(waiter, 'POST', '/waitlist', { doctor_id: doctor.id, from_date: day, to_date: day, time_zone: 'UTC' });
    assert.equal(join.statusCode, 201, join.body);
    assert.equal((await api(patient, 'POST', `/appointments/${booked.json().id}/cancel`, { reason: 'travel' })).statusCode, 200);
    await smtp.next((m) => m.to.includes(waiter.email) && /slot opened/i.test(m.subject));

    const pending = await createUser(built, 'doctor', { pending: true });
    const approved = await api(admin, 'POST', `/users/${pending.id}/approve`);
    assert.equal(approved.statusCode, 200, approved.body);
    await smtp.next((m) => m.to.includes(pending.email) && /approved/i.test(m.subject));
    assert.ok((await api(pending, 'GET', '/notifications')).json().items.some((n: { type: string }) => n.type === 'account_approved'));
    await sleep(300);
    assert.equal(smtp.to(patient.email).filter((m) => /lab result/i.test(m.subject)).length, 1, 'the normal report sent nothing');
    assert.ok(smtp.to(patient.email).length >= before);
  });
});
