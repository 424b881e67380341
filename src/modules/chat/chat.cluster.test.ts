import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { SocketClient } from '../../../test/helpers/socket-client.js';

const services = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

test(
  'two instances on one PostgreSQL + Redis: exactly-once delivery and shared presence',
  { skip: services ? false : 'needs DATABASE_URL and REDIS_URL (npm run test:services)' },
  async (t) => {
    const tag = `t${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    const shared = {
      databaseSchema: tag,
      redisPrefix: `${process.env.TEST_REDIS_PREFIX ?? 'carebridge-test:'}${tag}:`,
      jwtSecret: randomBytes(48).toString('base64url'),
      realtime: { heartbeatSeconds: 1, presenceTtlSeconds: 3 },
    };
    const one = await build(t, shared);
    const two = await build(t, shared);
    const bases: string[] = [];
    for (const instance of [one, two]) {
      await instance.app.listen({ port: 0, host: '127.0.0.1' });
      const address = instance.app.server.address();
      bases.push(`ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    }
    const [patient, doctor, nurse, admin] = await Promise.all([
      createUser(one, 'patient'),
      createUser(one, 'doctor'),
      createUser(one, 'nurse'),
      createUser(one, 'admin'),
    ]);
    const room = await two.app.inject({
      method: 'POST',
      url: '/api/v1/chat/rooms/create',
      headers: nurse.auth,
      payload: { doctor_id: doctor.id, patient_id: patient.id },
    });
    assert.equal(room.statusCode, 201, 'a token of instance 1 works on instance 2');
    const roomId = room.json().id as string;

    const p = await SocketClient.connect(bases[0]!, patient.token); // instance 1
    const d = await SocketClient.connect(bases[1]!, doctor.token); // instance 2
    const d2 = await SocketClient.connect(bases[1]!, doctor.token); // a second tab, same instance
    t.after(() => [p, d, d2].forEach((c) => c.ws.terminate()));

    // Presence crosses instances: the doctor (instance 2) sees the patient (instance 1) online.
    assert.deepEqual(d.ready?.presence, [{ user_id: patient.id, status: 'online' }]);
    for (const instance of [one, two]) {
      const active = await instance.app.inject({ method: 'GET', url: '/api/v1/chat/active-users', headers: admin.auth });
      assert.deepEqual(
        active
          .json()
          .items.map((u: { user_id: string }) => u.user_id)
          .sort(),
        [doctor.id, patient.id].sort(),
      );
    }
    assert.equal((await p.next((f) => f.type === 'presence' && f.user_id === doctor.id)).status, 'online');

    // 20 messages sent on instance 1 reach both of the doctor's sockets on instance 2, each exactly once.
    for (let i = 1; i <= 20; i++) p.send({ type: 'chat_message', room_id: roomId, content: `msg ${i}`, client_msg_id: `m${i}` });
    for (let i = 1; i <= 20; i++) assert.equal((await p.next((f) => f.type === 'ack' && f.client_msg_id === `m${i}`)).seq, i);
    for (const sock of [d, d2]) {
      const seqs: number[] = [];
      while (seqs.length < 20) seqs.push((await sock.next((f) => f.type === 'chat_message')).seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    }
    await sleep(300);
    assert.equal(d.take('chat_message').length, 0, 'no duplicates');
    assert.equal(d2.take('chat_message').length, 0, 'no duplicates');

    // And the other way, via REST on instance 2 to a socket on instance 1.
    const rest = await two.app.inject({
      method: 'POST',
      url: `/api/v1/chat/rooms/${roomId}/messages`,
      headers: doctor.auth,
      payload: { content: 'via REST', client_msg_id: 'r1' },
    });
    assert.equal(rest.statusCode, 201);
    const got = await p.next((f) => f.type === 'chat_message' && f.sender_id === doctor.id);
    assert.deepEqual([got.seq, got.content], [21, 'via REST']);

    // The doctor's sockets on instance 2 go away: instance 1 announces offline.
    d.close();
    d2.close();
    assert.equal((await p.next((f) => f.type === 'presence' && f.user_id === doctor.id && f.status === 'offline')).status, 'offline');
    const active = await one.app.inject({ method: 'GET', url: '/api/v1/chat/active-users', headers: admin.auth });
    assert.deepEqual(
      active.json().items.map((u: { user_id: string }) => u.user_id),
      [patient.id],
    );
  },
);
