import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { createSlot, futureHour, users } from '../../../test/helpers/scheduling.js';

test('profiles, directory and slots', async (t) => {
  const built = await build(t);
  const { app } = built;
  const u = await users(built);
  const pending = await createUser(built, 'doctor', { pending: true });

  await t.test('doctor profile exists from approval and is editable', async () => {
    const me = await app.inject({ method: 'GET', url: '/api/v1/doctors/me', headers: u.doctor.auth });
    assert.equal(me.statusCode, 200, me.body);
    assert.equal(me.json().id, u.doctor.id);
    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/doctors/me',
      headers: u.doctor.auth,
      payload: { specialty: 'dermatology', languages: ['en', 'de'], time_zone: 'Europe/Berlin', consultation_fee: 75, qualifications: ['MD'], bio: 'Skin' },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().specialty, 'dermatology');
    const badZone = await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: u.doctor.auth, payload: { time_zone: 'Mars/Olympus' } });
    assert.equal(badZone.statusCode, 422);
    assert.equal(badZone.headers['content-type'], 'application/problem+json; charset=utf-8');
    const badSpecialty = await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: u.doctor.auth, payload: { specialty: 'astrology' } });
    assert.equal(badSpecialty.statusCode, 422);
  });

  await t.test('pending doctors get 403; patients cannot use doctor routes', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/doctors/me'],
      ['GET', '/api/v1/doctors/me/slots'],
      ['POST', '/api/v1/doctors/me/slots'],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        headers: pending.auth,
        payload: method === 'POST' ? { start: futureHour(30).toISOString(), duration_minutes: 30 } : undefined,
      });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
    }
    const res = await app.inject({ method: 'GET', url: '/api/v1/doctors/me/slots', headers: u.patient.auth });
    assert.equal(res.statusCode, 403);
    const anon = await app.inject({ method: 'GET', url: '/api/v1/doctors/me/slots' });
    assert.equal(anon.statusCode, 401);
  });

  await t.test('patient profile', async () => {
    const get = await app.inject({ method: 'GET', url: '/api/v1/patients/me', headers: u.patient.auth });
    assert.equal(get.statusCode, 200, get.body);
    assert.deepEqual(get.json().allergies, []);
    const put = await app.inject({
      method: 'PUT',
      url: '/api/v1/patients/me',
      headers: u.patient.auth,
      payload: {
        date_of_birth: '1980-05-01',
        sex: 'female',
        allergies: ['penicillin'],
        chronic_conditions: ['asthma'],
        emergency_contact: { name: 'Sam', phone: '+49 30 1234' },
        time_zone: 'Europe/Berlin',
      },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json().allergies, ['penicillin']);
    assert.equal(put.json().emergency_contact.name, 'Sam');
    assert.equal(put.json().time_zone, 'Europe/Berlin');
    const future = await app.inject({ method: 'PUT', url: '/api/v1/patients/me', headers: u.patient.auth, payload: { date_of_birth: '2999-01-01' } });
    assert.equal(future.statusCode, 422);
    const doctor = await app.inject({ method: 'GET', url: '/api/v1/patients/me', headers: u.doctor.auth });
    assert.equal(doctor.statusCode, 403);
  });

  await t.test('single slots: create, overlap 409, bad input 422', async () => {
    const start = futureHour(48);
    const slot = await createSlot(built, u.doctor, start);
    assert.equal(slot.start, start.toISOString());
    const overlap = await app.inject({
      method: 'POST',
      url: '/api/v1/doctors/me/slots',
      headers: u.doctor.auth,
      payload: { start: new Date(start.getTime() + 15 * 60_000).toISOString(), duration_minutes: 30 },
    });
    assert.equal(overlap.statusCode, 409, overlap.body);
    // Another doctor may have a slot at the same time.
    await createSlot(built, u.otherDoctor, start);
    // Back-to-back is fine ([start, end) ranges).
    await createSlot(built, u.doctor, new Date(start.getTime() + 30 * 60_000));
    const cases: [Record<string, unknown>, string][] = [
      [{ start: '2030-01-01T09:00:00', duration_minutes: 30 }, 'no offset'],
      [{ start: start.toISOString(), end: new Date(start.getTime() - 60_000).toISOString() }, 'end before start'],
      [{ start: new Date(Date.now() - 3600_000).toISOString(), duration_minutes: 30 }, 'past'],
      [{ start: '2036-01-01T09:00:00Z', duration_minutes: 30 }, 'too far'],
      [{ start: 'tomorrow', duration_minutes: 30 }, 'garbage'],
    ];
    for (const [payload, label] of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/doctors/me/slots', headers: u.doctor.auth, payload });
      assert.equal(res.statusCode, 422, `${label}: ${res.body}`);
      assert.equal(res.json().status, 422);
    }
  });

  await t.test('slots-range is DST-correct in Europe/Berlin', async () => {
    // The Monday–Friday around the next spring-forward change (last Sunday of March).
    let year = DateTime.now().year;
    let change = DateTime.fromObject({ year, month: 3, day: 31 }, { zone: 'Europe/Berlin' });
    const lastSunday = (d: DateTime) => d.minus({ days: d.weekday % 7 });
    if (lastSunday(change) < DateTime.now().plus({ days: 7 })) {
      year += 1;
      change = DateTime.fromObject({ year, month: 3, day: 31 }, { zone: 'Europe/Berlin' });
    }
    const sunday = lastSunday(change);
    await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: u.otherDoctor.auth, payload: { time_zone: 'Europe/Berlin' } });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/doctors/me/slots-range',
      headers: u.otherDoctor.auth,
      payload: {
        start_date: sunday.minus({ days: 3 }).toISODate(),
        end_date: sunday.plus({ days: 2 }).toISODate(),
        days_of_week: [1, 2, 3, 4, 5, 6, 7],
        day_start: '09:00',
        day_end: '12:00',
        slot_minutes: 60,
        time_zone: 'Europe/Berlin',
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.created, 6 * 3);
    const before = body.items.filter((s: { start: string }) => s.start < sunday.toUTC().toISO()!);
    const after = body.items.filter((s: { start: string }) => s.start >= sunday.toUTC().toISO()!);
    for (const s of body.items) assert.match(s.start_local, /T(09|10|11):00:00\.000\+0[12]:00$/);
    assert.ok(before.length > 0 && after.length > 0);
    // 09:00 Berlin is 08:00Z in winter time and 07:00Z in summer time.
    assert.equal(new Date(before[0].start).getUTCHours(), 8);
    assert.equal(new Date(after[after.length - 3].start).getUTCHours(), 7);
    // The same range again: everything is skipped as overlapping.
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/doctors/me/slots-range',
      headers: u.otherDoctor.auth,
      payload: {
        start_date: sunday.minus({ days: 3 }).toISODate(),
        end_date: sunday.plus({ days: 2 }).toISODate(),
        days_of_week: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
        day_start: '09:00',
        day_end: '12:00',
        slot_minutes: 60,
        time_zone: 'Europe/Berlin',
      },
    });
    assert.equal(again.statusCode, 201);
    assert.deepEqual([again.json().created, again.json().skipped], [0, 18]);
  });

  await t.test('slots-range bad input', async () => {
    const today = DateTime.now().setZone('Europe/Berlin');
    const base = { day_start: '09:00', day_end: '12:00', slot_minutes: 30, time_zone: 'Europe/Berlin' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, start_date: today.plus({ days: 5 }).toISODate(), end_date: today.plus({ days: 2 }).toISODate() }, 'end before start'],
      [{ ...base, start_date: today.plus({ days: 1 }).toISODate(), end_date: today.plus({ years: 10 }).toISODate() }, '10 years'],
      [{ ...base, start_date: today.minus({ days: 3 }).toISODate(), end_date: today.plus({ days: 2 }).toISODate() }, 'past'],
      [
        { ...base, time_zone: 'Europe/Atlantis', start_date: today.plus({ days: 1 }).toISODate(), end_date: today.plus({ days: 2 }).toISODate() },
        'unknown zone',
      ],
      [
        { ...base, day_start: '12:00', day_end: '09:00', start_date: today.plus({ days: 1 }).toISODate(), end_date: today.plus({ days: 2 }).toISODate() },
        'window',
      ],
    ];
    for (const [payload, label] of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/doctors/me/slots-range', headers: u.doctor.auth, payload });
      assert.equal(res.statusCode, 422, `${label}: ${res.body}`);
    }
  });

  await t.test('listing, public slots, directory with next_available', async () => {
    const own = await app.inject({ method: 'GET', url: '/api/v1/doctors/me/slots?limit=1', headers: u.doctor.auth });
    assert.equal(own.statusCode, 200);
    assert.equal(own.json().items.length, 1);
    assert.ok(own.json().next_cursor);
    const page2 = await app.inject({ method: 'GET', url: `/api/v1/doctors/me/slots?limit=1&cursor=${own.json().next_cursor}`, headers: u.doctor.auth });
    assert.notEqual(page2.json().items[0].id, own.json().items[0].id);

    const free = await app.inject({ method: 'GET', url: `/api/v1/doctors/${u.doctor.id}/slots` });
    assert.equal(free.statusCode, 200, free.body);
    assert.equal(free.json().items.length, 2);
    assert.equal(free.json().next_cursor, null);
    assert.equal(free.json().items[0].time_zone, 'Europe/Berlin');
    const unknown = await app.inject({ method: 'GET', url: `/api/v1/doctors/00000000-0000-4000-8000-000000000000/slots` });
    assert.equal(unknown.statusCode, 404);
    const pendingSlots = await app.inject({ method: 'GET', url: `/api/v1/doctors/${pending.id}` });
    assert.equal(pendingSlots.statusCode, 404);

    const dir = await app.inject({ method: 'GET', url: '/api/v1/doctors?specialty=dermatology&language=de' });
    assert.equal(dir.statusCode, 200, dir.body);
    const items = dir.json().items;
    assert.equal(items.length, 1);
    assert.equal(items[0].id, u.doctor.id);
    assert.equal(items[0].next_available, futureHour(48).toISOString());
    const all = await app.inject({ method: 'GET', url: '/api/v1/doctors' });
    assert.ok(all.json().items.every((d: { id: string }) => d.id !== pending.id));
    const available = await app.inject({ method: 'GET', url: `/api/v1/doctors?available_from=${encodeURIComponent(futureHour(24 * 30).toISOString())}` });
    assert.equal(available.statusCode, 200);
    assert.ok(available.json().items.every((d: { id: string }) => d.id !== u.doctor.id));
  });

  await t.test('delete own slot; others are 404', async () => {
    const slot = await createSlot(built, u.doctor, futureHour(72));
    const other = await app.inject({ method: 'DELETE', url: `/api/v1/doctors/me/slots/${slot.id}`, headers: u.otherDoctor.auth });
    assert.equal(other.statusCode, 404);
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/doctors/me/slots/${slot.id}`, headers: u.doctor.auth });
    assert.equal(del.statusCode, 204);
    const again = await app.inject({ method: 'DELETE', url: `/api/v1/doctors/me/slots/${slot.id}`, headers: u.doctor.auth });
    assert.equal(again.statusCode, 404);
    // The time is free again for a new slot.
    await createSlot(built, u.doctor, futureHour(72));
  });
});
