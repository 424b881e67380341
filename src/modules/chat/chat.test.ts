import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';

test('chat rooms over HTTP', async (t) => {
  const built = await build(t);
  const { app, ctx } = built;
  const [patient, doctor, otherDoctor, nurse, admin, stranger] = await Promise.all([
    createUser(built, 'patient'),
    createUser(built, 'doctor'),
    createUser(built, 'doctor'),
    createUser(built, 'nurse'),
    createUser(built, 'admin'),
    createUser(built, 'patient'),
  ]);
  // Stand-in for the scheduling area's appointment link.
  const links = new Set<string>();
  ctx.care.register(
    'test_appointments',
    async (_db, d, p) => links.has(`${d}:${p}`),
    async (_db, d) => [...links].filter((l) => l.startsWith(`${d}:`)).map((l) => l.slice(d.length + 1)),
  );

  await t.test('a patient cannot open a room with a doctor they have no appointment with', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms',
      headers: patient.auth,
      payload: { kind: 'direct', participant_ids: [doctor.id] },
    });
    assert.equal(res.statusCode, 403);
    assert.match(res.json().detail, /appointment/);
    const asDoctor = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms',
      headers: doctor.auth,
      payload: { kind: 'direct', participant_ids: [patient.id] },
    });
    assert.equal(asDoctor.statusCode, 403);
    const twoPatients = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms',
      headers: patient.auth,
      payload: { kind: 'direct', participant_ids: [stranger.id] },
    });
    assert.equal(twoPatients.statusCode, 422);
  });

  let roomId = '';
  await t.test('direct rooms are idempotent per pair, also through the seed alias', async () => {
    links.add(`${doctor.id}:${patient.id}`);
    const first = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms',
      headers: patient.auth,
      payload: { kind: 'direct', participant_ids: [doctor.id] },
    });
    assert.equal(first.statusCode, 201, first.body);
    roomId = first.json().id;
    assert.equal(first.json().participants.length, 2);
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms/create',
      headers: doctor.auth,
      payload: { doctor_id: doctor.id, patient_id: patient.id },
    });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().id, roomId);
    // The room is itself a care link now (docs/API.md §3).
    assert.equal(await ctx.care.exists(ctx.db, doctor.id, patient.id), true);
  });

  await t.test('staff can set up a doctor–patient room; care-team rooms are staff-made', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms/create',
      headers: nurse.auth,
      payload: { doctor_id: otherDoctor.id, patient_id: stranger.id },
    });
    assert.equal(res.statusCode, 201);
    assert.deepEqual(
      res
        .json()
        .participants.map((p: { user_id: string }) => p.user_id)
        .sort(),
      [otherDoctor.id, stranger.id].sort(),
    );
    const team = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms',
      headers: doctor.auth,
      payload: { kind: 'care_team', participant_ids: [nurse.id, otherDoctor.id, patient.id], title: 'Ward 3' },
    });
    assert.equal(team.statusCode, 201, team.body);
    const byPatient = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms',
      headers: patient.auth,
      payload: { kind: 'care_team', participant_ids: [doctor.id] },
    });
    assert.equal(byPatient.statusCode, 403);
    const assistant = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms',
      headers: patient.auth,
      payload: { kind: 'assistant', participant_ids: [] },
    });
    assert.equal(assistant.statusCode, 201);
    assert.equal(assistant.json().participants.length, 1);
  });

  await t.test('REST send: seq, idempotent client_msg_id, 8 KB limit, history paging, unread counts', async () => {
    const send = (user: typeof patient, content: string, client_msg_id?: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/chat/rooms/${roomId}/messages`,
        headers: user.auth,
        payload: { content, ...(client_msg_id ? { client_msg_id } : {}) },
      });
    const a = await send(patient, 'hello doctor', 'c-1');
    assert.equal(a.statusCode, 201);
    assert.equal(a.json().seq, 1);
    assert.equal(a.json().sender_role, 'patient');
    const dup = await send(patient, 'hello doctor', 'c-1');
    assert.equal(dup.statusCode, 200);
    assert.equal(dup.json().id, a.json().id);
    for (let i = 2; i <= 7; i++) assert.equal((await send(doctor, `reply ${i}`)).json().seq, i);
    const big = await send(patient, 'x'.repeat(8 * 1024 + 1));
    assert.equal(big.statusCode, 413);
    const blank = await send(patient, '   ');
    assert.equal(blank.statusCode, 422);

    const page1 = await app.inject({ method: 'GET', url: `/api/v1/chat/rooms/${roomId}/history?limit=3`, headers: patient.auth });
    assert.deepEqual(
      page1.json().items.map((m: { seq: number }) => m.seq),
      [5, 6, 7],
    );
    assert.equal(page1.json().next_before_seq, 5);
    const page2 = await app.inject({ method: 'GET', url: `/api/v1/chat/rooms/${roomId}/history?limit=3&before_seq=5`, headers: patient.auth });
    assert.deepEqual(
      page2.json().items.map((m: { seq: number }) => m.seq),
      [2, 3, 4],
    );
    const page3 = await app.inject({
      method: 'GET',
      url: `/api/v1/chat/rooms/${roomId}/history?limit=3&cursor=${page2.json().next_cursor}`,
      headers: patient.auth,
    });
    assert.deepEqual(
      page3.json().items.map((m: { seq: number }) => m.seq),
      [1],
    );
    assert.equal(page3.json().next_cursor, null);
    // The read is audited for the room's patient (read in the same statement as the page).
    const audited = await ctx.db
      .selectFrom('audit_log')
      .select(['patient_id', 'actor_id', 'resource_id'])
      .where('request_id', '=', String(page3.headers['x-request-id']))
      .where('resource_type', '=', 'chat_history')
      .execute();
    assert.deepEqual(audited, [{ patient_id: patient.id, actor_id: patient.id, resource_id: roomId }]);

    const list = await app.inject({ method: 'GET', url: '/api/v1/chat/rooms', headers: patient.auth });
    const room = list.json().items.find((r: { id: string }) => r.id === roomId);
    assert.equal(room.unread_count, 6);
    assert.equal(room.last_message.seq, 7);
    const read = await app.inject({ method: 'POST', url: `/api/v1/chat/rooms/${roomId}/read`, headers: patient.auth, payload: { up_to_seq: 5 } });
    assert.deepEqual(read.json(), { room_id: roomId, last_read_seq: 5, unread_count: 2 });
    const back = await app.inject({ method: 'POST', url: `/api/v1/chat/rooms/${roomId}/read`, headers: patient.auth, payload: { up_to_seq: 2 } });
    assert.equal(back.json().last_read_seq, 5, 'read pointers never move back');
    const alias = await app.inject({ method: 'GET', url: `/api/v1/chat/rooms/user/${patient.id}`, headers: patient.auth });
    assert.equal(alias.statusCode, 200);
    const adminView = await app.inject({ method: 'GET', url: `/api/v1/chat/rooms/user/${patient.id}`, headers: admin.auth });
    assert.equal(adminView.statusCode, 200);
    assert.ok(
      adminView.json().items.every((r: { last_message: unknown }) => r.last_message === null),
      'admins see rooms, not messages',
    );
    const foreignAlias = await app.inject({ method: 'GET', url: `/api/v1/chat/rooms/user/${patient.id}`, headers: doctor.auth });
    assert.equal(foreignAlias.statusCode, 404);
  });

  await t.test('only participants read or write: others get 404, unknown ids too', async () => {
    for (const user of [stranger, otherDoctor, admin]) {
      assert.equal((await app.inject({ method: 'GET', url: `/api/v1/chat/rooms/${roomId}/history`, headers: user.auth })).statusCode, 404);
      assert.equal(
        (await app.inject({ method: 'POST', url: `/api/v1/chat/rooms/${roomId}/messages`, headers: user.auth, payload: { content: 'hi' } })).statusCode,
        404,
      );
    }
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/chat/rooms/00000000-0000-4000-8000-000000000000', headers: patient.auth })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/chat/rooms/not-a-uuid/history', headers: patient.auth })).statusCode, 404);
  });

  await t.test('admin stats, active users and broadcast; others get 403', async () => {
    const stats = await app.inject({ method: 'GET', url: '/api/v1/chat/stats', headers: admin.auth });
    assert.equal(stats.statusCode, 200);
    assert.ok(stats.json().rooms.direct >= 2);
    assert.ok(stats.json().messages.total >= 7);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/chat/stats', headers: patient.auth })).statusCode, 403);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/chat/active-users', headers: admin.auth })).statusCode, 200);
    const b = await app.inject({
      method: 'POST',
      url: '/api/v1/chat/broadcast',
      headers: admin.auth,
      payload: { content: 'Clinic closes at 6pm', role: 'patient' },
    });
    assert.equal(b.statusCode, 202);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/chat/broadcast', headers: doctor.auth, payload: { content: 'x' } })).statusCode, 403);
  });

  await t.test('after leaving, posting is refused with a clear error and reading is 404', async () => {
    const left = await app.inject({ method: 'POST', url: `/api/v1/chat/rooms/${roomId}/leave`, headers: doctor.auth });
    assert.equal(left.statusCode, 204);
    const post = await app.inject({ method: 'POST', url: `/api/v1/chat/rooms/${roomId}/messages`, headers: doctor.auth, payload: { content: 'still here?' } });
    assert.equal(post.statusCode, 403);
    assert.match(post.json().type, /room-left/);
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/chat/rooms/${roomId}/history`, headers: doctor.auth })).statusCode, 404);
  });
});
