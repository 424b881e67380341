import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUser } from '../../../test/helpers/users.js';
import { createSlot, futureHour } from '../../../test/helpers/scheduling.js';
import { SocketClient } from '../../../test/helpers/socket-client.js';
import { setup, sleep } from './test-setup.js';

test('notifications: offline chat', async (t) => {
  const { built, smtp, api } = await setup(t);
  await t.test('chat messages to an offline recipient: one notification per room per 10 minutes; online recipients and the sender get none', async () => {
    const [patient, doctor] = await Promise.all([createUser(built, 'patient', { fullName: 'Chatty Patient' }), createUser(built, 'doctor')]);
    const slot = await createSlot(built, doctor, futureHour(80));
    assert.equal((await api(patient, 'POST', '/appointments', { slot_id: slot.id })).statusCode, 201);
    const room = await api(patient, 'POST', '/chat/rooms', { kind: 'direct', participant_ids: [doctor.id] });
    assert.ok(room.statusCode < 300, room.body);
    for (const content of ['hello doctor', 'are you there?', 'my rash is worse']) {
      const sent = await api(patient, 'POST', `/chat/rooms/${room.json().id}/messages`, { content });
      assert.ok(sent.statusCode < 300, sent.body);
    }
    const mail = await smtp.next((m) => m.to.includes(doctor.email) && /New message/.test(m.subject));
    assert.doesNotMatch(mail.raw, /rash|hello doctor/i, 'no message text in email');
    await sleep(500);
    const chatNotes = (await api(doctor, 'GET', '/notifications')).json().items.filter((n: { type: string }) => n.type === 'chat_message');
    assert.equal(chatNotes.length, 1, 'batched: one per room per window');
    assert.match(chatNotes[0].body, /Chatty Patient/);
    assert.equal(smtp.to(doctor.email).filter((m) => /New message/.test(m.subject)).length, 1);

    // The doctor answers while the patient is online (a live socket): the patient is not notified.
    await built.app.listen({ port: 0, host: '127.0.0.1' });
    const socket = await SocketClient.connect(`ws://127.0.0.1:${(built.app.server.address() as { port: number }).port}`, patient.token);
    t.after(() => socket.ws.close());
    assert.ok((await api(doctor, 'POST', `/chat/rooms/${room.json().id}/messages`, { content: 'I am here' })).statusCode < 300);
    await sleep(1000);
    assert.equal((await api(patient, 'GET', '/notifications')).json().items.filter((n: { type: string }) => n.type === 'chat_message').length, 0);
  });
});
