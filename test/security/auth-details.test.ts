import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { build } from '../helpers/build.js';
import { createUser, GOOD_PASSWORD, randomIp, uniqueEmail } from '../helpers/users.js';
import { SocketClient } from '../helpers/socket-client.js';
import { outboxText } from '../helpers/mail.js';

/** Issue 11, item 6: authentication details. */
test('authentication details', async (t) => {
  const built = await build(t);
  const { app, ctx } = built;
  const loginAs = (identifier: string, password: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: identifier, password }, remoteAddress: randomIp() });
  const resetMail = async (email: string) => {
    for (let i = 0; i < 150; i++) {
      const mail = await ctx.db.selectFrom('email_outbox').selectAll().where('to_address', '=', email).where('kind', '=', 'password_reset').executeTakeFirst();
      if (mail) return { ...mail, body_text: outboxText(ctx, mail.body_text) };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('no reset email');
  };

  await t.test('lockout counts failures per account: email and username share one budget', async () => {
    const email = uniqueEmail('lock');
    const username = `lock_${randomBytes(3).toString('hex')}`;
    const reg = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, username, password: GOOD_PASSWORD, full_name: 'Lock Test', role: 'patient' },
      remoteAddress: randomIp(),
    });
    assert.equal(reg.statusCode, 201, reg.body);
    const max = ctx.config.loginMaxFailures;
    for (let i = 0; i < max; i++) assert.equal((await loginAs(i % 2 ? email : username, 'wrong password here')).statusCode, 401);
    // `max` failures spread over both identifiers lock the account, whichever identifier is used next.
    assert.equal((await loginAs(email, GOOD_PASSWORD)).statusCode, 429);
    assert.equal((await loginAs(username, GOOD_PASSWORD)).statusCode, 429);
  });

  await t.test('a password change invalidates reset links sent before it', async () => {
    const user = await createUser(built, 'patient');
    assert.equal(
      (await app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email: user.email }, remoteAddress: randomIp() })).statusCode,
      202,
    );
    const token = /token=([A-Za-z0-9_-]+)/.exec((await resetMail(user.email)).body_text)![1]!;
    const changed = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: user.auth,
      payload: { current_password: user.password, new_password: 'a changed passphrase 2026' },
    });
    assert.equal(changed.statusCode, 204, changed.body);
    const reset = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password/reset',
      payload: { token, new_password: 'the attacker passphrase' },
      remoteAddress: randomIp(),
    });
    assert.equal(reset.statusCode, 400, 'the old link no longer works');
    assert.equal((await loginAs(user.email, 'a changed passphrase 2026')).statusCode, 200);
  });

  await t.test('forgot-password answers without touching the database: known and unknown emails take the same time', async () => {
    const user = await createUser(built, 'patient');
    // Hold the users table: any lookup made before the reply would wait for the lock.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const lock = ctx.db.transaction().execute(async (trx) => {
      await sql`lock table users in access exclusive mode`.execute(trx);
      locked();
      await held;
    });
    await isLocked;
    try {
      for (const email of [user.email, uniqueEmail('nobody')]) {
        const reply = await Promise.race([
          app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email }, remoteAddress: randomIp() }),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000)),
        ]);
        assert.ok(reply, 'the reply did not wait for the account lookup');
        assert.equal(reply.statusCode, 202);
      }
    } finally {
      release();
      await lock;
    }
    assert.match((await resetMail(user.email)).body_text, /token=/, 'the email is still sent, after the reply');
  });

  await t.test('video signalling sockets close when their session ends', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const base = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const [doctor, patient] = await Promise.all([createUser(built, 'doctor'), createUser(built, 'patient')]);
    const start = new Date(Date.now() + 10 * 60_000);
    start.setUTCSeconds(0, 0);
    const slot = await app.inject({
      method: 'POST',
      url: '/api/v1/doctors/me/slots',
      headers: doctor.auth,
      payload: { start: start.toISOString(), duration_minutes: 30 },
    });
    const booked = await app.inject({
      method: 'POST',
      url: '/api/v1/appointments',
      headers: patient.auth,
      payload: { slot_id: slot.json().id, type: 'video' },
    });
    assert.equal(booked.statusCode, 201, booked.body);
    const socket = await SocketClient.open(`${base}/api/v1/ws/video/${booked.json().id}?token=${patient.token}`);
    t.after(() => socket.ws.terminate());
    await socket.next((f) => f.type === 'joined');
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: patient.auth })).statusCode, 204);
    assert.equal(await socket.closed(5000), 4401);
  });
});
