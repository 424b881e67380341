import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { book, createSlot, futureHour } from '../../../test/helpers/scheduling.js';

/**
 * No double booking, ever: N simultaneous requests for one slot → exactly one 201, the rest
 * 409, and exactly one appointment row. Runs on PGlite (`npm test`) and on PostgreSQL when
 * DATABASE_URL is set (each request then runs on its own pooled connection, truly in parallel).
 */
test('60 concurrent bookings of one slot: exactly one wins', async (t) => {
  const built = await build(t);
  const doctor = await createUser(built, 'doctor');
  const patients = [];
  for (let i = 0; i < 60; i++) patients.push(await createUser(built, 'patient'));
  const slot = await createSlot(built, doctor, futureHour(50));

  const replies = await Promise.all(
    patients.map((p, i) => book(built, p, i % 2 ? { slot_id: slot.id, type: 'video' } : { doctor_id: doctor.id, start: slot.start, type: 'chat' })),
  );
  const codes = replies.map((r) => r.statusCode);
  assert.equal(codes.filter((c) => c === 201).length, 1, JSON.stringify(codes));
  assert.equal(
    codes.filter((c) => c === 409).length,
    59,
    JSON.stringify(replies.filter((r) => r.statusCode !== 201 && r.statusCode !== 409).map((r) => r.body)),
  );

  const rows = await built.ctx.db.selectFrom('appointments').select(['id', 'status']).where('slot_id', '=', slot.id).execute();
  assert.equal(rows.length, 1);
  const slotRow = await built.ctx.db.selectFrom('slots').select('status').where('id', '=', slot.id).executeTakeFirstOrThrow();
  assert.equal(slotRow.status, 'booked');
});

test('the database itself refuses a second active appointment for a slot', async (t) => {
  const built = await build(t);
  const doctor = await createUser(built, 'doctor');
  const [a, b] = [await createUser(built, 'patient'), await createUser(built, 'patient')];
  const slot = await createSlot(built, doctor, futureHour(51));
  assert.equal((await book(built, a, { slot_id: slot.id })).statusCode, 201);
  // Bypassing the service: a direct insert for the same slot violates the unique index.
  await assert.rejects(
    built.ctx.db
      .insertInto('appointments')
      .values({
        slot_id: slot.id,
        doctor_id: doctor.id,
        patient_id: b.id,
        start_at: new Date(slot.start),
        end_at: new Date(slot.end),
        type: 'video',
        reason: null,
        notes: null,
        cancel_reason: null,
        cancelled_by: null,
        cancelled_at: null,
        booked_by: b.id,
      })
      .execute(),
    (err: { code?: string }) => err.code === '23505',
  );
});
