import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import { createSlot, futureHour } from '../../../test/helpers/scheduling.js';
import { upload } from '../../../test/helpers/files.js';
import { enqueueJob } from '../../platform/jobs/index.js';
import { PushKeys } from './testing.js';
import { setup, until } from './test-setup.js';

/**
 * Issue 13 "Done when": every event reaches every enabled channel — the in-app row, an email in
 * the real SMTP capture and a web push that the local receiver decrypts with the subscription's
 * keys — for each recipient it concerns, with everything on (the default preferences).
 */
test('notifications: every event reaches in-app, email and push', async (t) => {
  const { built, smtp, push, api } = await setup(t, { REMINDER_OFFSETS_SECONDS: '3600,60' });
  const devices = new Map<string, PushKeys>();
  const subscribe = async (user: TestUser) => {
    const keys = new PushKeys();
    const res = await api(user, 'POST', '/notifications/push-subscriptions', {
      endpoint: `${push.base}/ok/${user.id}`,
      keys: { p256dh: keys.p256dh, auth: keys.authSecret },
    });
    assert.equal(res.statusCode, 201, res.body);
    devices.set(user.id, keys);
  };
  /** The event `type` reached `user` on all three channels (once each). */
  const everywhere = async (user: TestUser, type: string, subject: RegExp, channels = { push: true }) => {
    const inApp = await until(async () => {
      const rows = (await api(user, 'GET', '/notifications?limit=100')).json().items.filter((n: { type: string }) => n.type === type);
      return rows.length ? rows : undefined;
    }, 20_000);
    assert.equal(inApp.length, 1, `${type}: one in-app row for ${user.role}`);
    await smtp.next((m) => m.to.includes(user.email) && subject.test(m.subject), 20_000);
    if (!channels.push) return;
    const keys = devices.get(user.id)!;
    const pushes = () =>
      push.received.filter((r) => r.path === `/ok/${user.id}`).filter((r) => (JSON.parse(keys.decrypt(r.body)) as { type: string }).type === type);
    await until(() => pushes().length > 0, 20_000);
    assert.equal(pushes().length, 1, `${type}: one push for ${user.role}`);
  };

  const [patient, doctor, waiter] = await Promise.all([
    createUser(built, 'patient'),
    createUser(built, 'doctor', { stepUp: true }),
    createUser(built, 'patient'),
  ]);
  for (const user of [patient, doctor, waiter]) await subscribe(user);

  // Booked, then the 60 s reminder ~10 s later (both parties).
  const soon = await createSlot(built, doctor, new Date(Date.now() + 70_000));
  const booked = await api(patient, 'POST', '/appointments', { slot_id: soon.id });
  assert.equal(booked.statusCode, 201, booked.body);
  await everywhere(patient, 'appointment_booked', /booked/i);
  await everywhere(doctor, 'appointment_booked', /booked/i);
  await everywhere(patient, 'appointment_reminder', /Reminder/);
  await everywhere(doctor, 'appointment_reminder', /Reminder/);

  // Rescheduled, then cancelled (the cancellation frees the slot: the waiting patient is offered it).
  const later = await createSlot(built, doctor, futureHour(30));
  const moved = await api(patient, 'POST', `/appointments/${booked.json().id}/reschedule`, { slot_id: later.id });
  assert.equal(moved.statusCode, 200, moved.body);
  await everywhere(patient, 'appointment_rescheduled', /moved/i);
  await everywhere(doctor, 'appointment_rescheduled', /moved/i);
  const day = new Date(later.start).toISOString().slice(0, 10);
  assert.equal((await api(waiter, 'POST', '/waitlist', { doctor_id: doctor.id, from_date: day, to_date: day, time_zone: 'UTC' })).statusCode, 201);
  assert.equal((await api(patient, 'POST', `/appointments/${booked.json().id}/cancel`, { reason: 'travel' })).statusCode, 200);
  await everywhere(patient, 'appointment_cancelled', /cancelled/i);
  await everywhere(doctor, 'appointment_cancelled', /cancelled/i);
  await everywhere(waiter, 'waitlist_offer', /slot opened/i);

  // A care relationship again (a new booking), then a new prescription and an abnormal lab
  // report uploaded by the clinician (the patient and the clinician who uploaded it are told).
  const again = await createSlot(built, doctor, futureHour(50));
  assert.equal((await api(patient, 'POST', '/appointments', { slot_id: again.id })).statusCode, 201);
  const rx = await api(doctor, 'POST', '/prescriptions', { patient_id: patient.id, items: [{ drug: 'Amoxicillin', dose: '500 mg', frequency: 'tid' }] });
  assert.equal(rx.statusCode, 201, rx.body);
  await everywhere(patient, 'prescription_created', /prescription/i);
  const report = await upload(
    built,
    doctor,
    '/api/v1/reports',
    { filename: 'labs.csv', data: 'test,value,unit,range\nGlucose,11.2,mmol/L,3.9-5.5\n' },
    { patient_id: patient.id },
  );
  assert.equal(report.statusCode, 201, report.body);
  await everywhere(patient, 'lab_result_abnormal', /lab result/i);
  await everywhere(doctor, 'lab_result_abnormal', /lab result/i);

  // A chat message while the doctor is offline.
  const room = await api(patient, 'POST', '/chat/rooms', { kind: 'direct', participant_ids: [doctor.id] });
  assert.ok(room.statusCode < 300, room.body);
  assert.ok((await api(patient, 'POST', `/chat/rooms/${room.json().id}/messages`, { content: 'hello' })).statusCode < 300);
  await everywhere(doctor, 'chat_message', /New message/);

  // An emergency: every clinician with a care relationship.
  const check = await api(patient, 'POST', '/ml/emergency/check', { text: "I can't breathe" });
  assert.equal(check.json().is_emergency, true, check.body);
  await everywhere(doctor, 'emergency_alert', /Emergency/);

  // Account approved: in-app and email. Push is not a channel yet: an account awaiting approval
  // cannot subscribe a browser (403), so there is no subscription to push to.
  const admin = await createUser(built, 'admin', { stepUp: true });
  const pending = await createUser(built, 'doctor', { pending: true });
  const keys = new PushKeys();
  const early = await api(pending, 'POST', '/notifications/push-subscriptions', {
    endpoint: `${push.base}/ok/p`,
    keys: { p256dh: keys.p256dh, auth: keys.authSecret },
  });
  assert.equal(early.statusCode, 403);
  assert.equal((await api(admin, 'POST', `/users/${pending.id}/approve`)).statusCode, 200);
  await everywhere(pending, 'account_approved', /approved/i, { push: false });
});

test('notifications: a reminder for an appointment that was deleted is a visible failed job, at once (no retries)', async (t) => {
  const { built, api } = await setup(t);
  const [patient, doctor, admin] = await Promise.all([createUser(built, 'patient'), createUser(built, 'doctor'), createUser(built, 'admin', { stepUp: true })]);
  const gone = randomUUID();
  const payload = { appointment_id: gone, patient_id: patient.id, doctor_id: doctor.id, start: new Date().toISOString(), offset_seconds: 60 };
  await enqueueJob(built.ctx.db, { queue: 'notify.reminder', key: `reminder|${gone}|60`, payload, maxAttempts: 10 });
  built.ctx.services.notifications.jobs.wake();
  const failed = await until(async () => {
    const items = (await api(admin, 'GET', '/admin/jobs?state=failed')).json().items as { key: string; attempts: number; last_error: string }[];
    return items.find((job) => job.key === `reminder|${gone}|60`);
  });
  assert.equal(failed.attempts, 1, 'a permanent failure: no retries');
  assert.match(failed.last_error, /no longer exists/);
});
