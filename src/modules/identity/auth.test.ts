import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSigner } from 'fast-jwt';
import { build } from '../../../test/helpers/build.js';
import { GOOD_PASSWORD, createUser, login, uniqueEmail } from '../../../test/helpers/users.js';
import { outboxText } from '../../../test/helpers/mail.js';

const built = await build({ after });
const { app, ctx } = built;

function register(payload: Record<string, unknown>, remoteAddress = '10.0.0.1') {
  return app.inject({ method: 'POST', url: '/api/v1/auth/register', payload, remoteAddress });
}

/** Asserts the reply is problem+json with the given status. */
function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number) {
  assert.equal(res.statusCode, status);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json();
  assert.equal(body.status, status);
  assert.ok(body.title && body.type && body.detail && body.instance, 'problem has type, title, detail, instance');
  return body;
}

/** No password hash, reset or refresh secret anywhere in a JSON reply. */
function assertNoSecrets(json: unknown) {
  const text = JSON.stringify(json);
  assert.doesNotMatch(text, /\$argon2/);
  assert.doesNotMatch(text, /password_hash|token_hash/);
}

describe('registration', () => {
  it('creates an active patient and returns the user object without secrets', async () => {
    const email = uniqueEmail('Pat');
    const res = await register({ email: email.toUpperCase(), password: GOOD_PASSWORD, full_name: 'Pat Ient', role: 'patient', phone: '+49 30 1234567' });
    assert.equal(res.statusCode, 201);
    const user = res.json();
    assert.equal(user.email, email.toLowerCase(), 'emails are stored lower-cased');
    assert.equal(user.role, 'patient');
    assert.equal(user.status, 'active');
    for (const key of ['id', 'email', 'username', 'full_name', 'role', 'status', 'created_at']) assert.ok(key in user, key);
    assertNoSecrets(user);
  });

  it('leaves doctors and nurses pending until approved', async () => {
    for (const role of ['doctor', 'nurse']) {
      const res = await register({ email: uniqueEmail(role), password: GOOD_PASSWORD, full_name: 'Clin Ician', role });
      assert.equal(res.statusCode, 201);
      assert.equal(res.json().status, 'pending');
    }
  });

  it('rejects a duplicate email regardless of case with 409', async () => {
    const email = uniqueEmail('dup');
    assert.equal((await register({ email, password: GOOD_PASSWORD, full_name: 'A', role: 'patient' })).statusCode, 201);
    const res = await register({ email: email.toUpperCase(), password: GOOD_PASSWORD, full_name: 'B', role: 'patient' }, '10.0.0.2');
    assertProblem(res, 409);
  });

  it('rejects concurrent registrations of one email: exactly one wins, nothing half-written', async () => {
    const email = uniqueEmail('race');
    const replies = await Promise.all(
      Array.from({ length: 5 }, (_, i) => register({ email, password: GOOD_PASSWORD, full_name: `R${i}`, role: 'patient' }, `10.1.0.${i + 1}`)),
    );
    assert.deepEqual(replies.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409]);
    const rows = await ctx.db.selectFrom('users').select('id').where('email', '=', email).execute();
    assert.equal(rows.length, 1);
  });

  it('ASVS 6.2.1/6.2.4: rejects weak passwords with 422 and says why', async () => {
    const short = assertProblem(await register({ email: uniqueEmail(), password: 'short', full_name: 'A', role: 'patient' }, '10.0.1.1'), 422);
    assert.equal(short.errors[0].path, '/password');
    const common = assertProblem(await register({ email: uniqueEmail(), password: 'password123', full_name: 'A', role: 'patient' }, '10.0.1.2'), 422);
    assert.match(common.errors[0].message, /common/);
  });

  it('ASVS 6.2.8/6.2.9: a password is checked exactly as typed (no trimming, case kept) and 64+ characters are accepted', async () => {
    const email = uniqueEmail('exact');
    // 91 characters with spaces at both ends: accepted whole, not cut at 64 or 72.
    const long = `  ${'Correct horse battery staple '.repeat(3)}  `;
    assert.ok(long.length >= 64);
    assert.equal((await register({ email, password: long, full_name: 'Exact Typist', role: 'patient' }, '10.0.1.20')).statusCode, 201);
    const attempt = (password: string, ip: string) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });
    assert.equal((await attempt(long, '10.0.1.21')).statusCode, 200);
    assert.equal((await attempt(long.trim(), '10.0.1.22')).statusCode, 401, 'trimmed is another password');
    assert.equal((await attempt(long.toUpperCase(), '10.0.1.23')).statusCode, 401, 'case matters');
    assert.equal((await attempt(long.slice(0, 72), '10.0.1.24')).statusCode, 401, 'not truncated (bcrypt would stop at 72 bytes)');
    assert.equal((await attempt(long, '10.0.1.25')).statusCode, 200);
  });

  it('refuses self-registration as admin with 403', async () => {
    assertProblem(await register({ email: uniqueEmail(), password: GOOD_PASSWORD, full_name: 'A', role: 'admin' }, '10.0.1.3'), 403);
  });

  it('validates the body: unknown role, bad email, extra fields → 422 with field errors', async () => {
    const body = assertProblem(await register({ email: 'not-an-email', password: GOOD_PASSWORD, full_name: 'A', role: 'surgeon', extra: 1 }, '10.0.1.4'), 422);
    const paths = body.errors.map((e: { path: string }) => e.path);
    assert.ok(paths.includes('/email'), JSON.stringify(body.errors));
  });
});

describe('request hygiene', () => {
  it('answers malformed JSON with 400 problem+json', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email": ' });
    assertProblem(res, 400);
  });

  it('refuses NUL characters in JSON with 400 before they reach the database', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: uniqueEmail(), password: GOOD_PASSWORD, full_name: 'Nul\u0000Name', role: 'patient' }),
    });
    assertProblem(res, 400);
  });

  it('answers an oversized body with 413', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ full_name: 'x'.repeat(2 * 1024 * 1024) }),
    });
    assertProblem(res, 413);
  });

  it('answers a non-JSON body on a JSON route with 415', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    assertProblem(res, 415);
  });

  it('answers unknown routes with 404 problem+json and echoes x-request-id', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/nope', headers: { 'x-request-id': 'abc-123' } });
    assertProblem(res, 404);
    assert.equal(res.headers['x-request-id'], 'abc-123');
    const generated = await app.inject({ method: 'GET', url: '/health' });
    assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
});

describe('login and tokens', () => {
  it('signs in by JSON (email or username) and by OAuth2 form', async () => {
    const email = uniqueEmail('login');
    await register({ email, password: GOOD_PASSWORD, full_name: 'Lo Gin', role: 'patient', username: `lg${Date.now()}` }, '10.0.2.1');
    const json = await login(app, email, GOOD_PASSWORD);
    assert.equal((json as any).token_type, 'bearer');
    assert.equal((json as any).expires_in, 900);
    assertNoSecrets((json as any).user);
    const form = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'password', username: email, password: GOOD_PASSWORD }).toString(),
    });
    assert.equal(form.statusCode, 200);
    assert.ok(form.json().access_token);
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${form.json().access_token}` } });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().email, email);
    const alias = await app.inject({ method: 'GET', url: '/api/v1/auth/profile', headers: { authorization: `Bearer ${form.json().access_token}` } });
    assert.deepEqual(alias.json(), me.json());
  });

  it('ASVS 6.3.8: gives the same 401 for a wrong password and an unknown account', async () => {
    const user = await createUser(built, 'patient');
    const wrong = assertProblem(
      await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'not the password!' }, remoteAddress: '10.0.3.1' }),
      401,
    );
    const unknown = assertProblem(
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: uniqueEmail(), password: 'not the password!' },
        remoteAddress: '10.0.3.2',
      }),
      401,
    );
    assert.equal(wrong.detail, unknown.detail);
  });

  it('ASVS 6.3.1: locks an account after repeated failures, even with the right password, with Retry-After', async () => {
    const user = await createUser(built, 'patient');
    for (let i = 0; i < ctx.config.loginMaxFailures; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: user.email, password: `wrong-password-${i}` },
        remoteAddress: `10.0.4.${i + 1}`,
      });
      assert.equal(res.statusCode, 401);
    }
    const locked = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: GOOD_PASSWORD },
      remoteAddress: '10.0.4.100',
    });
    assertProblem(locked, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
  });

  it('rejects alg:none, a wrong key, an expired token and garbage with 401', async () => {
    const user = await createUser(built, 'patient');
    const [, payload] = user.token.split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const wrongKey = createSigner({ key: 'x'.repeat(48), algorithm: 'HS256' })({
      sub: user.id,
      sid: 'x',
      role: 'admin',
      iss: 'carebridge',
      aud: 'carebridge-api',
    });
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const expired = createSigner({ key: ctx.config.jwtSecret, algorithm: 'HS256', noTimestamp: true })({ ...claims, iat: 1_600_000_000, exp: 1_600_000_900 });
    for (const token of [none, wrongKey, expired, 'garbage', `${user.token}x`]) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
      assertProblem(res, 401);
    }
    const expiredReply = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${expired}` } });
    assert.match(expiredReply.json().detail, /expired/);
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Basic abc' } }), 401);
  });

  it('rotates refresh tokens; reusing a spent one revokes the whole family', async () => {
    const user = await createUser(built, 'patient');
    const first = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: user.refreshToken } });
    assert.equal(first.statusCode, 200);
    const rotated = first.json();
    assert.notEqual(rotated.refresh_token, user.refreshToken);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${rotated.access_token}` } })).statusCode, 200);

    // An attacker replays the old token: the session ends for everyone holding it.
    assertProblem(await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: user.refreshToken } }), 401);
    assertProblem(await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: rotated.refresh_token } }), 401);
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${rotated.access_token}` } }), 401);
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth }), 401);
  });

  it('logout ends this session only; ?all=true ends every session', async () => {
    const user = await createUser(built, 'patient');
    const second = await login(app, user.email, user.password);
    const secondAuth = { authorization: `Bearer ${second.access_token}` };
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.auth })).statusCode, 204);
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth }), 401);
    assertProblem(await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: user.refreshToken } }), 401);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: secondAuth })).statusCode, 200);

    const third = await login(app, user.email, user.password);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout?all=true', headers: secondAuth })).statusCode, 204);
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${third.access_token}` } }), 401);
  });

  it('logout with a refresh token ends that token’s session, but not someone else’s', async () => {
    const user = await createUser(built, 'patient');
    const other = await createUser(built, 'patient');
    assertProblem(await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.auth, payload: { refresh_token: other.refreshToken } }), 400);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: other.auth })).statusCode, 200);
    assert.equal(
      (await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.auth, payload: { refresh_token: user.refreshToken } })).statusCode,
      204,
    );
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth }), 401);
  });
});

describe('profile and passwords', () => {
  it('updates own profile and validates the time zone', async () => {
    const user = await createUser(built, 'patient');
    const ok = await app.inject({
      method: 'PATCH',
      url: '/api/v1/auth/me',
      headers: user.auth,
      payload: { full_name: 'New Name', time_zone: 'Europe/Berlin' },
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.json().full_name, 'New Name');
    assert.equal(ok.json().time_zone, 'Europe/Berlin');
    assertProblem(await app.inject({ method: 'PATCH', url: '/api/v1/auth/me', headers: user.auth, payload: { time_zone: 'Mars/Olympus' } }), 422);
    assertProblem(await app.inject({ method: 'PATCH', url: '/api/v1/auth/me', headers: user.auth, payload: { role: 'admin' } }), 422);
  });

  it('ASVS 6.2.2/6.2.3: changing the password ends the other sessions but keeps this one', async () => {
    const user = await createUser(built, 'patient');
    const other = await login(app, user.email, user.password);
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: user.auth,
        payload: { current_password: 'wrong wrong wrong', new_password: 'a brand new passphrase' },
      }),
      422,
    );
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/password',
        headers: user.auth,
        payload: { current_password: user.password, new_password: 'qwertyuiop' },
      }),
      422,
    );
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: user.auth,
      payload: { current_password: user.password, new_password: 'a brand new passphrase' },
    });
    assert.equal(res.statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).statusCode, 200);
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${other.access_token}` } }), 401);
    await login(app, user.email, 'a brand new passphrase');
  });

  /** The reset email, written in the background after the reply (issue 11: same timing for unknown emails). */
  const resetMail = async (email: string) => {
    for (let i = 0; i < 100; i++) {
      const mail = await ctx.db
        .selectFrom('email_outbox')
        .selectAll()
        .where('to_address', '=', email)
        .where('kind', '=', 'password_reset')
        .orderBy('created_at', 'desc')
        .executeTakeFirst();
      if (mail) return mail;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('no reset email');
  };

  it('ASVS 6.4.1: forgot/reset: same reply for unknown emails, token only by email, single use, sessions end', async () => {
    const user = await createUser(built, 'patient');
    const known = await app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email: user.email }, remoteAddress: '10.0.5.1' });
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email: uniqueEmail() }, remoteAddress: '10.0.5.2' });
    assert.equal(known.statusCode, 202);
    assert.equal(unknown.statusCode, 202);
    assert.deepEqual(known.json(), unknown.json());
    assert.doesNotMatch(known.body, /token/i);

    const mail = await resetMail(user.email);
    const token = /token=([A-Za-z0-9_-]+)/.exec(outboxText(ctx, mail.body_text))?.[1];
    assert.ok(token, 'the email carries the reset link');

    assertProblem(
      await app.inject({ method: 'POST', url: '/api/v1/auth/password/reset', payload: { token, new_password: 'short' }, remoteAddress: '10.0.5.3' }),
      422,
    );
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/auth/password/reset',
          payload: { token, new_password: 'reset to something long' },
          remoteAddress: '10.0.5.4',
        })
      ).statusCode,
      204,
    );
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/password/reset',
        payload: { token, new_password: 'reset it once again now' },
        remoteAddress: '10.0.5.5',
      }),
      400,
    );
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth }), 401);
    await login(app, user.email, 'reset to something long');
  });

  it('ASVS 6.4.1: expired reset tokens are refused', async () => {
    const user = await createUser(built, 'patient');
    await app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', payload: { email: user.email }, remoteAddress: '10.0.6.1' });
    const mail = await resetMail(user.email);
    const token = /token=([A-Za-z0-9_-]+)/.exec(outboxText(ctx, mail.body_text))![1]!;
    await ctx.db
      .updateTable('password_reset_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    assertProblem(
      await app.inject({
        method: 'POST',
        url: '/api/v1/auth/password/reset',
        payload: { token, new_password: 'reset to something long' },
        remoteAddress: '10.0.6.2',
      }),
      400,
    );
  });
});

describe('pending clinicians', () => {
  it('can sign in and read their status but get 403 on everything else', async () => {
    const doctor = await createUser(built, 'doctor', { pending: true });
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: doctor.auth });
    assert.equal(me.statusCode, 200);
    assert.equal(me.json().status, 'pending');
    const res = await app.inject({
      method: 'PUT',
      url: `/api/v1/users/${doctor.id}/password`,
      headers: doctor.auth,
      payload: { current_password: doctor.password, new_password: 'another long password' },
    });
    const body = assertProblem(res, 403);
    assert.match(body.detail, /approval/);
  });
});
