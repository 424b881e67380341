import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { upload } from '../../../test/helpers/files.js';
import { SocketClient } from '../../../test/helpers/socket-client.js';

test('files shared in a room are readable by its participants only; emergencies alert the clinicians', async (t) => {
  const built = await build(t);
  const { app } = built;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const [patient, doctor, nurse, stranger, otherDoctor] = await Promise.all([
    createUser(built, 'patient'),
    createUser(built, 'doctor'),
    createUser(built, 'nurse'),
    createUser(built, 'patient'),
    createUser(built, 'doctor'),
  ]);
  const room = await app.inject({
    method: 'POST',
    url: '/api/v1/chat/rooms/create',
    headers: nurse.auth,
    payload: { doctor_id: doctor.id, patient_id: patient.id },
  });
  const roomId = room.json().id as string;
  const p = await SocketClient.connect(base, patient.token);
  const d = await SocketClient.connect(base, doctor.token);
  const s = await SocketClient.connect(base, stranger.token);
  t.after(() => [p, d, s].forEach((c) => c.ws.terminate()));

  await t.test('file_share: the recipient can download the file because they share the room, no one else', async () => {
    const up = await upload(built, doctor, '/api/v1/files', { filename: 'diet-plan.csv', data: 'meal,kcal\nbreakfast,400\n' });
    assert.equal(up.statusCode, 201, up.body);
    const fileId = up.json().id as string;
    const before = await app.inject({ method: 'GET', url: `/api/v1/files/${fileId}`, headers: patient.auth });
    assert.equal(before.statusCode, 404, 'not shared yet');

    d.send({ type: 'file_share', room_id: roomId, file_id: fileId, caption: 'Your plan', client_msg_id: 'f1' });
    const ack = await d.next((f) => f.type === 'ack');
    assert.equal(ack.client_msg_id, 'f1');
    const msg = await p.next((f) => f.type === 'chat_message' && f.kind === 'file');
    assert.deepEqual([msg.file_id, msg.content, msg.seq], [fileId, 'Your plan', ack.seq]);

    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${fileId}`, headers: patient.auth })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${fileId}`, headers: stranger.auth })).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${fileId}`, headers: otherDoctor.auth })).statusCode, 404);

    // Sharing someone else's file (or an unknown one) is refused: not_found, nothing stored.
    const foreign = await upload(built, stranger, '/api/v1/files', { filename: 'mine.csv', data: 'a,b\n1,2\n' });
    p.send({ type: 'file_share', room_id: roomId, file_id: foreign.json().id, client_msg_id: 'f2' });
    assert.equal((await p.next((f) => f.type === 'error')).code, 'not_found');
    // A stranger cannot share into the room either.
    s.send({ type: 'file_share', room_id: roomId, file_id: foreign.json().id });
    assert.equal((await s.next((f) => f.type === 'error')).code, 'not_found');
  });

  await t.test('a message sent over the socket is stored with its audit row: the patient, the sender, where it came from', async () => {
    d.send({ type: 'chat_message', room_id: roomId, content: 'How are you feeling today?', client_msg_id: 'audited' });
    const ack = await d.next((f) => f.type === 'ack' && f.client_msg_id === 'audited');
    const rows = await built.ctx.db
      .selectFrom('audit_log')
      .select(['actor_id', 'patient_id', 'resource_type', 'action', 'ip'])
      .where('resource_id', '=', ack.message_id as string)
      .execute();
    assert.deepEqual(rows, [{ actor_id: doctor.id, patient_id: patient.id, resource_type: 'chat_message', action: 'create', ip: '127.0.0.1' }]);
  });

  await t.test('a patient emergency in chat publishes emergency.detected and alerts the room clinicians', async () => {
    const events: unknown[] = [];
    built.ctx.events.subscribe('emergency.detected', (payload) => {
      events.push(payload);
    });
    p.send({ type: 'chat_message', room_id: roomId, content: 'No fever. Just a question about my diet.', client_msg_id: 'calm' });
    await p.next((f) => f.type === 'ack' && f.client_msg_id === 'calm');
    p.send({ type: 'chat_message', room_id: roomId, content: "I have crushing chest pain spreading to my left arm and I can't breathe", client_msg_id: 'sos' });
    const ack = await p.next((f) => f.type === 'ack' && f.client_msg_id === 'sos');
    const alert = await d.next((f) => f.type === 'notification' && f.kind === 'emergency');
    assert.equal(alert.room_id, roomId);
    assert.equal(alert.message_id, ack.message_id);
    assert.equal(alert.patient_id, patient.id);
    assert.match(alert.level, /emergency/);
    assert.equal(events.length, 1);
    assert.deepEqual(Object.keys(events[0] as object).sort(), ['level', 'matched', 'messageId', 'patientId', 'roomId']);
    assert.equal(p.frames.filter((f) => f.type === 'notification').length, 0, 'the patient is not sent the clinician alert');
  });
});
