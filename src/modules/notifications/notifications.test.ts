import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser } from '../../../test/helpers/users.js';
import { createSlot, futureHour } from '../../../test/helpers/scheduling.js';
import { SocketClient } from '../../../test/helpers/socket-client.js';
import { PushKeys } from './testing.js';
import { setup, sleep, until } from './test-setup.js';

test('notifications: appointments, live frames, push, read marks, preferences', async (t) => {
  const { built, smtp, push, api } = await setup(t, { REMINDER_OFFSETS_SECONDS: '3600,60' });
  await t.test('booking, reschedule and cancellation notify both parties in-app (live), by email and by push; reminders follow the appointment', async () => {
    const [patient, doctor, other] = await Promise.all([
      createUser(built, 'patient', { fullName: 'Pat Ient' }),
      createUser(built, 'doctor', { fullName: 'Doc Tor' }),
      createUser(built, 'patient'),
    ]);

    // A live socket for the patient, a push subscription for the doctor (keys made here, like a browser's).
    await built.app.listen({ port: 0, host: '127.0.0.1' });
    const address = built.app.server.address() as { port: number };
    const socket = await SocketClient.connect(`ws://127.0.0.1:${address.port}`, patient.token);
    t.after(() => socket.ws.close());
    const keys = new PushKeys();
    const sub = await api(doctor, 'POST', '/notifications/push-subscriptions', {
      endpoint: `${push.base}/ok/doctor`,
      keys: { p256dh: keys.p256dh, auth: keys.authSecret },
    });
    assert.equal(sub.statusCode, 201, sub.body);

    // Book an appointment 70 s ahead: the 60 s reminder is due in ~10 s; the 1 h one is already past and is not sent.
    const start = new Date(Date.now() + 70_000);
    const slot = await createSlot(built, doctor, start);
    const slot2 = await createSlot(built, doctor, futureHour(30));
    const booked = await api(patient, 'POST', '/appointments', { slot_id: slot.id, reason: 'persistent cough and fever' });
    assert.equal(booked.statusCode, 201, booked.body);
    const appointmentId = booked.json().id;

    // In-app, in the same transaction: both parties see it at once.
    const mine = await api(patient, 'GET', '/notifications');
    assert.equal(mine.statusCode, 200);
    assert.equal(mine.json().items[0].type, 'appointment_booked');
    assert.match(mine.json().items[0].body, /Doc Tor/);
    assert.equal((await api(doctor, 'GET', '/notifications?unread=true')).json().items[0].type, 'appointment_booked');
    assert.equal((await api(other, 'GET', '/notifications')).json().items.length, 0);

    // Live frame on the socket; emails to both, without the clinical reason; push to the doctor, decrypted.
    const frame = await socket.next((f) => f.type === 'notification', 10_000);
    assert.equal(frame.notification.type, 'appointment_booked');
    assert.equal(frame.unread_count, 1);
    const patientMail = await smtp.next((m) => m.to.includes(patient.email) && /booked/i.test(m.subject));
    assert.match(patientMail.text, /Doc Tor/);
    assert.match(patientMail.raw, /text\/html/);
    assert.doesNotMatch(patientMail.raw, /cough|fever/i, 'no clinical detail in email');
    // The doctor's email and push (outside the portal) say when, not who (review L6); in-app names the patient.
    const doctorMail = await smtp.next((m) => m.to.includes(doctor.email) && /booked/i.test(m.subject));
    assert.doesNotMatch(doctorMail.raw, /Pat Ient|cough|fever/i);
    assert.match(doctorMail.text, /You have a new appointment on .+ Sign in to CareBridge to see the details\./);
    assert.match((await api(doctor, 'GET', '/notifications')).json().items[0].body, /Pat Ient/);
    const pushed = await until(() => push.received.find((r) => r.path === '/ok/doctor'));
    assert.equal(pushed.headers['content-encoding'], 'aes128gcm');
    assert.match(String(pushed.headers.authorization), /^vapid t=.+, k=/);
    const message = JSON.parse(keys.decrypt(pushed.body));
    assert.equal(message.title, 'Appointment booked');
    assert.doesNotMatch(message.body, /Pat Ient/);
    assert.match(message.body, /You have a new appointment on/);

    // The 60 s reminder: once per party, ~10 s from now; never the already-past 1 h one.
    const reminder = await smtp.next((m) => m.to.includes(patient.email) && /Reminder/.test(m.subject), 20_000);
    assert.ok(reminder.receivedAt <= start.getTime() - 60_000 + 10_000, 'within seconds of its due time');
    assert.match(reminder.text, /Doc Tor/);
    assert.doesNotMatch((await smtp.next((m) => m.to.includes(doctor.email) && /Reminder/.test(m.subject), 10_000)).raw, /Pat Ient/);
    await sleep(500);
    assert.equal(smtp.to(patient.email).filter((m) => /Reminder/.test(m.subject)).length, 1);
    assert.equal(smtp.to(doctor.email).filter((m) => /Reminder/.test(m.subject)).length, 1);

    // A second appointment far ahead: reminders wait as jobs; a reschedule moves them in the same
    // transaction; a cancellation removes them.
    const far = await api(patient, 'POST', '/appointments', { slot_id: slot2.id });
    assert.equal(far.statusCode, 201, far.body);
    const jobsOf = (id: string) => built.ctx.db.selectFrom('jobs').select(['key', 'run_at', 'state']).where('key', 'like', `reminder|${id}|%`).execute();
    let reminders = await jobsOf(far.json().id);
    assert.equal(reminders.length, 2);
    const newStart = futureHour(40);
    const slot3 = await createSlot(built, doctor, newStart);
    const moved = await api(patient, 'POST', `/appointments/${far.json().id}/reschedule`, { slot_id: slot3.id });
    assert.equal(moved.statusCode, 200, moved.body);
    reminders = await jobsOf(far.json().id);
    assert.deepEqual(reminders.map((r) => r.run_at.getTime()).sort(), [newStart.getTime() - 3600_000, newStart.getTime() - 60_000]);
    await smtp.next((m) => m.to.includes(patient.email) && /moved/i.test(m.subject));
    const cancelled = await api(patient, 'POST', `/appointments/${far.json().id}/cancel`, { reason: 'feeling better' });
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.equal((await jobsOf(far.json().id)).length, 0, 'no reminder after a cancellation');
    await smtp.next((m) => m.to.includes(doctor.email) && /cancelled/i.test(m.subject));

    // Read, read-all, the badge count; someone else's notification is a 404.
    const list = (await api(patient, 'GET', '/notifications')).json().items;
    assert.ok(list.length >= 4);
    const count = (await api(patient, 'GET', '/notifications/unread-count')).json().unread;
    assert.equal(count, list.length);
    const read = await api(patient, 'POST', `/notifications/${list[0].id}/read`);
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().read, true);
    assert.equal((await api(patient, 'GET', '/notifications?unread=true')).json().items.length, list.length - 1);
    assert.equal((await api(other, 'POST', `/notifications/${list[1].id}/read`)).statusCode, 404);
    assert.equal((await api(doctor, 'POST', `/notifications/${list[1].id}/read`)).statusCode, 404);
    const page1 = (await api(patient, 'GET', '/notifications?limit=2')).json();
    const page2 = (await api(patient, 'GET', `/notifications?limit=2&cursor=${page1.next_cursor}`)).json();
    assert.equal(page2.items.length, 2);
    assert.notEqual(page2.items[0].id, page1.items[1].id);
    assert.equal((await api(patient, 'POST', '/notifications/read-all')).json().updated, list.length - 1);
    assert.equal((await api(patient, 'GET', '/notifications/unread-count')).json().unread, 0);
    void appointmentId;
  });
  await t.test('preferences: defaults, partial update, unknown types and bad zones are 422', async () => {
    const user = await createUser(built, 'patient');
    const initial = await api(user, 'GET', '/notifications/preferences');
    assert.equal(initial.statusCode, 200);
    assert.deepEqual(initial.json().channels.appointment_reminder, { in_app: true, email: true, push: true });
    assert.equal(initial.json().quiet_hours, null);
    const put = await api(user, 'PUT', '/notifications/preferences', {
      quiet_hours: { start: '22:00', end: '07:00' },
      channels: { chat_message: { email: false } },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json().channels.chat_message, { in_app: true, email: false, push: true });
    assert.deepEqual(put.json().quiet_hours, { start: '22:00', end: '07:00' });
    const keep = await api(user, 'PUT', '/notifications/preferences', { time_zone: 'America/New_York' });
    assert.deepEqual(keep.json().quiet_hours, { start: '22:00', end: '07:00' }, 'absent fields keep their value');
    assert.equal(keep.json().channels.chat_message.email, false);
    for (const bad of [
      { channels: { horoscope: { email: true } } },
      { channels: { chat_message: { sms: true } } },
      { time_zone: 'Mars/Olympus' },
      { quiet_hours: { start: '25:00', end: '07:00' } },
      { channels: { chat_message: { email: 'yes' } } },
    ]) {
      const res = await api(user, 'PUT', '/notifications/preferences', bad);
      assert.equal(res.statusCode, 422, `${JSON.stringify(bad)} → ${res.statusCode} ${res.body}`);
      assert.match(res.headers['content-type'] as string, /problem\+json/);
    }
    assert.equal((await built.app.inject({ method: 'GET', url: '/api/v1/notifications/preferences' })).statusCode, 401);
  });
  await t.test('push: malformed subscriptions are 422; a 410 from the push service removes the subscription; unsubscribe', async () => {
    const [patient, doctor, other] = await Promise.all([createUser(built, 'patient'), createUser(built, 'doctor'), createUser(built, 'patient')]);
    const keys = new PushKeys();
    for (const body of [
      { endpoint: 'not a url', keys: { p256dh: keys.p256dh, auth: keys.authSecret } },
      { endpoint: 'ftp://push.example/x', keys: { p256dh: keys.p256dh, auth: keys.authSecret } },
      // Not a push service (security review M2): internal or arbitrary hosts are refused.
      { endpoint: 'https://169.254.169.254/latest/meta-data', keys: { p256dh: keys.p256dh, auth: keys.authSecret } },
      { endpoint: 'https://10.0.0.7:8443/hook', keys: { p256dh: keys.p256dh, auth: keys.authSecret } },
      { endpoint: 'https://127.0.0.1.attacker.example/x', keys: { p256dh: keys.p256dh, auth: keys.authSecret } },
      { endpoint: `${push.base}/ok/x`, keys: { p256dh: 'short', auth: keys.authSecret } },
      { endpoint: `${push.base}/ok/x`, keys: { p256dh: keys.p256dh, auth: 'AAAA' } },
      { endpoint: `${push.base}/ok/x` },
    ]) {
      const res = await api(patient, 'POST', '/notifications/push-subscriptions', body);
      assert.equal(res.statusCode, 422, `${JSON.stringify(body)} → ${res.body}`);
    }
    const gone = await api(patient, 'POST', '/notifications/push-subscriptions', {
      endpoint: `${push.base}/gone/1`,
      keys: { p256dh: keys.p256dh, auth: keys.authSecret },
    });
    assert.equal(gone.statusCode, 201);
    const kept = await api(patient, 'POST', '/notifications/push-subscriptions', {
      endpoint: `${push.base}/ok/2`,
      keys: { p256dh: keys.p256dh, auth: keys.authSecret },
    });
    assert.equal(kept.statusCode, 201);
    assert.equal((await api(other, 'DELETE', `/notifications/push-subscriptions/${kept.json().id}`)).statusCode, 404, "someone else's subscription");

    const slot = await createSlot(built, doctor, futureHour(60));
    assert.equal((await api(patient, 'POST', '/appointments', { slot_id: slot.id })).statusCode, 201);
    await until(() => push.received.some((r) => r.path === '/gone/1') && push.received.some((r) => r.path === '/ok/2'));
    await until(
      async () =>
        (await built.ctx.db.selectFrom('push_subscriptions').select('id').where('id', '=', gone.json().id).executeTakeFirst()) === undefined || undefined,
    );
    assert.ok(await built.ctx.db.selectFrom('push_subscriptions').select('id').where('id', '=', kept.json().id).executeTakeFirst());
    assert.equal((await api(patient, 'DELETE', `/notifications/push-subscriptions/${kept.json().id}`)).statusCode, 204);
    assert.equal((await api(patient, 'DELETE', `/notifications/push-subscriptions/${kept.json().id}`)).statusCode, 404);
  });
});
