import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { BuiltApp } from '../../app.js';
import { build } from '../../../test/helpers/build.js';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import { book, createSlot, futureHour } from '../../../test/helpers/scheduling.js';

/**
 * The own-appointments list is answered from the page cache (appointments.cache.ts) when it
 * holds the caller's page; these check that every way the page can change drops it at once —
 * so the next read, on the same instance or (services run) another, shows the change — and
 * that reads answered from the cache are still audited, one row each.
 */
type Page = { items: { id: string; status: string; reason: string | null; doctor_name: string; start: string }[] };

async function list(built: BuiltApp, user: TestUser, query = ''): Promise<Page> {
  const res = await built.app.inject({ method: 'GET', url: `/api/v1/appointments${query}`, headers: user.auth });
  assert.equal(res.statusCode, 200, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.equal(res.headers['cache-control'], 'no-store');
  return res.json();
}

async function listReads(built: BuiltApp, userId: string): Promise<number> {
  const rows = await sql<{ n: number }>`
    select count(*)::int as n from audit_log where actor_id = ${userId} and resource_type = 'appointment' and action = 'list'`.execute(built.ctx.db);
  return rows.rows[0]!.n;
}

describe('appointment list page cache', () => {
  it('serves repeated reads from the cache, audits each one, and drops the page on every change', async (t) => {
    const built = await build(t);
    const doctor = await createUser(built, 'doctor', { fullName: 'Dr Before Rename' });
    const patient = await createUser(built, 'patient');
    const first = await createSlot(built, doctor, futureHour(30));
    const booked = await book(built, patient, { slot_id: first.id, reason: 'cough' });
    assert.equal(booked.statusCode, 201);
    const appointmentId = booked.json().id as string;

    const audited = await listReads(built, patient.id);
    const one = await list(built, patient);
    assert.equal(built.ctx.pageCache.size, 1, 'the page was stored');
    const again = await list(built, patient);
    assert.deepEqual(again, one, 'same reply from the cache');
    assert.equal(await listReads(built, patient.id), audited + 2, 'a read answered from the cache is audited too');

    // A new booking (appointment.booked) shows at once.
    const second = await createSlot(built, doctor, futureHour(54));
    assert.equal((await book(built, patient, { slot_id: second.id })).statusCode, 201);
    assert.equal((await list(built, patient)).items.length, 2);
    // Reason edit (PATCH: no domain event, the route drops the page).
    assert.equal(
      (await built.app.inject({ method: 'PATCH', url: `/api/v1/appointments/${appointmentId}`, headers: patient.auth, payload: { reason: 'fever' } }))
        .statusCode,
      200,
    );
    assert.equal((await list(built, patient)).items.find((a) => a.id === appointmentId)?.reason, 'fever');
    // The doctor's own list is cached too, and the patient's edit drops it (both parties).
    assert.equal((await list(built, doctor)).items.find((a) => a.id === appointmentId)?.reason, 'fever');
    // Cancellation (appointment.cancelled).
    const cancel = await built.app.inject({
      method: 'POST',
      url: `/api/v1/appointments/${appointmentId}/cancel`,
      headers: patient.auth,
      payload: { reason: 'better' },
    });
    assert.equal(cancel.statusCode, 200, cancel.body);
    assert.equal((await list(built, patient)).items.find((a) => a.id === appointmentId)?.status, 'cancelled');
    assert.equal((await list(built, doctor)).items.find((a) => a.id === appointmentId)?.status, 'cancelled');
    // Reschedule (appointment.rescheduled) of the other one.
    const other = (await list(built, patient)).items.find((a) => a.id !== appointmentId)!;
    const third = await createSlot(built, doctor, futureHour(78));
    const moved = await built.app.inject({
      method: 'POST',
      url: `/api/v1/appointments/${other.id}/reschedule`,
      headers: patient.auth,
      payload: { slot_id: third.id },
    });
    assert.equal(moved.statusCode, 200, moved.body);
    assert.equal((await list(built, patient)).items.find((a) => a.id === other.id)?.start, third.start);
    // The doctor renames themself (identity announces every user write): the name on the page follows.
    const rename = await built.app.inject({ method: 'PATCH', url: '/api/v1/auth/me', headers: doctor.auth, payload: { full_name: 'Dr After Rename' } });
    assert.equal(rename.statusCode, 200, rename.body);
    let names: string[] = [];
    for (let i = 0; i < 50; i++) {
      names = (await list(built, patient)).items.map((a) => a.doctor_name);
      if (names.every((n) => n === 'Dr After Rename')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(names, ['Dr After Rename', 'Dr After Rename']);
  });

  it('keeps users apart and leaves staff lists and date-filtered lists uncached', async (t) => {
    const built = await build(t);
    const doctor = await createUser(built, 'doctor');
    const [patient, otherPatient, nurse] = await Promise.all([createUser(built, 'patient'), createUser(built, 'patient'), createUser(built, 'nurse')]);
    const slot = await createSlot(built, doctor, futureHour(30));
    assert.equal((await book(built, patient, { slot_id: slot.id })).statusCode, 201);
    assert.equal((await list(built, patient)).items.length, 1);
    assert.equal((await list(built, otherPatient)).items.length, 0, "another patient's cached page is not shared");
    const before = built.ctx.pageCache.size;
    await list(built, nurse);
    await list(built, patient, '?from=2020-01-01');
    assert.equal(built.ctx.pageCache.size, before, 'staff and plain-date lists are not stored');
  });
});

const services = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

describe('appointment list page cache, two instances', { skip: services ? false : 'needs DATABASE_URL and REDIS_URL (npm run test:services)' }, () => {
  it('a cancellation on instance A drops the page instance B had cached', async (t) => {
    const a = await build(t);
    const b = await build(t, { databaseSchema: a.ctx.config.databaseSchema, redisPrefix: a.ctx.config.redisPrefix, jwtSecret: a.ctx.config.jwtSecret });
    const doctor = await createUser(a, 'doctor');
    const patient = await createUser(a, 'patient');
    const slot = await createSlot(a, doctor, futureHour(30));
    const booked = await book(a, patient, { slot_id: slot.id });
    assert.equal(booked.statusCode, 201);
    assert.equal((await list(b, patient)).items[0]?.status, 'scheduled');
    assert.equal(b.ctx.pageCache.size, 1, 'instance B cached the page');
    const cancel = await a.app.inject({
      method: 'POST',
      url: `/api/v1/appointments/${booked.json().id}/cancel`,
      headers: patient.auth,
      payload: { reason: 'x' },
    });
    assert.equal(cancel.statusCode, 200);
    let status = '';
    for (let i = 0; i < 50 && status !== 'cancelled'; i++) {
      status = (await list(b, patient)).items[0]!.status;
      if (status !== 'cancelled') await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(status, 'cancelled', 'instance B heard the invalidation through Redis');

    // A page in B's cache is no way around a revoked session: logging out on A ends it on B too.
    assert.equal((await list(b, patient)).items.length, 1);
    assert.equal((await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: patient.auth })).statusCode, 204);
    let code = 0;
    for (let i = 0; i < 50 && code !== 401; i++) {
      code = (await b.app.inject({ method: 'GET', url: '/api/v1/appointments', headers: patient.auth })).statusCode;
      if (code !== 401) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(code, 401, 'instance B refuses the revoked session although it holds the page');
  });
});
