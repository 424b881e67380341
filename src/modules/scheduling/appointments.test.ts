import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { book, createSlot, futureHour, users } from '../../../test/helpers/scheduling.js';

test('appointments', async (t) => {
  const built = await build(t);
  const { app, ctx } = built;
  const u = await users(built);
  const events: { topic: string; payload: any }[] = [];
  for (const topic of ['appointment.booked', 'appointment.cancelled', 'appointment.rescheduled', 'appointment.status_changed']) {
    ctx.events.subscribe(topic, (payload) => void events.push({ topic, payload }));
  }
  // A waitlist offer is published inside the cancelling transaction (the notifications area writes its row there).
  ctx.events.subscribeInTransaction('waitlist.offered', (_trx, payload) => void events.push({ topic: 'waitlist.offered', payload }));
  await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: u.doctor.auth, payload: { specialty: 'cardiology', time_zone: 'Europe/Berlin' } });
  const s1 = await createSlot(built, u.doctor, futureHour(30));
  const s2 = await createSlot(built, u.doctor, futureHour(31));
  const s3 = await createSlot(built, u.doctor, futureHour(32));
  const otherSlot = await createSlot(built, u.otherDoctor, futureHour(30));

  let appointmentId = '';
  await t.test('book by slot_id: 201 with the contract fields, event published, care link', async () => {
    const res = await book(built, u.patient, { slot_id: s1.id, type: 'video', reason: 'Palpitations' });
    assert.equal(res.statusCode, 201, res.body);
    const a = res.json();
    for (const key of ['id', 'slot_id', 'doctor_id', 'patient_id', 'start', 'end', 'type', 'status', 'reason']) assert.ok(key in a, key);
    assert.equal(a.status, 'scheduled');
    assert.equal(a.start, s1.start);
    appointmentId = a.id;
    const ev = events.find((e) => e.topic === 'appointment.booked');
    assert.deepEqual([ev?.payload.appointmentId, ev?.payload.doctorId, ev?.payload.patientId], [a.id, u.doctor.id, u.patient.id]);
    assert.equal(await ctx.care.canAccessPatient(ctx.db, { id: u.doctor.id, role: 'doctor', status: 'active', sessionId: '' }, u.patient.id), true);
    assert.equal(await ctx.care.canAccessPatient(ctx.db, { id: u.otherDoctor.id, role: 'doctor', status: 'active', sessionId: '' }, u.patient.id), false);
    const again = await book(built, u.otherPatient, { slot_id: s1.id });
    assert.equal(again.statusCode, 409);
    const slots = await app.inject({ method: 'GET', url: '/api/v1/doctors/me/slots?state=booked', headers: u.doctor.auth });
    assert.deepEqual(
      slots.json().items.map((s: { id: string }) => s.id),
      [s1.id],
    );
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/doctors/me/slots/${s1.id}`, headers: u.doctor.auth });
    assert.equal(del.statusCode, 409);
  });

  await t.test('booking bad input → specific 4xx, nothing written', async () => {
    const before = await ctx.db
      .selectFrom('appointments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const pending = await createUser(built, 'doctor', { pending: true });
    const pendingSlot = await ctx.db
      .insertInto('slots')
      .values({ doctor_id: pending.id, start_at: futureHour(40), end_at: futureHour(41), deleted_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const pastSlot = await ctx.db
      .insertInto('slots')
      .values({ doctor_id: u.doctor.id, start_at: new Date(Date.now() - 7200_000), end_at: new Date(Date.now() - 5400_000), deleted_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const cases: [typeof u.patient, Record<string, unknown>, number, string][] = [
      [u.patient, { slot_id: '00000000-0000-4000-8000-000000000000' }, 404, 'unknown slot'],
      [u.patient, { doctor_id: '00000000-0000-4000-8000-000000000000', start: s2.start }, 404, 'unknown doctor'],
      [u.patient, { doctor_id: u.doctor.id, start: '2030-01-01T09:00:00' }, 422, 'no offset'],
      [u.patient, { doctor_id: u.doctor.id }, 422, 'missing start'],
      [u.patient, { slot_id: pendingSlot.id }, 422, 'unapproved doctor'],
      [u.patient, { slot_id: pastSlot.id }, 422, 'past slot'],
      [u.patient, { slot_id: s2.id, type: 'telepathy' }, 422, 'bad type'],
      [u.patient, { slot_id: s2.id, patient_id: u.otherPatient.id }, 403, 'for someone else'],
      [u.doctor, { slot_id: s2.id }, 422, 'doctor books own slot'],
      [u.nurse, { slot_id: s2.id }, 422, 'staff without patient_id'],
      [u.otherDoctor, { slot_id: s2.id, patient_id: u.otherPatient.id }, 404, 'doctor books for a stranger'],
    ];
    for (const [who, payload, status, label] of cases) {
      const res = await book(built, who, payload);
      assert.equal(res.statusCode, status, `${label}: ${res.body}`);
      assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    }
    const own = await book(built, u.doctor, { slot_id: s2.id });
    assert.match(own.json().type, /own-slot/);
    const after = await ctx.db
      .selectFrom('appointments')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(after.n, before.n);
    const s2row = await ctx.db.selectFrom('slots').select('status').where('id', '=', s2.id).executeTakeFirstOrThrow();
    assert.equal(s2row.status, 'free');
  });

  await t.test('patient B cannot see or change patient A’s appointment (404); other doctor neither', async () => {
    for (const who of [u.otherPatient, u.otherDoctor]) {
      const get = await app.inject({ method: 'GET', url: `/api/v1/appointments/${appointmentId}`, headers: who.auth });
      assert.equal(get.statusCode, 404);
      const patch = await app.inject({ method: 'PATCH', url: `/api/v1/appointments/${appointmentId}`, headers: who.auth, payload: { reason: 'x' } });
      assert.equal(patch.statusCode, 404);
      const status = await app.inject({
        method: 'PATCH',
        url: `/api/v1/appointments/${appointmentId}/status`,
        headers: who.auth,
        payload: { status: 'cancelled', reason: 'x' },
      });
      assert.equal(status.statusCode, 404);
      const resched = await app.inject({
        method: 'POST',
        url: `/api/v1/appointments/${appointmentId}/reschedule`,
        headers: who.auth,
        payload: { slot_id: s3.id },
      });
      assert.equal(resched.statusCode, 404);
      const ics = await app.inject({ method: 'GET', url: `/api/v1/appointments/${appointmentId}.ics`, headers: who.auth });
      assert.equal(ics.statusCode, 404);
      const list = await app.inject({ method: 'GET', url: '/api/v1/appointments', headers: who.auth });
      assert.ok(list.json().items.every((a: { id: string }) => a.id !== appointmentId));
    }
    for (const who of [u.patient, u.doctor, u.nurse, u.admin]) {
      const get = await app.inject({ method: 'GET', url: `/api/v1/appointments/${appointmentId}`, headers: who.auth });
      assert.equal(get.statusCode, 200, who.role);
    }
  });

  await t.test('list with filters and pagination per role', async () => {
    const b = await book(built, u.otherPatient, { doctor_id: u.otherDoctor.id, start: otherSlot.start, type: 'chat' });
    assert.equal(b.statusCode, 201, b.body);
    const mine = await app.inject({ method: 'GET', url: '/api/v1/appointments', headers: u.patient.auth });
    assert.deepEqual(
      mine.json().items.map((a: { id: string }) => a.id),
      [appointmentId],
    );
    const doctor = await app.inject({ method: 'GET', url: '/api/v1/appointments', headers: u.doctor.auth });
    assert.deepEqual(
      doctor.json().items.map((a: { id: string }) => a.id),
      [appointmentId],
    );
    const admin = await app.inject({ method: 'GET', url: '/api/v1/appointments?limit=1', headers: u.admin.auth });
    assert.equal(admin.json().items.length, 1);
    assert.ok(admin.json().next_cursor);
    const next = await app.inject({ method: 'GET', url: `/api/v1/appointments?limit=1&cursor=${admin.json().next_cursor}`, headers: u.admin.auth });
    assert.equal(next.json().items.length, 1);
    assert.equal(next.json().next_cursor, null);
    const chat = await app.inject({ method: 'GET', url: '/api/v1/appointments?type=chat', headers: u.nurse.auth });
    assert.deepEqual(
      chat.json().items.map((a: { id: string }) => a.id),
      [b.json().id],
    );
    const byDoctor = await app.inject({ method: 'GET', url: `/api/v1/appointments?doctor_id=${u.doctor.id}&status=scheduled`, headers: u.admin.auth });
    assert.deepEqual(
      byDoctor.json().items.map((a: { id: string }) => a.id),
      [appointmentId],
    );
  });

  await t.test('ics export', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/appointments/${appointmentId}.ics`, headers: u.patient.auth });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/calendar/);
    assert.match(res.body, /^BEGIN:VCALENDAR\r\n/);
    assert.match(res.body, new RegExp(`UID:${appointmentId}@`));
    assert.match(res.body, /DTSTART:\d{8}T\d{6}Z\r\n/);
    assert.ok(res.body.split('\r\n').every((line) => Buffer.byteLength(line) <= 75));
  });

  await t.test('lifecycle permissions and illegal transitions', async () => {
    const url = `/api/v1/appointments/${appointmentId}/status`;
    const patientConfirms = await app.inject({ method: 'PATCH', url, headers: u.patient.auth, payload: { status: 'confirmed' } });
    assert.equal(patientConfirms.statusCode, 403);
    const confirm = await app.inject({ method: 'PATCH', url, headers: u.doctor.auth, payload: { status: 'confirmed' } });
    assert.equal(confirm.statusCode, 200, confirm.body);
    assert.equal(confirm.json().status, 'confirmed');
    const twice = await app.inject({ method: 'PATCH', url, headers: u.doctor.auth, payload: { status: 'confirmed' } });
    assert.equal(twice.statusCode, 409);
    const complete = await app.inject({ method: 'PATCH', url, headers: u.doctor.auth, payload: { status: 'completed' } });
    assert.equal(complete.statusCode, 409);
    const early = await app.inject({ method: 'PATCH', url, headers: u.doctor.auth, payload: { status: 'in_progress' } });
    assert.equal(early.statusCode, 409, 'more than 15 minutes before the start');
    const noShow = await app.inject({ method: 'PATCH', url, headers: u.doctor.auth, payload: { status: 'no_show' } });
    assert.equal(noShow.statusCode, 409, 'before the start');
    const back = await app.inject({ method: 'PATCH', url, headers: u.doctor.auth, payload: { status: 'scheduled' } });
    assert.equal(back.statusCode, 409);
    const noReason = await app.inject({ method: 'PATCH', url, headers: u.patient.auth, payload: { status: 'cancelled' } });
    assert.equal(noReason.statusCode, 422);
    assert.ok(events.some((e) => e.topic === 'appointment.status_changed' && e.payload.to === 'confirmed'));
    // A consultation starting in 10 minutes can run through the whole lifecycle.
    const soon = await createSlot(built, u.doctor, new Date(Date.now() + 10 * 60_000), 20);
    const a = (await book(built, u.otherPatient, { slot_id: soon.id })).json();
    for (const status of ['confirmed', 'in_progress', 'completed']) {
      const res = await app.inject({ method: 'PATCH', url: `/api/v1/appointments/${a.id}/status`, headers: u.doctor.auth, payload: { status } });
      assert.equal(res.statusCode, 200, `${status}: ${res.body}`);
    }
    const cancelDone = await app.inject({
      method: 'PATCH',
      url: `/api/v1/appointments/${a.id}/status`,
      headers: u.otherPatient.auth,
      payload: { status: 'cancelled', reason: 'late' },
    });
    assert.equal(cancelDone.statusCode, 409);
  });

  await t.test('PATCH reason/notes', async () => {
    const notes = await app.inject({ method: 'PATCH', url: `/api/v1/appointments/${appointmentId}`, headers: u.patient.auth, payload: { notes: 'mine' } });
    assert.equal(notes.statusCode, 403);
    const reason = await app.inject({
      method: 'PATCH',
      url: `/api/v1/appointments/${appointmentId}`,
      headers: u.patient.auth,
      payload: { reason: 'Chest pain on exertion' },
    });
    assert.equal(reason.json().reason, 'Chest pain on exertion');
    const doc = await app.inject({ method: 'PATCH', url: `/api/v1/appointments/${appointmentId}`, headers: u.doctor.auth, payload: { notes: 'Bring ECG' } });
    assert.equal(doc.json().notes, 'Bring ECG');
  });

  await t.test('reschedule is atomic: new slot taken, old released; failure leaves both as they were', async () => {
    // The target is taken by someone else → 409 and nothing moves.
    const taken = await book(built, u.otherPatient, { slot_id: s3.id });
    assert.equal(taken.statusCode, 201);
    const fail = await app.inject({
      method: 'POST',
      url: `/api/v1/appointments/${appointmentId}/reschedule`,
      headers: u.patient.auth,
      payload: { slot_id: s3.id },
    });
    assert.equal(fail.statusCode, 409);
    const other = await app.inject({
      method: 'POST',
      url: `/api/v1/appointments/${appointmentId}/reschedule`,
      headers: u.patient.auth,
      payload: { slot_id: otherSlot.id },
    });
    assert.equal(other.statusCode, 422, 'slot of another doctor');
    const state = async () =>
      Object.fromEntries(
        (await ctx.db.selectFrom('slots').select(['id', 'status']).where('id', 'in', [s1.id, s2.id, s3.id]).execute()).map((r) => [r.id, r.status]),
      );
    assert.deepEqual(await state(), { [s1.id]: 'booked', [s2.id]: 'free', [s3.id]: 'booked' });

    const ok = await app.inject({
      method: 'POST',
      url: `/api/v1/appointments/${appointmentId}/reschedule`,
      headers: u.patient.auth,
      payload: { slot_id: s2.id },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().slot_id, s2.id);
    assert.equal(ok.json().start, s2.start);
    assert.equal(ok.json().status, 'scheduled');
    assert.deepEqual(await state(), { [s1.id]: 'free', [s2.id]: 'booked', [s3.id]: 'booked' });
    const ev = events.find((e) => e.topic === 'appointment.rescheduled');
    assert.equal(ev?.payload.previous.slotId, s1.id);

    // Two concurrent reschedules to the same free slot: one wins, the other 409; never both.
    const [x, y] = await Promise.all([
      app.inject({ method: 'POST', url: `/api/v1/appointments/${appointmentId}/reschedule`, headers: u.patient.auth, payload: { slot_id: s1.id } }),
      app.inject({ method: 'POST', url: `/api/v1/appointments/${taken.json().id}/reschedule`, headers: u.otherPatient.auth, payload: { slot_id: s1.id } }),
    ]);
    assert.deepEqual([x.statusCode, y.statusCode].sort(), [200, 409]);
    const active = await ctx.db.selectFrom('appointments').select('id').where('slot_id', '=', s1.id).where('status', '<>', 'cancelled').execute();
    assert.equal(active.length, 1);
  });

  await t.test('idempotent booking', async () => {
    const slot = await createSlot(built, u.doctor, futureHour(60));
    const key = { 'idempotency-key': 'book-once-123' };
    const first = await book(built, u.otherPatient, { slot_id: slot.id, reason: 'retry me' }, key);
    assert.equal(first.statusCode, 201, first.body);
    const second = await book(built, u.otherPatient, { slot_id: slot.id, reason: 'retry me' }, key);
    assert.equal(second.statusCode, 201);
    assert.equal(second.json().id, first.json().id);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    const different = await book(built, u.otherPatient, { slot_id: slot.id, reason: 'other body' }, key);
    assert.equal(different.statusCode, 422);
    // Same key from another user is a different key.
    const otherUser = await book(built, u.patient, { slot_id: slot.id, reason: 'retry me' }, key);
    assert.equal(otherUser.statusCode, 409);
    const count = await ctx.db.selectFrom('appointments').select('id').where('slot_id', '=', slot.id).execute();
    assert.equal(count.length, 1);
    // In flight: a claimed key without a stored reply.
    await ctx.db
      .insertInto('idempotency_keys' as never)
      .values({ user_id: u.otherPatient.id, key: 'in-flight', route: 'POST /api/v1/appointments', request_hash: 'x' } as never)
      .execute();
    const busy = await book(built, u.otherPatient, { slot_id: slot.id }, { 'idempotency-key': 'in-flight' });
    assert.ok([409, 422].includes(busy.statusCode));
  });

  await t.test('earliest available: /appointments/request', async () => {
    const none = await app.inject({
      method: 'POST',
      url: '/api/v1/appointments/request',
      headers: u.otherPatient.auth,
      payload: { specialty: 'oncology', type: 'video' },
    });
    assert.equal(none.statusCode, 404);
    const neither = await app.inject({ method: 'POST', url: '/api/v1/appointments/request', headers: u.otherPatient.auth, payload: { type: 'video' } });
    assert.equal(neither.statusCode, 422);
    const late = await createSlot(built, u.doctor, futureHour(100));
    const early = await createSlot(built, u.doctor, futureHour(90));
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/appointments/request',
      headers: u.otherPatient.auth,
      payload: { specialty: 'cardiology', after: futureHour(80).toISOString(), type: 'in_person' },
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().slot_id, early.id);
    assert.equal(res.json().type, 'in_person');
    const next = await app.inject({
      method: 'POST',
      url: '/api/v1/appointments/request',
      headers: u.patient.auth,
      payload: { doctor_id: u.doctor.id, after: futureHour(80).toISOString() },
    });
    assert.equal(next.json().slot_id, late.id);
    const doctorCalls = await app.inject({ method: 'POST', url: '/api/v1/appointments/request', headers: u.doctor.auth, payload: { specialty: 'cardiology' } });
    assert.equal(doctorCalls.statusCode, 403);
  });

  await t.test('cancellation frees the slot and offers it to the first waiting patient', async () => {
    const slot = await createSlot(built, u.doctor, futureHour(120));
    const waiter1 = await createUser(built, 'patient');
    const waiter2 = await createUser(built, 'patient');
    const day = new Date(slot.start).toISOString().slice(0, 10);
    for (const w of [waiter1, waiter2]) {
      const join = await app.inject({
        method: 'POST',
        url: '/api/v1/waitlist',
        headers: w.auth,
        payload: { specialty: 'cardiology', from_date: day, to_date: day, time_zone: 'UTC' },
      });
      assert.equal(join.statusCode, 201, join.body);
    }
    const badJoin = await app.inject({ method: 'POST', url: '/api/v1/waitlist', headers: waiter1.auth, payload: { from_date: day, to_date: day } });
    assert.equal(badJoin.statusCode, 422);
    const a = (await book(built, u.patient, { slot_id: slot.id })).json();
    const cancel = await app.inject({
      method: 'POST',
      url: `/api/v1/appointments/${a.id}/cancel`,
      headers: u.patient.auth,
      payload: { reason: 'Feeling better' },
    });
    assert.equal(cancel.statusCode, 200, cancel.body);
    assert.equal(cancel.json().status, 'cancelled');
    assert.equal(cancel.json().cancel_reason, 'Feeling better');
    const slotRow = await ctx.db.selectFrom('slots').select('status').where('id', '=', slot.id).executeTakeFirstOrThrow();
    assert.equal(slotRow.status, 'free');
    const notes = await ctx.db.selectFrom('notifications').selectAll().where('kind', '=', 'waitlist_offer').execute();
    assert.deepEqual(
      notes.map((n) => n.user_id),
      [waiter1.id],
    );
    assert.equal(notes[0]!.data.slot_id, slot.id);
    const list = await app.inject({ method: 'GET', url: '/api/v1/waitlist', headers: waiter1.auth });
    assert.equal(list.json().items[0].status, 'offered');
    assert.equal(list.json().items[0].offered_slot_id, slot.id);
    assert.ok(events.some((e) => e.topic === 'appointment.cancelled' && e.payload.appointmentId === a.id && e.payload.reason === 'Feeling better'));
    assert.ok(events.some((e) => e.topic === 'waitlist.offered' && e.payload.patientId === waiter1.id));
    // The cancelled booking is not a care link.
    assert.equal(await ctx.care.canAccessPatient(ctx.db, { id: u.doctor.id, role: 'doctor', status: 'active', sessionId: '' }, waiter1.id), false);
    // Waiter 1 books it; the slot can be booked again after a cancellation.
    assert.equal((await book(built, waiter1, { slot_id: slot.id })).statusCode, 201);
    const leave = await app.inject({ method: 'DELETE', url: `/api/v1/waitlist/${list.json().items[0].id}`, headers: waiter2.auth });
    assert.equal(leave.statusCode, 404, "another patient's entry");
  });

  await t.test('doctor cancellation blocks the slot', async () => {
    const slot = await createSlot(built, u.doctor, futureHour(130));
    const a = (await book(built, u.patient, { slot_id: slot.id })).json();
    const cancel = await app.inject({
      method: 'PATCH',
      url: `/api/v1/appointments/${a.id}/status`,
      headers: u.doctor.auth,
      payload: { status: 'cancelled', reason: 'Conference' },
    });
    assert.equal(cancel.statusCode, 200);
    assert.equal((await book(built, u.otherPatient, { slot_id: slot.id })).statusCode, 409);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/doctors/me/slots/${slot.id}`, headers: u.doctor.auth })).statusCode, 204);
  });
});
