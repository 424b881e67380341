import { test } from 'node:test';
import net from 'node:net';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { SmtpCapture } from './testing.js';
import { setup, until } from './test-setup.js';

test('notifications: identity mail over SMTP, unreachable and slow SMTP', async (t) => {
  const { built, smtp } = await setup(t);
  await t.test('identity mail goes through SMTP; an unreachable SMTP server never blocks the request, retries, then dead-letters', async () => {
    const user = await createUser(built, 'patient');
    const forgot = await built.app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email: user.email } });
    assert.ok(forgot.statusCode < 300, forgot.body);
    const mail = await smtp.next((m) => m.to.includes(user.email) && /password/i.test(m.subject));
    assert.match(mail.text, /reset-password\?token=/);
    assert.match(mail.raw, /text\/html/);
    await until(
      async () => (await built.ctx.db.selectFrom('email_outbox').select('status').where('to_address', '=', user.email).executeTakeFirst())?.status === 'sent',
    );

    // A closed port: the request answers at once; the job retries with backoff, then is failed.
    const dead = await SmtpCapture.start();
    const deadUrl = dead.url;
    await dead.close();
    const broken = await build(t, {}, { SMTP_URL: deadUrl, JOBS_POLL_MS: '30', JOBS_BACKOFF_BASE_MS: '20' });
    await broken.start();
    const victim = await createUser(broken, 'patient');
    const t0 = Date.now();
    const res = await broken.app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email: victim.email } });
    assert.ok(res.statusCode < 300);
    assert.ok(Date.now() - t0 < 5000, 'the request does not wait on SMTP');
    const failed = await until(
      async () => broken.ctx.db.selectFrom('jobs').selectAll().where('queue', '=', 'email.outbox').where('state', '=', 'failed').executeTakeFirst(),
      60_000,
    );
    assert.equal(failed.attempts, failed.max_attempts);
    assert.match(failed.last_error ?? '', /ECONNREFUSED|connect/i);
    assert.equal(
      (await broken.ctx.db.selectFrom('email_outbox').select('status').where('to_address', '=', victim.email).executeTakeFirstOrThrow()).status,
      'failed',
    );
  });

  await t.test('a slow SMTP server (accepts, never greets) never blocks the request; the send times out, retries, then dead-letters', async () => {
    const silent = net.createServer(() => {}); // holds each connection open and says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => silent.close(() => resolve())));
    const port = (silent.address() as net.AddressInfo).port;
    const slow = await build(t, {}, { SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_TIMEOUT_MS: '300', JOBS_POLL_MS: '30', JOBS_BACKOFF_BASE_MS: '20' });
    await slow.start();
    const victim = await createUser(slow, 'patient');
    const t0 = Date.now();
    const res = await slow.app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email: victim.email } });
    assert.ok(res.statusCode < 300);
    assert.ok(Date.now() - t0 < 5000, 'the request does not wait on SMTP');
    const failed = await until(
      async () => slow.ctx.db.selectFrom('jobs').selectAll().where('queue', '=', 'email.outbox').where('state', '=', 'failed').executeTakeFirst(),
      60_000,
    );
    assert.equal(failed.attempts, failed.max_attempts);
    assert.match(failed.last_error ?? '', /timeout|greeting/i);
  });
});
