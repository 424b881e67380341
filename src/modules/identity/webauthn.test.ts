import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser, randomIp, type TestUser } from '../../../test/helpers/users.js';
import { SoftAuthenticator } from '../../../test/helpers/passkey.js';

/**
 * Passkeys (docs/API.md §1.1) against a software authenticator (test/helpers/passkey.ts).
 * Test names carry the OWASP ASVS 5.0 requirement they show (docs/SECURITY.md).
 */
const built = await build({ after });
const { app, ctx } = built;
const { rpId, origins } = ctx.config.auth.webauthn;
const origin = origins[0]!;

function post(url: string, payload: Record<string, unknown> | undefined, headers?: Record<string, string>) {
  return app.inject({ method: 'POST', url: `/api/v1${url}`, ...(payload !== undefined && { payload }), headers, remoteAddress: randomIp() });
}
function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  return JSON.parse(res.body);
}

async function registerPasskey(user: TestUser, name = 'Laptop') {
  const authenticator = new SoftAuthenticator(rpId, origin);
  const options = (await post('/auth/webauthn/register/options', { password: user.password }, user.auth)).json();
  const res = await post('/auth/webauthn/register/verify', { response: authenticator.create(options), name }, user.auth);
  assert.equal(res.statusCode, 201, res.body);
  return { authenticator, credential: res.json() };
}

describe('passkey registration', () => {
  it('ASVS 7.5.1/6.7.2: registers with the password; lists, renames; refuses wrong challenge, wrong origin and replay', async () => {
    const user = await createUser(built, 'patient');
    assertProblem(await post('/auth/webauthn/register/options', { password: 'not my password at all' }, user.auth), 422);
    const options = (await post('/auth/webauthn/register/options', { password: user.password }, user.auth)).json();
    assert.equal(options.rp.id, rpId);
    assert.equal(options.attestation, 'none');
    assert.ok(options.challenge);

    const authenticator = new SoftAuthenticator(rpId, origin);
    // A response to a challenge the server never issued (or issued to someone else): 400.
    assertProblem(
      await post(
        '/auth/webauthn/register/verify',
        { response: authenticator.create(options, { challenge: Buffer.from('forged').toString('base64url') }) },
        user.auth,
      ),
      400,
    );
    // Another origin (a phishing site relaying the challenge): 400.
    assertProblem(
      await post('/auth/webauthn/register/verify', { response: authenticator.create(options, { origin: 'https://evil.example' }) }, user.auth),
      400,
    );
    // Someone else's registration challenge: 400.
    const other = await createUser(built, 'patient');
    assertProblem(await post('/auth/webauthn/register/verify', { response: authenticator.create(options) }, other.auth), 400);
    const good = authenticator.create(options);
    const res = await post('/auth/webauthn/register/verify', { response: good, name: 'Laptop' }, user.auth);
    assert.equal(res.statusCode, 201, res.body);
    // The challenge is spent.
    assertProblem(await post('/auth/webauthn/register/verify', { response: good }, user.auth), 400);

    const list = (await app.inject({ method: 'GET', url: '/api/v1/auth/webauthn/credentials', headers: user.auth })).json();
    assert.equal(list.items.length, 1);
    assert.equal(list.items[0].name, 'Laptop');
    assert.doesNotMatch(JSON.stringify(list), /public_key|credential_id/);
    const renamed = await app.inject({
      method: 'PATCH',
      url: `/api/v1/auth/webauthn/credentials/${list.items[0].id}`,
      headers: user.auth,
      payload: { name: 'Work laptop' },
    });
    assert.equal(renamed.json().name, 'Work laptop');
    assertProblem(
      await app.inject({ method: 'PATCH', url: `/api/v1/auth/webauthn/credentials/${list.items[0].id}`, headers: other.auth, payload: { name: 'Mine now' } }),
      404,
    );
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/webauthn/credentials', headers: other.auth })).json().items.length, 0);
  });
});

describe('passkey sign-in', () => {
  it('ASVS 6.3.3: passkey as the second factor of a password sign-in (amr pwd+hwk)', async () => {
    const user = await createUser(built, 'patient');
    const { authenticator } = await registerPasskey(user);
    const login = (await post('/auth/login', { email: user.email, password: user.password })).json();
    assert.equal(login.mfa_required, true);
    assert.deepEqual(login.methods, ['webauthn']);
    const options = (await post('/auth/webauthn/login/options', { mfa_token: login.mfa_token })).json();
    assert.deepEqual(
      options.allowCredentials.map((c: { id: string }) => c.id),
      [authenticator.id],
    );
    // Wrong origin, then a forged challenge: refused, problem+json.
    assertProblem(
      await post('/auth/mfa/verify', { mfa_token: login.mfa_token, webauthn: authenticator.get(options, { origin: 'https://evil.example' }) }),
      401,
    );
    assertProblem(
      await post('/auth/mfa/verify', {
        mfa_token: login.mfa_token,
        webauthn: authenticator.get(options, { challenge: Buffer.from('forged').toString('base64url') }),
      }),
      401,
    );
    const ok = await post('/auth/mfa/verify', { mfa_token: login.mfa_token, webauthn: authenticator.get(options) });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ctx.tokens.verify(ok.json().access_token).amr, ['pwd', 'hwk']);
  });

  it('ASVS 6.7.2/6.3.4: passwordless sign-in needs user verification; wrong challenge, wrong origin and replays fail; nothing is issued', async () => {
    const user = await createUser(built, 'doctor');
    const { authenticator } = await registerPasskey(user);
    const sessionsBefore = (await ctx.db.selectFrom('auth_sessions').select('id').where('user_id', '=', user.id).execute()).length;
    const options = (await post('/auth/webauthn/login/options', undefined)).json();
    assert.deepEqual(options.allowCredentials, []);
    assert.equal(options.userVerification, 'required');
    assertProblem(await post('/auth/webauthn/login/verify', { response: authenticator.get(options, { origin: 'https://evil.example' }) }), 401);
    assertProblem(
      await post('/auth/webauthn/login/verify', { response: authenticator.get(options, { challenge: Buffer.from('forged').toString('base64url') }) }),
      401,
    );
    assertProblem(await post('/auth/webauthn/login/verify', { response: authenticator.get(options, { uv: false }) }), 401);
    assertProblem(await post('/auth/webauthn/login/verify', { response: { id: 'unknown', response: {} } }), 401);
    assert.equal((await ctx.db.selectFrom('auth_sessions').select('id').where('user_id', '=', user.id).execute()).length, sessionsBefore);

    const assertion = authenticator.get(options);
    const ok = await post('/auth/webauthn/login/verify', { response: assertion });
    assert.equal(ok.statusCode, 200, ok.body);
    const claims = ctx.tokens.verify(ok.json().access_token);
    assert.deepEqual(claims.amr, ['hwk', 'mfa']);
    assert.equal(ok.json().user.id, user.id);
    // Replaying the same assertion: the challenge is spent.
    assertProblem(await post('/auth/webauthn/login/verify', { response: assertion }), 401);
    // A passwordless sign-in is a strong one: the doctor may prescribe at once (step-up satisfied).
    assert.ok(claims.amr?.includes('hwk'));
  });

  it('ASVS 7.5.3/7.5.1: step-up with a passkey, and removing one needs a recent second factor', async () => {
    const user = await createUser(built, 'nurse');
    const { authenticator, credential } = await registerPasskey(user);
    // A password-only token may not remove a factor.
    assertProblem(await app.inject({ method: 'DELETE', url: `/api/v1/auth/webauthn/credentials/${credential.id}`, headers: user.auth }), 401);
    const options = (await post('/auth/webauthn/login/options', {}, user.auth)).json();
    const stepped = await post('/auth/mfa/step-up', { webauthn: authenticator.get(options) }, user.auth);
    assert.equal(stepped.statusCode, 200, stepped.body);
    assert.deepEqual(ctx.tokens.verify(stepped.json().access_token).amr, ['pwd', 'hwk']);
    const auth = { authorization: `Bearer ${stepped.json().access_token}` };
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/auth/webauthn/credentials/${credential.id}`, headers: auth })).statusCode, 204);
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/webauthn/credentials', headers: auth })).json().items.length, 0);
  });

  it('ASVS 6.3.3: an admin cannot remove the only factor left (409)', async () => {
    const admin = await createUser(built, 'admin');
    const { credential } = await registerPasskey(admin);
    // TOTP and a passkey: the authenticator app may go; then the passkey is the last factor.
    const { nextProof } = await import('../../../test/helpers/mfa.js');
    const code = (nextProof(admin.email) as { code: string }).code;
    const removed = await app.inject({ method: 'DELETE', url: '/api/v1/auth/mfa/totp', headers: admin.auth, payload: { password: admin.password, code } });
    assert.equal(removed.statusCode, 204, removed.body);
    const res = await app.inject({ method: 'DELETE', url: `/api/v1/auth/webauthn/credentials/${credential.id}`, headers: admin.auth });
    assert.match(assertProblem(res, 409).type, /last-factor$/);
  });
});
