import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import { createSlot, futureHour } from '../../../test/helpers/scheduling.js';
import { upload } from '../../../test/helpers/files.js';
import { setup, until } from './test-setup.js';

/**
 * Contract §6: an event's in-app notification is written in the event's own transaction
 * (EventBus.publishInTransaction), for every event type that notifies. Two ways to break that
 * are tested for each publisher:
 * - "crash right after the commit": the app's after-commit `publish` is disabled, as if the
 *   process died between the commit and the after-commit subscribers. The answer was 2xx, so
 *   the notification (and its email job) must already be in the database.
 * - "rollback": a later subscriber of the same transaction fails; the change is rolled back,
 *   and so is its notification — nobody is told about something that did not happen.
 */
test('notifications: every notifying event writes its in-app row in its own transaction', async (t) => {
  const { built, api } = await setup(t);
  const { db, events } = built.ctx;
  const rows = (user: TestUser, kind: string) =>
    db.selectFrom('notifications').select(['id', 'kind', 'title', 'body']).where('user_id', '=', user.id).where('kind', '=', kind).execute();
  const emailJobs = (user: TestUser, kind: string) =>
    db.selectFrom('jobs').select('id').where('queue', '=', 'notify.email').where('key', 'like', `%|${kind}|${user.id}`).execute();

  /** Runs `fn` as if the process died right after each commit: no after-commit subscriber runs. */
  async function crashAfterCommit<T>(fn: () => Promise<T>): Promise<T> {
    const original = events.publish.bind(events);
    events.publish = async () => {};
    try {
      return await fn();
    } finally {
      events.publish = original;
    }
  }
  /** Runs `fn` with a failing subscriber at the end of `topic`'s transaction. */
  async function failInTransaction<T>(topic: string, fn: () => Promise<T>): Promise<T> {
    const off = events.subscribeInTransaction(topic, () => {
      throw new Error(`injected failure after ${topic}`);
    });
    try {
      return await fn();
    } finally {
      off();
    }
  }

  const [patient, doctor, admin, waiter] = await Promise.all([
    createUser(built, 'patient', { fullName: 'Tx Patient' }),
    createUser(built, 'doctor', { stepUp: true }),
    createUser(built, 'admin', { stepUp: true }),
    createUser(built, 'patient'),
  ]);
  const slot = await createSlot(built, doctor, futureHour(90));
  const booked = await api(patient, 'POST', '/appointments', { slot_id: slot.id });
  assert.equal(booked.statusCode, 201, booked.body);

  await t.test('prescription: committed → its row exists when the 201 comes back; rolled back → no row', async () => {
    const rx = { patient_id: patient.id, items: [{ drug: 'Amoxicillin', dose: '500 mg', frequency: 'tid' }] };
    const failed = await failInTransaction('prescription.created', () => api(doctor, 'POST', '/prescriptions', rx));
    assert.equal(failed.statusCode, 500);
    assert.equal((await db.selectFrom('prescriptions').select('id').where('patient_id', '=', patient.id).execute()).length, 0, 'rolled back');
    assert.equal((await rows(patient, 'prescription_created')).length, 0, 'and so is its notification');
    assert.equal((await emailJobs(patient, 'prescription_created')).length, 0);

    const created = await crashAfterCommit(() => api(doctor, 'POST', '/prescriptions', rx));
    assert.equal(created.statusCode, 201, created.body);
    assert.equal((await rows(patient, 'prescription_created')).length, 1);
    assert.equal((await emailJobs(patient, 'prescription_created')).length, 1, 'its email is queued in the same transaction');
  });

  await t.test('abnormal lab report: same, for the patient', async () => {
    const csv = { filename: 'labs.csv', data: 'test,value,unit,range\nGlucose,11.2,mmol/L,3.9-5.5\n' };
    const failed = await failInTransaction('lab_report.created', () => upload(built, patient, '/api/v1/reports', csv));
    assert.equal(failed.statusCode, 500);
    assert.equal((await rows(patient, 'lab_result_abnormal')).length, 0);
    const created = await crashAfterCommit(() => upload(built, patient, '/api/v1/reports', csv));
    assert.equal(created.statusCode, 201, created.body);
    assert.equal((await rows(patient, 'lab_result_abnormal')).length, 1);
  });

  await t.test('account approval: same', async () => {
    const pending = await createUser(built, 'doctor', { pending: true });
    const failed = await failInTransaction('user.approved', () => api(admin, 'POST', `/users/${pending.id}/approve`));
    assert.equal(failed.statusCode, 500);
    assert.equal((await db.selectFrom('users').select('status').where('id', '=', pending.id).executeTakeFirstOrThrow()).status, 'pending');
    assert.equal((await rows(pending, 'account_approved')).length, 0);
    const approved = await crashAfterCommit(() => api(admin, 'POST', `/users/${pending.id}/approve`));
    assert.equal(approved.statusCode, 200, approved.body);
    assert.equal((await rows(pending, 'account_approved')).length, 1);
  });

  await t.test('chat message to an offline participant: its notification job commits with the message (or not at all)', async () => {
    const room = await api(patient, 'POST', '/chat/rooms', { kind: 'direct', participant_ids: [doctor.id] });
    assert.ok(room.statusCode < 300, room.body);
    const roomId = room.json().id as string;
    const chatJobs = () =>
      db
        .selectFrom('jobs')
        .select('id')
        .where('queue', '=', 'notify.chat')
        .where(sql<string>`payload->>'room_id'`, '=', roomId)
        .execute();
    const failed = await failInTransaction('chat.message_sent', () => api(patient, 'POST', `/chat/rooms/${roomId}/messages`, { content: 'are you there?' }));
    assert.equal(failed.statusCode, 500);
    assert.equal((await db.selectFrom('chat_messages').select('id').where('room_id', '=', roomId).execute()).length, 0);
    assert.equal((await chatJobs()).length, 0);

    const sent = await crashAfterCommit(() => api(patient, 'POST', `/chat/rooms/${roomId}/messages`, { content: 'are you there?' }));
    assert.ok(sent.statusCode < 300, sent.body);
    // The job was committed with the message (it may already have run): the doctor is notified.
    await until(async () => (await rows(doctor, 'chat_message')).length === 1);
  });

  await t.test('waitlist offer (review: boundary): written by this area in the cancelling transaction, exactly one notification', async () => {
    const day = new Date(slot.start).toISOString().slice(0, 10);
    assert.equal((await api(waiter, 'POST', '/waitlist', { doctor_id: doctor.id, from_date: day, to_date: day, time_zone: 'UTC' })).statusCode, 201);
    const failed = await failInTransaction('waitlist.offered', () => api(patient, 'POST', `/appointments/${booked.json().id}/cancel`, { reason: 'travel' }));
    assert.equal(failed.statusCode, 500);
    assert.equal((await db.selectFrom('appointments').select('status').where('id', '=', booked.json().id).executeTakeFirstOrThrow()).status, 'scheduled');
    assert.equal((await db.selectFrom('notifications').select('id').where('user_id', '=', waiter.id).execute()).length, 0);

    const cancelled = await crashAfterCommit(() => api(patient, 'POST', `/appointments/${booked.json().id}/cancel`, { reason: 'travel' }));
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    // Exactly one in-app notification for the offer (scheduling no longer writes one of its own).
    const all = await db.selectFrom('notifications').select(['kind', 'data']).where('user_id', '=', waiter.id).execute();
    assert.deepEqual(
      all.map((n) => n.kind),
      ['waitlist_offer'],
    );
    assert.equal((all[0]!.data as { slot_id: string }).slot_id, slot.id);
    assert.equal((await emailJobs(waiter, 'waitlist_offer')).length, 1);
    const listed = (await api(waiter, 'GET', '/notifications')).json().items;
    assert.equal(listed.length, 1);
    assert.match(listed[0].body, /A slot with .+ opened on/);
  });

  await t.test('emergency (no stored event of its own): the alerts are committed before the 200', async () => {
    await linkCare();
    const check = await api(patient, 'POST', '/ml/emergency/check', { text: "I can't breathe and my chest hurts" });
    assert.equal(check.statusCode, 200, check.body);
    assert.equal(check.json().is_emergency, true);
    assert.equal((await rows(doctor, 'emergency_alert')).length, 1);
  });

  await t.test('emergency in a chat message: the alerts commit with the message (a crash after the commit still alerts), once', async () => {
    const room = await api(patient, 'POST', '/chat/rooms', { kind: 'direct', participant_ids: [doctor.id] });
    assert.ok(room.statusCode === 201 || room.statusCode === 200, room.body);
    const roomId = room.json().id as string;
    const before = (await rows(doctor, 'emergency_alert')).length;
    const sent = await crashAfterCommit(() => api(patient, 'POST', `/chat/rooms/${roomId}/messages`, { content: 'I cant breathe and my lips are going blue' }));
    assert.equal(sent.statusCode, 201, sent.body);
    assert.equal((await rows(doctor, 'emergency_alert')).length, before + 1, 'alerted although nothing ran after the commit');
    // The normal path: the in-transaction alert and the after-commit event record one alert, not two.
    const again = await api(patient, 'POST', `/chat/rooms/${roomId}/messages`, { content: 'my dad has collapsed and is not breathing' });
    assert.equal(again.statusCode, 201, again.body);
    assert.equal((await rows(doctor, 'emergency_alert')).length, before + 2);
    // Rolled back with its message: no alert for a message that was never stored.
    await failInTransaction('emergency.detected', () =>
      api(patient, 'POST', `/chat/rooms/${roomId}/messages`, { content: 'he is unconscious and not breathing' }),
    );
    assert.equal((await rows(doctor, 'emergency_alert')).length, before + 2);
  });

  /** The cancelled booking is no care relationship: book again so the doctor is the patient's. */
  async function linkCare() {
    const again = await createSlot(built, doctor, futureHour(95));
    assert.equal((await api(patient, 'POST', '/appointments', { slot_id: again.id })).statusCode, 201);
  }
});
