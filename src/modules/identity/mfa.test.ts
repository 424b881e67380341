import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { GOOD_PASSWORD, createUser, injectPost, randomIp, stepUp, uniqueEmail, type TestUser } from '../../../test/helpers/users.js';
import { knownSecret, nextProof } from '../../../test/helpers/mfa.js';
import { TOTP_PERIOD_SECONDS, hashRecoveryCode, matchTotp, totpCode } from './second-factor.js';

/**
 * Second factors, step-up and sessions (docs/API.md §1.1). Test names carry the OWASP ASVS
 * 5.0 requirement they show (docs/SECURITY.md, "ASVS V6").
 */
const built = await build({ after });
const { app, ctx } = built;

function post(url: string, payload: Record<string, unknown>, headers?: Record<string, string>) {
  return app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers, remoteAddress: randomIp() });
}
function loginReply(email: string, password = GOOD_PASSWORD) {
  return post('/auth/login', { email, password });
}
function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string; json(): any }, status: number, type?: RegExp) {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = res.json();
  if (type) assert.match(body.type, type);
  return body;
}
const at = (step: number) => step * TOTP_PERIOD_SECONDS * 1000;
const nowStep = () => Math.floor(Date.now() / 1000 / TOTP_PERIOD_SECONDS);

/** A patient with TOTP set up through the API; returns the secret and recovery codes. */
async function withTotp(): Promise<{ user: TestUser; secret: string; recovery: string[]; confirmStep: number }> {
  const user = await createUser(built, 'patient');
  const setup = await post('/auth/mfa/totp/setup', { password: user.password }, user.auth);
  assert.equal(setup.statusCode, 200, setup.body);
  const { secret } = setup.json();
  const confirmStep = nowStep();
  const confirm = await post('/auth/mfa/totp/confirm', { code: totpCode(secret, at(confirmStep)) }, user.auth);
  assert.equal(confirm.statusCode, 200, confirm.body);
  return { user, secret, recovery: confirm.json().recovery_codes, confirmStep };
}

describe('TOTP', () => {
  it('ASVS 6.5.3/7.5.1: setup needs the password, gives an otpauth URI and an SVG QR code, and is inactive until confirmed', async () => {
    const user = await createUser(built, 'patient');
    assertProblem(await post('/auth/mfa/totp/setup', {}, user.auth), 422);
    assertProblem(await post('/auth/mfa/totp/setup', { password: 'not the password at all' }, user.auth), 422);
    assertProblem(await post('/auth/mfa/totp/setup', { password: user.password }), 401);
    const setup = await post('/auth/mfa/totp/setup', { password: user.password }, user.auth);
    assert.equal(setup.statusCode, 200);
    const body = setup.json();
    assert.match(body.secret, /^[A-Z2-7]{32}$/);
    assert.match(body.otpauth_uri, /^otpauth:\/\/totp\/CareBridge:.*\?.*secret=[A-Z2-7]{32}/);
    assert.match(body.otpauth_uri, /period=30/);
    assert.match(body.qr_svg, /^<svg[\s\S]*<\/svg>\s*$/);
    // Not active yet: sign-in still needs only the password.
    assert.ok((await loginReply(user.email)).json().access_token);
    // Stored encrypted, not as the base32 secret.
    const row = await ctx.db.selectFrom('mfa_totp').selectAll().where('user_id', '=', user.id).executeTakeFirstOrThrow();
    assert.doesNotMatch(row.secret_enc, new RegExp(body.secret));
    assert.equal(row.confirmed_at, null);
  });

  it('ASVS 6.5.1/6.5.5: a code is accepted once, within ±1 step of server time; sign-in then needs it', async () => {
    const { user, secret, confirmStep } = await withTotp();
    const first = (await loginReply(user.email)).json();
    assert.equal(first.mfa_required, true);
    assert.deepEqual(first.methods, ['totp', 'recovery_code']);
    assert.equal(first.access_token, undefined, 'no token pair before the second factor');
    // The confirm code's step is spent: replaying it fails.
    assertProblem(await post('/auth/mfa/verify', { mfa_token: first.mfa_token, code: totpCode(secret, at(confirmStep)) }), 401);
    // Two steps away is outside the window, both ways.
    assertProblem(await post('/auth/mfa/verify', { mfa_token: first.mfa_token, code: totpCode(secret, at(nowStep() + 2)) }), 401);
    assertProblem(await post('/auth/mfa/verify', { mfa_token: first.mfa_token, code: totpCode(secret, at(nowStep() - 2)) }), 401);
    // The next step (clock drift of one step) is accepted …
    const next = nowStep() + 1;
    const ok = await post('/auth/mfa/verify', { mfa_token: first.mfa_token, code: totpCode(secret, at(next)) });
    assert.equal(ok.statusCode, 200, ok.body);
    const claims = ctx.tokens.verify(ok.json().access_token);
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
    assert.ok(Math.abs((claims.auth_time ?? 0) - Date.now() / 1000) < 5);
    // … once: the same code on a new sign-in, and the spent mfa_token, both fail.
    const second = (await loginReply(user.email)).json();
    assertProblem(await post('/auth/mfa/verify', { mfa_token: second.mfa_token, code: totpCode(secret, at(next)) }), 401);
    assertProblem(await post('/auth/mfa/verify', { mfa_token: first.mfa_token, code: totpCode(secret, at(next)) }), 401);
    // Unit: matchTotp's window.
    assert.equal(matchTotp(secret, totpCode(secret, at(100)), at(100) + 5000), 100);
    assert.equal(matchTotp(secret, totpCode(secret, at(99)), at(100) + 5000), 99);
    assert.equal(matchTotp(secret, totpCode(secret, at(98)), at(100) + 5000), null);
  });

  it('ASVS 6.5.2/6.5.1: 10 recovery codes, shown once, stored hashed, each good once', async () => {
    const { user, recovery } = await withTotp();
    assert.equal(recovery.length, 10);
    assert.equal(new Set(recovery).size, 10);
    for (const code of recovery) assert.match(code, /^([a-z2-7]{4}-){5}[a-z2-7]{4}$/);
    const rows = await ctx.db.selectFrom('mfa_recovery_codes').selectAll().where('user_id', '=', user.id).execute();
    assert.equal(rows.length, 10);
    assert.ok(rows.every((r) => !recovery.includes(r.code_hash) && recovery.some((c) => hashRecoveryCode(c) === r.code_hash)));
    const first = (await loginReply(user.email)).json();
    // Typed in upper case without dashes: still the same code.
    const typed = recovery[0]!.replace(/-/g, '').toUpperCase();
    const ok = await post('/auth/mfa/verify', { mfa_token: first.mfa_token, recovery_code: typed });
    assert.equal(ok.statusCode, 200, ok.body);
    const again = (await loginReply(user.email)).json();
    assertProblem(await post('/auth/mfa/verify', { mfa_token: again.mfa_token, recovery_code: recovery[0]! }), 401);
    assert.equal((await post('/auth/mfa/verify', { mfa_token: again.mfa_token, recovery_code: recovery[1]! })).statusCode, 200);
  });

  it('ASVS 6.3.1: wrong codes are limited per mfa_token and per account, with Retry-After', async () => {
    const { user, secret } = await withTotp();
    const attempt = (await loginReply(user.email)).json();
    for (let i = 0; i < 5; i++) assertProblem(await post('/auth/mfa/verify', { mfa_token: attempt.mfa_token, code: '000000' }), 401);
    // The account is now locked for second factors: even the right code waits.
    const locked = await post('/auth/mfa/verify', { mfa_token: (await loginReply(user.email)).json().mfa_token, code: totpCode(secret, at(nowStep() + 1)) });
    assertProblem(locked, 429);
    assert.ok(Number(locked.headers['retry-after']) > 0);
    // And the mfa_token that took five wrong codes is spent.
    const row = await ctx.db
      .selectFrom('auth_challenges')
      .select(['attempts', 'used_at'])
      .where('user_id', '=', user.id)
      .orderBy('created_at')
      .executeTakeFirstOrThrow();
    assert.equal(row.attempts, 5);
    assert.ok(row.used_at);
  });

  it('ASVS 6.5.5: bad input: missing or several proofs → 422, an unknown or expired mfa_token → 401, all problem+json', async () => {
    const { user, secret } = await withTotp();
    const attempt = (await loginReply(user.email)).json();
    assertProblem(await post('/auth/mfa/verify', { mfa_token: attempt.mfa_token }), 422);
    assertProblem(await post('/auth/mfa/verify', { mfa_token: attempt.mfa_token, code: '123456', recovery_code: 'aaaa' }), 422);
    assertProblem(await post('/auth/mfa/verify', { code: '123456' }), 422);
    assertProblem(await post('/auth/mfa/verify', { mfa_token: 'forged', code: '123456' }), 401);
    await ctx.db
      .updateTable('auth_challenges')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('user_id', '=', user.id)
      .execute();
    assertProblem(await post('/auth/mfa/verify', { mfa_token: attempt.mfa_token, code: totpCode(secret, at(nowStep() + 1)) }), 401);
  });

  it('ASVS 6.5.6/7.5.1: removing TOTP needs the password and a current code; afterwards sign-in needs only the password', async () => {
    const { user, secret } = await withTotp();
    assertProblem(
      await app.inject({
        method: 'DELETE',
        url: '/api/v1/auth/mfa/totp',
        headers: user.auth,
        payload: { password: 'wrong password here', code: totpCode(secret, at(nowStep() + 1)) },
      }),
      422,
    );
    assertProblem(
      await app.inject({ method: 'DELETE', url: '/api/v1/auth/mfa/totp', headers: user.auth, payload: { password: user.password, code: '000000' } }),
      401,
    );
    const res = await app.inject({
      method: 'DELETE',
      url: '/api/v1/auth/mfa/totp',
      headers: user.auth,
      payload: { password: user.password, code: totpCode(secret, at(nowStep() + 1)) },
    });
    assert.equal(res.statusCode, 204, res.body);
    assert.ok((await loginReply(user.email)).json().access_token);
    assert.equal((await ctx.db.selectFrom('mfa_recovery_codes').select('id').where('user_id', '=', user.id).execute()).length, 0);
  });
});

describe('required second factor (MFA_REQUIRED_ROLES, default admin)', () => {
  it('ASVS 6.3.3/6.4.3: an admin without a factor gets an enrolment-only mfa_token; a password reset does not bypass it', async () => {
    const email = uniqueEmail('adm');
    await ctx.services.identity.identity.ensureAdmin(email, GOOD_PASSWORD);
    const reply = (await loginReply(email)).json();
    assert.equal(reply.mfa_required, true);
    assert.equal(reply.enrolment_required, true);
    assert.deepEqual(reply.methods, []);
    assert.equal(reply.access_token, undefined);
    // The enrolment token is no sign-in: verify refuses it, and it is no bearer token.
    assertProblem(await post('/auth/mfa/verify', { mfa_token: reply.mfa_token, code: '123456' }), 409, /mfa-enrolment-required$/);
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${reply.mfa_token}` } }), 401);
    // Enrolling with it completes the sign-in with amr pwd+otp.
    const setup = (await post('/auth/mfa/totp/setup', { mfa_token: reply.mfa_token })).json();
    const confirm = await post('/auth/mfa/totp/confirm', { mfa_token: reply.mfa_token, code: totpCode(setup.secret) });
    assert.equal(confirm.statusCode, 200, confirm.body);
    assert.equal(confirm.json().recovery_codes.length, 10);
    assert.deepEqual(ctx.tokens.verify(confirm.json().access_token).amr, ['pwd', 'otp']);
    assert.equal(
      (await app.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${confirm.json().access_token}` } })).statusCode,
      200,
    );
    // The enrolment token is spent.
    assertProblem(await post('/auth/mfa/totp/confirm', { mfa_token: reply.mfa_token, code: totpCode(setup.secret, at(nowStep() + 1)) }), 401);

    // A password reset: the next sign-in still asks for the code.
    const row = await ctx.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
    await ctx.services.identity.identity.setPassword(row, 'a reset admin passphrase');
    const after = (await loginReply(email, 'a reset admin passphrase')).json();
    assert.equal(after.mfa_required, true);
    assert.deepEqual(after.methods, ['totp', 'recovery_code']);
  });

  it('ASVS 6.3.3: an admin cannot remove the last factor (409); other roles are not forced to enrol', async () => {
    const admin = await createUser(built, 'admin');
    const secret = knownSecret(admin.email)!;
    const res = await app.inject({
      method: 'DELETE',
      url: '/api/v1/auth/mfa/totp',
      headers: admin.auth,
      payload: { password: admin.password, code: totpCode(secret, at(nowStep() + 1)) },
    });
    assertProblem(res, 409, /last-factor$/);
    for (const role of ['patient', 'doctor', 'nurse'] as const) {
      const user = await createUser(built, role);
      assert.deepEqual(ctx.tokens.verify(user.token).amr, ['pwd']);
    }
  });

  it('MFA_REQUIRED_ROLES is validated and configurable per role', async () => {
    const { loadConfig } = await import('../../platform/config.js');
    assert.throws(() => loadConfig({ MFA_REQUIRED_ROLES: 'admin,surgeon' }), /MFA_REQUIRED_ROLES/);
    assert.deepEqual(loadConfig({ MFA_REQUIRED_ROLES: 'admin,doctor' }).auth.mfaRequiredRoles, ['admin', 'doctor']);
    assert.deepEqual(loadConfig({}).auth.mfaRequiredRoles, ['admin']);
    assert.equal(loadConfig({}).auth.stepUpRequired, true);
  });
});

describe('step-up', () => {
  it('ASVS 7.5.3: prescribing needs a second factor within 10 minutes: 401 step-up-required, then allowed after POST /auth/mfa/step-up', async () => {
    const { linkCare } = await import('../../../test/helpers/files.js');
    const doctor = await createUser(built, 'doctor');
    const patient = await createUser(built, 'patient');
    await linkCare(built, doctor, patient);
    const prescribe = (user: TestUser) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/prescriptions',
        headers: user.auth,
        payload: { patient_id: patient.id, items: [{ drug: 'Paracetamol', dose: '500 mg', frequency: 'qid' }], confirm_warnings: true },
      });
    const refused = assertProblem(await prescribe(doctor), 401, /\/step-up-required$/);
    assert.match(refused.detail, /second factor/);
    assert.match(String((await prescribe(doctor)).headers['www-authenticate']), /insufficient_user_authentication/);
    // Enrol (password + code) → a stepped-up token; the prescription goes past the step-up check.
    await stepUp(built, doctor);
    const claims = ctx.tokens.verify(doctor.token);
    assert.deepEqual(claims.amr, ['pwd', 'otp']);
    assert.equal((await prescribe(doctor)).statusCode, 201);
    // 11 minutes later (a token of the same session with an old auth_time): refused again.
    const stale = ctx.tokens.sign({
      sub: claims.sub,
      sid: claims.sid,
      role: claims.role,
      amr: ['pwd', 'otp'],
      auth_time: Math.floor(Date.now() / 1000) - 11 * 60,
    });
    assertProblem(await prescribe({ ...doctor, auth: { authorization: `Bearer ${stale}` } }), 401, /\/step-up-required$/);
    // Step up again with a code: allowed.
    const again = await post('/auth/mfa/step-up', nextProof(doctor.email), { authorization: `Bearer ${stale}` });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal((await prescribe({ ...doctor, auth: { authorization: `Bearer ${again.json().access_token}` } })).statusCode, 201);
    // The refresh of a stepped-up session keeps amr and auth_time.
    const refreshed = await post('/auth/refresh', { refresh_token: again.json().refresh_token });
    assert.deepEqual(ctx.tokens.verify(refreshed.json().access_token).amr, ['pwd', 'otp']);
  });

  it('ASVS 7.5.3: role changes need step-up (PATCH with role, PUT /role); status changes do not', async () => {
    const admin = await createUser(built, 'admin');
    const target = await createUser(built, 'nurse');
    const claims = ctx.tokens.verify(admin.token);
    const pwdOnly = {
      authorization: `Bearer ${ctx.tokens.sign({ sub: claims.sub, sid: claims.sid, role: claims.role, amr: ['pwd'], auth_time: Math.floor(Date.now() / 1000) })}`,
    };
    assertProblem(
      await app.inject({ method: 'PATCH', url: `/api/v1/users/${target.id}`, headers: pwdOnly, payload: { role: 'doctor' } }),
      401,
      /\/step-up-required$/,
    );
    assertProblem(
      await app.inject({ method: 'PUT', url: `/api/v1/users/${target.id}/role`, headers: pwdOnly, payload: { role: 'doctor' } }),
      401,
      /\/step-up-required$/,
    );
    assertProblem(
      await app.inject({
        method: 'PUT',
        url: `/api/v1/users/${target.id}/password`,
        headers: pwdOnly,
        payload: { new_password: 'taken over by a stolen token' },
      }),
      401,
      /\/step-up-required$/,
    );
    assert.equal(
      (await app.inject({ method: 'PATCH', url: `/api/v1/users/${target.id}`, headers: pwdOnly, payload: { status: 'deactivated' } })).statusCode,
      200,
    );
    assert.equal(
      (await app.inject({ method: 'PATCH', url: `/api/v1/users/${target.id}`, headers: admin.auth, payload: { role: 'doctor', status: 'active' } })).statusCode,
      200,
    );
  });

  it('the OpenAPI document says which routes need step-up', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    assert.match(doc.paths['/api/v1/prescriptions'].post.description, /step-up/);
    assert.match(doc.paths['/api/v1/users/{user}/role'].put.description, /step-up/);
  });
});

describe('sessions', () => {
  it('ASVS 7.5.2 (partly): lists the active sessions (device, IP, created, last used, current) and revokes one; others 404', async () => {
    const user = await createUser(built, 'patient');
    const second = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: user.password },
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' },
      remoteAddress: '10.77.0.9',
    });
    const otherToken = second.json().access_token as string;
    const list = await app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: user.auth });
    assert.equal(list.statusCode, 200);
    const items = list.json().items as { id: string; current: boolean; device: string; ip: string; created_at: string; last_used_at: string }[];
    assert.equal(items.length, 2);
    assert.equal(items.filter((s) => s.current).length, 1);
    const other = items.find((s) => !s.current)!;
    assert.equal(other.device, 'Firefox on Linux');
    assert.equal(other.ip, '10.77.0.9');
    assert.ok(other.created_at && other.last_used_at);
    assert.doesNotMatch(list.body, /token|hash/i);

    // Someone else's session, or a malformed id: 404; nothing revoked.
    const stranger = await createUser(built, 'patient');
    assertProblem(await app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${other.id}`, headers: stranger.auth }), 404);
    assertProblem(await app.inject({ method: 'DELETE', url: '/api/v1/auth/sessions/not-a-uuid', headers: user.auth }), 404);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${otherToken}` } })).statusCode, 200);

    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${other.id}`, headers: user.auth })).statusCode, 204);
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${otherToken}` } }), 401);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: user.auth })).json().items.length, 1);
  });

  it('ASVS 7.5.2: ending another session needs a recent factor (password without a second factor, step-up with one); ending the current one never does', async () => {
    const sid = (user: TestUser) => ctx.tokens.verify(user.token).sid;
    const age = (sessionId: string) =>
      ctx.db
        .updateTable('auth_sessions')
        .set({ auth_time: new Date(Date.now() - 11 * 60_000) })
        .where('id', '=', sessionId)
        .execute();
    const me = (token: string) => app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    const end = (user: TestUser, sessionId: string, payload?: object) =>
      app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${sessionId}`, headers: user.auth, ...(payload && { payload }) });
    const endAll = (user: TestUser, payload?: object) =>
      app.inject({ method: 'POST', url: '/api/v1/auth/logout?all=true', headers: user.auth, remoteAddress: randomIp(), ...(payload && { payload }) });

    // No second factor, signed in 11 minutes ago: the password is asked for.
    const plain = await createUser(built, 'patient');
    const other = (await loginReply(plain.email)).json().access_token as string;
    const otherSid = ctx.tokens.verify(other).sid;
    await age(sid(plain));
    assertProblem(await end(plain, otherSid), 422);
    assert.match(assertProblem(await end(plain, otherSid, { password: 'not the password' }), 422).detail, /password/);
    assertProblem(await endAll(plain), 422);
    assert.equal((await me(other)).statusCode, 200, 'nothing ended by the refused requests');
    assert.equal((await end(plain, otherSid, { password: plain.password })).statusCode, 204);
    assertProblem(await me(other), 401);
    const third = (await loginReply(plain.email)).json().access_token as string;
    assert.equal((await endAll(plain, { password: plain.password })).statusCode, 204);
    assertProblem(await me(third), 401);
    // The current session, however old its sign-in: plain logout or DELETE of its own id, no questions.
    const again = await createUser(built, 'patient');
    await age(sid(again));
    assert.equal((await end(again, sid(again))).statusCode, 204);
    assertProblem(await me(again.token), 401);

    // With a second factor: only a recent one will do (the password is not enough).
    const strong = await stepUp(built, await createUser(built, 'patient'));
    const login = (await loginReply(strong.email)).json();
    assert.equal(login.mfa_required, true);
    const verified = await post('/auth/mfa/verify', { mfa_token: login.mfa_token, ...nextProof(strong.email) });
    assert.equal(verified.statusCode, 200, verified.body);
    const strongOther = verified.json().access_token as string;
    await age(sid(strong));
    for (const res of [
      await end(strong, ctx.tokens.verify(strongOther).sid, { password: strong.password }),
      await endAll(strong, { password: strong.password }),
    ]) {
      assert.equal(res.headers['www-authenticate']?.toString().includes('insufficient_user_authentication'), true);
      assertProblem(res, 401, /\/step-up-required$/);
    }
    assert.equal((await me(strongOther)).statusCode, 200);
    const stepped = await post('/auth/mfa/step-up', nextProof(strong.email), strong.auth);
    assert.equal(stepped.statusCode, 200, stepped.body);
    strong.auth = { authorization: `Bearer ${stepped.json().access_token}` };
    assert.equal((await end(strong, ctx.tokens.verify(strongOther).sid)).statusCode, 204);
    assertProblem(await me(strongOther), 401);
  });

  it('ASVS 7.4.1: revoking a session closes its sockets at once, like logout', async (t) => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const base = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const { SocketClient } = await import('../../../test/helpers/socket-client.js');
    const user = await createUser(built, 'patient');
    const second = await injectPost(app)('/api/v1/auth/login', { email: user.email, password: user.password });
    const socket = await SocketClient.connect(base, second.body.access_token);
    t.after(() => socket.ws.terminate());
    const sid = ctx.tokens.verify(second.body.access_token).sid;
    const started = Date.now();
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${sid}`, headers: user.auth })).statusCode, 204);
    assert.equal(await socket.closed(3000), 4401);
    assert.ok(Date.now() - started < 2000, 'closed at once, not at token expiry');
  });
});
