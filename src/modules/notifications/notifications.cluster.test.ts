import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { createSlot, futureHour } from '../../../test/helpers/scheduling.js';
import { SocketClient } from '../../../test/helpers/socket-client.js';

const services = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

// Live in-app frames cross instances (docs/NOTIFICATIONS.md, "In-app"): two app instances
// share PostgreSQL and Redis, like chat.cluster.test.ts. Only instance A runs the job worker,
// so the `notification` frame is published on A; the user's socket is on instance B and gets it
// only through the Redis pub/sub.
test(
  'two instances on one PostgreSQL + Redis: a notification created on A reaches a socket on B',
  { skip: services ? false : 'needs DATABASE_URL and REDIS_URL (npm run test:services)' },
  async (t) => {
    const tag = `t${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
    const shared = {
      databaseSchema: tag,
      redisPrefix: `${process.env.TEST_REDIS_PREFIX ?? 'carebridge-test:'}${tag}:`,
      jwtSecret: randomBytes(48).toString('base64url'),
    };
    const env = { JOBS_POLL_MS: '30', RATE_LIMIT_API_PER_MIN: '100000' };
    const a = await build(t, shared, env);
    const b = await build(t, shared, env);
    await a.start(); // the only job worker
    await b.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (b.app.server.address() as { port: number }).port;
    assert.equal(b.ctx.services.notifications.jobs.isRunning, false, 'B runs no worker: it cannot deliver the frame itself');

    const [patient, doctor] = await Promise.all([createUser(a, 'patient'), createUser(a, 'doctor')]);
    const patientSocket = await SocketClient.connect(`ws://127.0.0.1:${port}`, patient.token); // instance B
    const doctorSocket = await SocketClient.connect(`ws://127.0.0.1:${port}`, doctor.token); // instance B
    t.after(() => [patientSocket, doctorSocket].forEach((s) => s.ws.terminate()));

    const slot = await createSlot(a, doctor, futureHour(48));
    const booked = await a.app.inject({ method: 'POST', url: '/api/v1/appointments', headers: patient.auth, payload: { slot_id: slot.id } });
    assert.equal(booked.statusCode, 201, booked.body);

    for (const socket of [patientSocket, doctorSocket]) {
      const frame = await socket.next((f) => f.type === 'notification', 20_000);
      assert.equal(frame.notification.type, 'appointment_booked');
      assert.equal(frame.notification.data.appointment_id, booked.json().id);
      assert.equal(frame.unread_count, 1);
    }
    // Exactly once per socket.
    await sleep(500);
    assert.equal(patientSocket.take('notification').length, 0);
    assert.equal(doctorSocket.take('notification').length, 0);
    // The frame was published by A's worker: the live job completed there.
    const live = await a.ctx.db.selectFrom('jobs').select('state').where('queue', '=', 'notify.live').execute();
    assert.ok(live.length >= 2 && live.every((j) => j.state === 'completed'), JSON.stringify(live));
  },
);
