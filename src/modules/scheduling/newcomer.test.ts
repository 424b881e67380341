import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { SPECIALTIES } from './scheduling.schemas.js';

/**
 * Issue 12 item 6, the API as a newcomer meets it: specialty synonyms and one clear
 * validation message per field, /doctors/{id}/slots as a page, date filters that take a
 * plain date in the caller's zone and explain a mangled "+".
 */
test('newcomer journeys: specialties, validation messages, slot pages, date filters', async (t) => {
  const built = await build(t);
  const { app } = built;
  const [derm, cardio, patient] = await Promise.all([createUser(built, 'doctor'), createUser(built, 'doctor'), createUser(built, 'patient')]);
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: `/api/v1${url}`, headers });

  // Derm works in Tokyo (UTC+9, no DST): three slots at 09:00, 10:00 and 11:00 local, 20 days ahead.
  const day = DateTime.now().setZone('Asia/Tokyo').plus({ days: 20 }).startOf('day');
  const dayText = day.toISODate()!;
  assert.equal(
    (await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: derm.auth, payload: { specialty: 'dermatology', time_zone: 'Asia/Tokyo' } }))
      .statusCode,
    200,
  );
  for (const hour of [9, 10, 11]) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/doctors/me/slots',
      headers: derm.auth,
      payload: { start: day.set({ hour }).toISO(), duration_minutes: 30 },
    });
    assert.equal(res.statusCode, 201, res.body);
  }

  await t.test('?specialty= accepts lay and variant names', async () => {
    // Synonyms also work where a doctor sets their own specialty.
    const put = await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: cardio.auth, payload: { specialty: 'Cardiologist' } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().specialty, 'cardiology');
    const ids = async (q: string) => {
      const res = await get(`/doctors?specialty=${encodeURIComponent(q)}`);
      assert.equal(res.statusCode, 200, `${q}: ${res.body}`);
      return res.json().items.map((d: { id: string }) => d.id);
    };
    for (const q of ['dermatology', 'dermatologist', 'Dermatologist', 'skin', 'skin doctor', 'DERM']) assert.deepEqual(await ids(q), [derm.id], q);
    for (const q of ['cardiology', 'cardiologist', 'heart', 'heart specialist']) assert.deepEqual(await ids(q), [cardio.id], q);
    for (const q of ['GP', 'general practitioner', 'family doctor', 'pediatrician', 'paediatrics', 'ENT', 'ear nose and throat', 'ob-gyn', 'eye doctor'])
      assert.deepEqual(await ids(q), [], q);
  });

  await t.test('an unknown specialty is one 422 error naming the allowed values', async () => {
    const res = await get('/doctors?specialty=astrologer');
    assert.equal(res.statusCode, 422);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    const errors = res.json().errors as { path: string; message: string }[];
    assert.equal(errors.length, 1, res.body);
    assert.equal(errors[0]!.path, '/specialty');
    assert.equal(errors[0]!.message, `must be one of: ${SPECIALTIES.join(', ')}`);
    assert.equal(res.json().detail, `The query string failed validation. specialty must be one of: ${SPECIALTIES.join(', ')}.`);
    const body = await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: cardio.auth, payload: { specialty: 'astrology' } });
    assert.equal(body.statusCode, 422);
    assert.equal(body.json().errors.length, 1);
    assert.match(body.json().errors[0].message, /^must be one of: general_practice, /);
  });

  await t.test('anyOf/const noise collapses to one message per field everywhere', async () => {
    // Enum of literals in a query string.
    const status = await get('/appointments?status=done', patient.auth);
    assert.equal(status.statusCode, 422);
    assert.deepEqual(status.json().errors, [{ path: '/status', message: 'must be one of: scheduled, confirmed, in_progress, completed, cancelled, no_show' }]);
    // A nullable number, an enum nested in an array with an integer alternative, and a missing property.
    const fee = await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: cardio.auth, payload: { consultation_fee: 'lots' } });
    assert.deepEqual(fee.json().errors, [{ path: '/consultation_fee', message: 'must be number or null' }]);
    const range = await app.inject({
      method: 'POST',
      url: '/api/v1/doctors/me/slots-range',
      headers: cardio.auth,
      payload: { start_date: dayText, end_date: dayText, day_start: '09:00', day_end: '10:00', days_of_week: ['someday'], breaks: [{ start: '12:00' }] },
    });
    assert.equal(range.statusCode, 422);
    const errors = range.json().errors as { path: string; message: string }[];
    assert.deepEqual(errors.map((e) => e.path).sort(), ['/breaks/0/end', '/days_of_week/0']);
    assert.equal(errors.find((e) => e.path === '/days_of_week/0')!.message, 'must be one of: mon, tue, wed, thu, fri, sat, sun (or integer)');
    assert.equal(errors.find((e) => e.path === '/breaks/0/end')!.message, 'is required');
    // A nullable object that is an object: its own field errors, not "must be null".
    const contact = await app.inject({ method: 'PUT', url: '/api/v1/patients/me', headers: patient.auth, payload: { emergency_contact: { name: 'Mum' } } });
    assert.deepEqual(contact.json().errors, [{ path: '/emergency_contact/phone', message: 'is required' }]);
  });

  await t.test('/doctors/{id}/slots is a page {items, next_cursor} like every list', async () => {
    const first = await get(`/doctors/${derm.id}/slots?from=${dayText}&to=${dayText}&tz=Asia/Tokyo&limit=2`);
    assert.equal(first.statusCode, 200, first.body);
    assert.equal(first.json().items.length, 2);
    assert.ok(first.json().next_cursor);
    const second = await get(`/doctors/${derm.id}/slots?from=${dayText}&to=${dayText}&tz=Asia/Tokyo&limit=2&cursor=${first.json().next_cursor}`);
    assert.equal(second.json().items.length, 1);
    assert.equal(second.json().next_cursor, null);
    assert.equal(second.json().items[0].start_local.slice(11, 16), '11:00');
  });

  await t.test("date filters take a plain date in the caller's zone, or an instant", async () => {
    const count = async (query: string, headers: Record<string, string> = {}) => {
      const res = await get(`/doctors/${derm.id}/slots?${query}`, headers);
      assert.equal(res.statusCode, 200, `${query}: ${res.body}`);
      return res.json().items.length;
    };
    // The Tokyo day holds all three slots (00:00–03:00 UTC).
    assert.equal(await count(`from=${dayText}&to=${dayText}&tz=Asia/Tokyo`), 3);
    // In Los Angeles the same calendar date starts 17 hours later: the slots fall on the day before.
    assert.equal(await count(`from=${dayText}&to=${dayText}&tz=America/Los_Angeles`), 0);
    const laDayBefore = day.minus({ days: 1 }).toISODate();
    assert.equal(await count(`from=${laDayBefore}&to=${laDayBefore}&tz=America/Los_Angeles`), 3);
    // Without tz: the caller's profile zone. A patient in Los Angeles…
    assert.equal(
      (await app.inject({ method: 'PUT', url: '/api/v1/patients/me', headers: patient.auth, payload: { time_zone: 'America/Los_Angeles' } })).statusCode,
      200,
    );
    assert.equal(await count(`from=${laDayBefore}&to=${laDayBefore}`, patient.auth), 3);
    assert.equal(await count(`from=${dayText}&to=${dayText}`, patient.auth), 0);
    // …and anonymous callers get the doctor's zone.
    assert.equal(await count(`from=${dayText}&to=${dayText}`), 3);
    // RFC 3339 instants still work, with the "+" encoded.
    const nine = day.set({ hour: 9 }).toISO({ suppressMilliseconds: true })!; // …T09:00:00+09:00
    assert.equal(await count(`from=${encodeURIComponent(nine)}&to=${encodeURIComponent(day.set({ hour: 10 }).toISO()!)}`), 1);
    // The directory and the appointment list take plain dates too.
    assert.equal((await get(`/doctors?available_from=${dayText}&tz=Asia/Tokyo`)).json().items.length, 1);
    assert.equal((await get(`/appointments?from=${dayText}&to=${dayText}`, patient.auth)).statusCode, 200);
  });

  await t.test('a "+" sent unencoded gets an error that says to write %2B', async () => {
    const nine = day.set({ hour: 9 }).toISO({ suppressMilliseconds: true })!;
    const res = await get(`/doctors/${derm.id}/slots?from=${nine}`); // "+09:00" arrives as " 09:00"
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().errors[0].path, '/from');
    assert.match(res.json().errors[0].message, /%2B/);
    assert.match(res.json().detail, /%2B/);
    const garbage = await get('/appointments?from=yesterday', patient.auth);
    assert.equal(garbage.statusCode, 422);
    assert.match(garbage.json().errors[0].message, /YYYY-MM-DD.*RFC 3339.*%2B/);
    const noOffset = await get('/appointments?to=2026-12-07T09:00', patient.auth);
    assert.match(noOffset.json().errors[0].message, /UTC offset/);
    assert.equal((await get(`/doctors/${derm.id}/slots?from=${dayText}&tz=Mars/Olympus`)).statusCode, 422);
    assert.equal((await get(`/doctors/${derm.id}/slots?from=2026-02-30`)).statusCode, 422);
  });
});
