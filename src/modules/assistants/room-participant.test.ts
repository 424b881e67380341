import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { upload } from '../../../test/helpers/files.js';
import { SocketClient } from '../../../test/helpers/socket-client.js';

/** Seed 000: "@assistant" in a doctor–patient room answers about the patient's shared lab results, over the socket. */
test('the assistant answers a lab question in a doctor–patient room, seen live by both, citing the values used', async (t) => {
  const built = await build(t);
  const { app } = built;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const [patient, doctor, nurse, other] = await Promise.all([
    createUser(built, 'patient'),
    createUser(built, 'doctor'),
    createUser(built, 'nurse'),
    createUser(built, 'patient'),
  ]);
  const csv = (hb: string) => `Test,Result,Units,Reference Range,Flag\nHemoglobin,${hb},g/dL,12.0-15.5,L\nSodium,139,mmol/L,135-145,\n`;
  for (const [when, hb] of [
    ['2026-01-10T09:00:00Z', '11.8'],
    ['2026-02-10T09:00:00Z', '11.1'],
  ]) {
    const res = await upload(built, patient, `/api/v1/reports?collected_at=${when}`, { filename: 'labs.csv', data: csv(hb!) });
    assert.equal(res.statusCode, 201, res.body);
  }
  // Another patient's report must never appear in this room.
  assert.equal((await upload(built, other, '/api/v1/reports', { filename: 'labs.csv', data: csv('9.9') })).statusCode, 201);
  const room = await app.inject({
    method: 'POST',
    url: '/api/v1/chat/rooms/create',
    headers: nurse.auth,
    payload: { doctor_id: doctor.id, patient_id: patient.id },
  });
  assert.equal(room.statusCode < 300, true, room.body);
  const roomId = room.json().id as string;
  const p = await SocketClient.connect(base, patient.token);
  const d = await SocketClient.connect(base, doctor.token);
  t.after(() => [p, d].forEach((c) => c.ws.terminate()));

  d.send({ type: 'chat_message', room_id: roomId, content: '@assistant how has her hemoglobin changed?', client_msg_id: 'q1' });
  const isAnswer = (f: { type: string; room_id?: string; sender_role?: string }) =>
    f.type === 'chat_message' && f.room_id === roomId && f.sender_role === 'assistant';
  const [forDoctor, forPatient] = await Promise.all([d.next(isAnswer, 10_000), p.next(isAnswer, 10_000)]);
  assert.equal(forDoctor.message_id, forPatient.message_id);
  assert.match(forDoctor.content, /Hemoglobin: 11\.1 g\/dL/);
  assert.match(forDoctor.content, /reference range 12\.0-15\.5/);
  assert.match(forDoctor.content, /11\.8/, 'the previous value it compared with');
  assert.match(forDoctor.content, /gone down/);
  assert.match(forDoctor.content, /not a diagnosis/);
  assert.doesNotMatch(forDoctor.content, /9\.9/);

  // A message without the mention gets no assistant answer.
  d.send({ type: 'chat_message', room_id: roomId, content: 'See you on Monday', client_msg_id: 'q2' });
  await d.next((f) => f.type === 'ack' && f.client_msg_id === 'q2');
  await new Promise((r) => setTimeout(r, 300));
  // (next() took the first answer out of d.frames: any assistant frame left would be a second answer.)
  assert.equal(d.frames.filter((f) => isAnswer(f as never)).length, 0);
});

/** Review L7: nobody in the room is assumed active; emergencies come first in rooms too. */
test('room participant: emergency advice first; a deactivated doctor, a participant who left or a deactivated asker get no lab answer', async (t) => {
  const built = await build(t);
  const { app, ctx } = built;
  const [patient, doctor, nurse] = await Promise.all([createUser(built, 'patient'), createUser(built, 'doctor'), createUser(built, 'nurse')]);
  const csv = 'Test,Result,Units,Reference Range,Flag\nHemoglobin,11.1,g/dL,12.0-15.5,L\n';
  assert.equal((await upload(built, patient, '/api/v1/reports', { filename: 'labs.csv', data: csv })).statusCode, 201);
  const room = await app.inject({
    method: 'POST',
    url: '/api/v1/chat/rooms/create',
    headers: nurse.auth,
    payload: { doctor_id: doctor.id, patient_id: patient.id },
  });
  assert.equal(room.statusCode < 300, true, room.body);
  const roomId = room.json().id as string;
  const assistantMessages = async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/chat/rooms/${roomId}/history?limit=100`, headers: patient.auth });
    return (res.json().items as { sender_role: string; content: string }[]).filter((m) => m.sender_role === 'assistant');
  };
  /** Sends as `who` and waits for the assistant's next answer (or, with `expectNone`, checks none comes). */
  const ask = async (who: { auth: Record<string, string> }, content: string, expectNone = false) => {
    const before = (await assistantMessages()).length;
    const sent = await app.inject({ method: 'POST', url: `/api/v1/chat/rooms/${roomId}/messages`, headers: who.auth, payload: { content } });
    assert.equal(sent.statusCode, 201, sent.body);
    await ctx.services.assistants.flushCopies();
    for (let i = 0; i < 100; i++) {
      const items = await assistantMessages();
      if (items.length > before) return items.at(-1)!.content;
      await new Promise((r) => setTimeout(r, expectNone ? 10 : 30));
    }
    return null;
  };

  // Emergency first: a lab question with an emergency in it gets the emergency advice, not lab values.
  const emergency = await ask(patient, '@assistant what is my hemoglobin? also I have crushing chest pain spreading to my left arm right now');
  assert.ok(emergency, 'answered');
  assert.match(emergency, /emergency/i);
  assert.doesNotMatch(emergency, /11\.1/);

  // Everyone active and allowed: the answer comes.
  const normal = await ask(patient, '@assistant what does my hemoglobin mean?');
  assert.match(normal ?? '', /Hemoglobin: 11\.1/);

  // The doctor's account is deactivated: they still appear in the room, but may not read the patient's data now.
  await ctx.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', doctor.id).execute();
  const refused = await ask(patient, '@assistant what does my hemoglobin mean?');
  assert.match(refused ?? '', /not everyone here may see them/);
  assert.doesNotMatch(refused ?? '', /11\.1/);
  await ctx.db.updateTable('users').set({ status: 'active' }).where('id', '=', doctor.id).execute();

  // An asker who has left the room, or whose account is no longer active, gets no answer at all.
  const count = (await assistantMessages()).length;
  const left = await app.inject({ method: 'POST', url: `/api/v1/chat/rooms/${roomId}/leave`, headers: doctor.auth });
  assert.ok(left.statusCode < 300, left.body);
  await ctx.services.assistants.onRoomMessage({ roomId, senderId: doctor.id, senderRole: 'doctor', content: '@assistant her hemoglobin?' });
  await ctx.db.updateTable('users').set({ status: 'deactivated' }).where('id', '=', patient.id).execute();
  await ctx.services.assistants.onRoomMessage({ roomId, senderId: patient.id, senderRole: 'patient', content: '@assistant my hemoglobin?' });
  assert.equal((await assistantMessages()).length, count, 'no answer to a departed or deactivated asker');
});
