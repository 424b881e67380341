import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from '../../../test/helpers/build.js';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import { AccessTokens } from '../../platform/auth/tokens.js';
import { SocketClient } from '../../../test/helpers/socket-client.js';

async function setup(t: Parameters<typeof build>[0], overrides: Parameters<typeof build>[1] = {}) {
  const built = await build(t, { realtime: { heartbeatSeconds: 1, presenceTtlSeconds: 3 }, ...overrides });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const address = built.app.server.address();
  const base = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const [patient, doctor, stranger, nurse] = await Promise.all([
    createUser(built, 'patient'),
    createUser(built, 'doctor'),
    createUser(built, 'patient'),
    createUser(built, 'nurse'),
  ]);
  const room = await built.app.inject({
    method: 'POST',
    url: '/api/v1/chat/rooms/create',
    headers: nurse.auth,
    payload: { doctor_id: doctor.id, patient_id: patient.id },
  });
  assert.equal(room.statusCode, 201);
  const clients: SocketClient[] = [];
  t.after(() => clients.forEach((c) => c.ws.terminate()));
  const connect = async (user: TestUser, path?: string) => {
    const c = await SocketClient.connect(base, user.token, path);
    clients.push(c);
    return c;
  };
  return { built, base, patient, doctor, stranger, nurse, roomId: room.json().id as string, connect, clients };
}

test('socket delivery: ack after persistence, gap-free seq, idempotent resend, read receipts, typing', async (t) => {
  const { patient, doctor, roomId, connect, built } = await setup(t);
  const p = await connect(patient);
  const d = await connect(doctor, `/api/v1/chat/ws/${doctor.id}`);

  p.send({ type: 'chat_message', room_id: roomId, content: 'I have a rash', client_msg_id: 'm1' });
  const ack = await p.next((f) => f.type === 'ack');
  assert.equal(ack.seq, 1);
  assert.equal(ack.client_msg_id, 'm1');
  assert.equal(ack.duplicate, false);
  // Persisted before the ack.
  const stored = await built.ctx.db.selectFrom('chat_messages').selectAll().where('id', '=', ack.message_id).executeTakeFirst();
  assert.equal(stored?.content, 'I have a rash');
  const got = await d.next((f) => f.type === 'chat_message');
  assert.deepEqual([got.seq, got.sender_id, got.sender_role, got.content, got.message_id], [1, patient.id, 'patient', 'I have a rash', ack.message_id]);

  // Resend of the same client_msg_id: same ack, nothing new stored or delivered.
  p.send({ type: 'chat_message', room_id: roomId, content: 'I have a rash', client_msg_id: 'm1' });
  const again = await p.next((f) => f.type === 'ack');
  assert.deepEqual([again.message_id, again.seq, again.duplicate], [ack.message_id, 1, true]);
  const count = await built.ctx.db
    .selectFrom('chat_messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  assert.equal(Number(count.n), 1);

  // Gap-free, strictly increasing seqs under concurrent senders.
  for (let i = 0; i < 10; i++) {
    p.send({ type: 'chat_message', room_id: roomId, content: `p${i}`, client_msg_id: `p${i}` });
    d.send({ type: 'chat_message', room_id: roomId, content: `d${i}`, client_msg_id: `d${i}` });
  }
  const seen: number[] = [];
  while (seen.length < 20) seen.push((await d.next((f) => f.type === 'chat_message')).seq);
  assert.deepEqual(
    seen,
    Array.from({ length: 20 }, (_, i) => i + 2),
  );

  // Read receipt to the other side; unread count follows.
  d.send({ type: 'read', room_id: roomId, up_to_seq: 21 });
  const readOk = await d.next((f) => f.type === 'read_ok');
  assert.equal(readOk.last_read_seq, 21);
  assert.equal(readOk.unread_count, 0);
  const receipt = await p.next((f) => f.type === 'read_receipt');
  assert.deepEqual([receipt.user_id, receipt.up_to_seq], [doctor.id, 21]);

  // Typing reaches the other side and expires after 5 s without renewal.
  d.send({ type: 'typing', room_id: roomId, is_typing: true });
  const typing = await p.next((f) => f.type === 'typing' && f.is_typing === true);
  assert.equal(typing.user_id, doctor.id);
  const started = Date.now();
  const stopped = await p.next((f) => f.type === 'typing' && f.is_typing === false, 8000);
  assert.equal(stopped.user_id, doctor.id);
  assert.ok(Date.now() - started >= 4000, 'typing expired after ~5 s');

  // ping/pong
  p.send({ type: 'ping', ts: 42 });
  assert.equal((await p.next((f) => f.type === 'pong')).ts, 42);
});

test('disconnect mid-stream, reconnect and resume: every message once, in order', async (t) => {
  const { patient, doctor, roomId, connect, base, clients } = await setup(t);
  const p = await connect(patient);
  const d = await connect(doctor);
  // The doctor streams 30 messages; the patient drops after the 10th.
  const received: number[] = [];
  let dropped = false;
  const sender = (async () => {
    for (let i = 1; i <= 30; i++) {
      d.send({ type: 'chat_message', room_id: roomId, content: `line ${i}`, client_msg_id: `l${i}` });
      await d.next((f) => f.type === 'ack' && f.client_msg_id === `l${i}`);
      if (i === 20) await sleep(50);
    }
  })();
  while (received.length < 10) received.push((await p.next((f) => f.type === 'chat_message')).seq);
  p.ws.terminate();
  dropped = true;
  await sender;
  assert.ok(dropped);

  const again = await SocketClient.connect(base, patient.token);
  clients.push(again);
  const ready = await again.next(() => true).catch(() => null);
  void ready;
  again.send({ type: 'resume', room_id: roomId, after_seq: received[received.length - 1] });
  const resumed = await again.next((f) => f.type === 'resumed');
  assert.equal(resumed.last_seq, 30);
  const replay = again.take('chat_message').map((f) => f.seq);
  const all = [...received, ...replay];
  assert.deepEqual(
    all,
    Array.from({ length: 30 }, (_, i) => i + 1),
    'no gap, no duplicate',
  );

  // Live messages after resume continue from there.
  d.send({ type: 'chat_message', room_id: roomId, content: 'after', client_msg_id: 'after' });
  assert.equal((await again.next((f) => f.type === 'chat_message')).seq, 31);
});

test('bad input: error frames keep the connection up; foreign rooms; left rooms; binary; oversized', async (t) => {
  const { patient, doctor, stranger, roomId, connect, built } = await setup(t);
  const p = await connect(patient);
  const s = await connect(stranger);
  const cases: [unknown, string][] = [
    ['{not json', 'invalid_json'],
    ['[1,2]', 'invalid_frame'],
    [{ type: 'launch_missiles' }, 'unknown_type'],
    [{ type: 'chat_message', room_id: 'nope', content: 'x' }, 'invalid_frame'],
    [{ type: 'chat_message', room_id: roomId, content: 'x', extra: 1 }, 'invalid_frame'],
    [{ type: 'chat_message', room_id: roomId, content: 'x'.repeat(8 * 1024 + 10), client_msg_id: 'big' }, 'message_too_large'],
    [{ type: 'chat_message', room_id: roomId, content: 'x'.repeat(40 * 1024) }, 'frame_too_large'],
    [{ type: 'chat_message', room_id: '00000000-0000-4000-8000-000000000000', content: 'x' }, 'not_found'],
  ];
  for (const [frame, code] of cases) {
    p.send(frame);
    assert.equal((await p.next((f) => f.type === 'error')).code, code, JSON.stringify(frame).slice(0, 80));
  }
  p.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  assert.equal((await p.next((f) => f.type === 'error')).code, 'binary_not_supported');
  // A stranger cannot post, read, resume or type in the room: not_found (its existence is private).
  for (const frame of [
    { type: 'chat_message', room_id: roomId, content: 'hi' },
    { type: 'resume', room_id: roomId, after_seq: 0 },
    { type: 'typing', room_id: roomId, is_typing: true },
    { type: 'join', room_id: roomId },
  ]) {
    s.send(frame);
    assert.equal((await s.next((f) => f.type === 'error')).code, 'not_found');
  }
  // Still connected and working after all that.
  p.send({ type: 'chat_message', room_id: roomId, content: 'still fine', client_msg_id: 'ok' });
  assert.equal((await p.next((f) => f.type === 'ack')).seq, 1);
  // Leave, then try to post: room_left.
  p.send({ type: 'leave', room_id: roomId });
  await p.next((f) => f.type === 'left');
  p.send({ type: 'chat_message', room_id: roomId, content: 'gone', client_msg_id: 'gone' });
  const err = await p.next((f) => f.type === 'error');
  assert.equal(err.code, 'room_left');
  assert.equal(err.client_msg_id, 'gone');
  assert.equal(p.closeCode, null);
  void doctor;
  void built;
});

test('auth: first frame, wrong user alias, bad token, auth timeout, flood and expiry close codes', async (t) => {
  const { patient, doctor, base, built, roomId } = await setup(t);
  // First-frame auth on the plain path, and the seed-002 path alias.
  const first = await SocketClient.open(`${base}/api/v1/ws`);
  first.send({ type: 'chat_message', room_id: roomId, content: 'too early' });
  assert.equal((await first.next((f) => f.type === 'error')).code, 'unauthenticated');
  first.send({ type: 'auth', token: patient.token });
  assert.equal((await first.next((f) => f.type === 'ready')).user_id, patient.id);
  first.close();
  const byPath = await SocketClient.open(`${base}/api/v1/ws/${patient.token}`);
  assert.equal((await byPath.next((f) => f.type === 'ready')).user_id, patient.id);
  byPath.close();

  const wrongUser = await SocketClient.open(`${base}/api/v1/chat/ws/${doctor.id}?token=${patient.token}`);
  assert.equal(await wrongUser.closed(), 4403);
  const badToken = await SocketClient.open(`${base}/api/v1/ws?token=garbage`);
  assert.equal(await badToken.closed(), 4401);

  // Flood: far more frames than the bucket allows → 4429.
  const flood = await SocketClient.connect(base, patient.token);
  for (let i = 0; i < 500; i++) flood.send({ type: 'ping' });
  assert.equal(await flood.closed(), 4429);

  // A token that expires mid-connection closes the socket with 4401.
  const claims = built.ctx.tokens.verify(patient.token);
  // Three seconds, not one: on a loaded CI machine a one-second token could expire before the
  // socket had even authenticated, which is a different path (an error frame at connect).
  const shortLived = new AccessTokens(built.ctx.config.jwtSecret, 3).sign({ sub: claims.sub, sid: claims.sid, role: claims.role });
  const expiring = await SocketClient.connect(base, shortLived);
  const started = Date.now();
  assert.equal(await expiring.closed(8000), 4401);
  assert.ok(Date.now() - started < 6000);
  assert.ok(expiring.frames.some((f) => f.type === 'error' && f.code === 'token_expired'));
});

test('a logout closes the sockets of that session with 4401 at once; other sessions stay up', async (t) => {
  const { patient, connect, built, base } = await setup(t);
  const { login } = await import('../../../test/helpers/users.js');
  const other = await login(built.app, patient.email, patient.password);
  const sameSession = await connect(patient);
  const otherSession = await SocketClient.connect(base, other.access_token);
  const res = await built.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: patient.auth });
  assert.equal(res.statusCode, 204);
  const started = Date.now();
  assert.equal(await sameSession.closed(3000), 4401);
  assert.ok(Date.now() - started < 2000, 'closed at once, not at token expiry');
  assert.ok(sameSession.frames.some((f) => f.type === 'error' && f.code === 'session_ended'));
  otherSession.send({ type: 'ping' });
  assert.equal((await otherSession.next((f) => f.type === 'pong')).type, 'pong');
  otherSession.ws.terminate();
});

test('presence: online on connect, away on request, offline soon after a dead connection', async (t) => {
  const { patient, doctor, connect, built, nurse } = await setup(t);
  const d = await connect(doctor);
  const p = await connect(patient);
  assert.deepEqual(await d.next((f) => f.type === 'presence' && f.user_id === patient.id), { type: 'presence', user_id: patient.id, status: 'online' });
  p.send({ type: 'presence', status: 'away' });
  assert.equal((await d.next((f) => f.type === 'presence' && f.user_id === patient.id)).status, 'away');
  p.send({ type: 'presence', status: 'online' });
  assert.equal((await d.next((f) => f.type === 'presence' && f.user_id === patient.id)).status, 'online');

  const admin = await createUser(built, 'admin');
  const active = await built.app.inject({ method: 'GET', url: '/api/v1/chat/active-users', headers: admin.auth });
  assert.deepEqual(
    active
      .json()
      .items.map((u: { user_id: string }) => u.user_id)
      .sort(),
    [doctor.id, patient.id].sort(),
  );

  // A dead connection (no pong, no FIN): the heartbeat (1 s here) cuts it and presence goes offline.
  const started = Date.now();
  (p.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const offline = await d.next((f) => f.type === 'presence' && f.user_id === patient.id, 10_000);
  assert.equal(offline.status, 'offline');
  assert.ok(Date.now() - started < 30_000);
  void nurse;
});
