import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { build } from '../../../test/helpers/build.js';
import { createUser, randomIp } from '../../../test/helpers/users.js';
import { startOidcProvider } from '../../../test/helpers/oidc-provider.js';
import { checkEntraTenant, mapRole } from './oidc.service.js';

/**
 * Sign-in with OpenID Connect against a real local provider (oidc-provider), the whole
 * redirect exchange scripted (test/helpers/oidc-provider.ts). Test names carry the OWASP
 * ASVS 5.0 requirement they show (docs/SECURITY.md).
 */
const CALLBACK = 'http://127.0.0.1:8000/api/v1/auth/oidc/local/callback';
const op = await startOidcProvider({ after }, CALLBACK);
const built = await build(
  { after },
  {},
  {
    OIDC_LOCAL_ISSUER: op.issuer,
    OIDC_LOCAL_CLIENT_ID: op.clientId,
    OIDC_LOCAL_CLIENT_SECRET: op.clientSecret,
    OIDC_LOCAL_REDIRECT_URI: CALLBACK,
    OIDC_LOCAL_SCOPES: 'openid email profile roles',
    OIDC_LOCAL_ROLE_CLAIM: 'roles',
    OIDC_LOCAL_ROLE_MAP: 'Clinic.Doctor=doctor,Clinic.Nurse=nurse',
  },
);
const { app, ctx } = built;

async function startFlow(): Promise<{ location: string; state: string }> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/local/login', remoteAddress: randomIp() });
  assert.equal(res.statusCode, 302, res.body);
  const location = String(res.headers.location);
  return { location, state: new URL(location).searchParams.get('state')! };
}
function callback(query: Record<string, string>, json = true) {
  return app.inject({
    method: 'GET',
    url: `/api/v1/auth/oidc/local/callback?${new URLSearchParams(query)}`,
    headers: json ? { accept: 'application/json' } : {},
    remoteAddress: randomIp(),
  });
}
function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  return JSON.parse(res.body) as { detail: string; type: string };
}
function account(extra: Partial<typeof op.nextAccount> = {}) {
  const sub = `sub-${randomBytes(4).toString('hex')}`;
  op.nextAccount = { sub, email: `${sub}@idp.example`, email_verified: true, name: 'Ida Provider', ...extra };
  return op.nextAccount;
}
const usersWith = (email: string) => ctx.db.selectFrom('users').select(['id', 'role', 'status']).where('email', '=', email).execute();
const links = (sub: string) => ctx.db.selectFrom('external_identities').selectAll().where('subject', '=', sub).execute();

describe('OpenID Connect sign-in', () => {
  it('ASVS 6.8.1: success: PKCE S256, state and nonce in the request; an account linked by provider + subject; the same subject signs in again', async () => {
    const who = account();
    const { location, state } = await startFlow();
    const url = new URL(location);
    assert.equal(url.origin, op.issuer);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(url.searchParams.get('code_challenge') && url.searchParams.get('nonce') && state);
    assert.equal(url.searchParams.get('redirect_uri'), CALLBACK);

    const query = await op.authorize(location);
    assert.equal(query.state, state);
    const res = await callback(query);
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    const claims = ctx.tokens.verify(body.access_token);
    assert.deepEqual(claims.amr, ['fed']);
    assert.equal(body.user.email, who.email);
    assert.equal(body.user.role, 'patient');
    assert.equal(body.user.full_name, 'Ida Provider');
    assert.equal((await links(who.sub)).length, 1);

    // Again, now without Accept: JSON: a redirect to the portal with the tokens in the fragment.
    const again = await callback(await op.authorize((await startFlow()).location), false);
    assert.equal(again.statusCode, 302);
    const fragment = new URLSearchParams(String(again.headers.location).split('#')[1]);
    assert.equal(ctx.tokens.verify(fragment.get('access_token')!).sub, body.user.id);
    assert.equal((await usersWith(who.email!)).length, 1, 'the same account, not a second one');
  });

  it('maps the role claim: a clinician role waits for approval; unmapped values give patient', async () => {
    const doctor = account({ roles: ['Clinic.Doctor', 'Something.Else'] });
    const res = await callback(await op.authorize((await startFlow()).location));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().user.role, 'doctor');
    assert.equal(res.json().user.status, 'pending');
    assert.equal((await usersWith(doctor.email!))[0]!.status, 'pending');
    const other = account({ roles: ['Clinic.Admin'] });
    assert.equal((await callback(await op.authorize((await startFlow()).location))).json().user.role, 'patient');
    void other;
    assert.equal(mapRole({ roleClaim: 'roles', roleMap: { A: 'admin', D: 'doctor' } }, { roles: ['D', 'A'] }), 'admin');
    assert.equal(mapRole({ roleClaim: null, roleMap: {} }, { roles: ['D'] }), 'patient');
  });

  it('OIDC state (RFC 9700 4.7): wrong or tampered state → 400, nothing created; missing parameters → 400', async () => {
    const who = account();
    const { location } = await startFlow();
    const query = await op.authorize(location);
    assertProblem(await callback({ ...query, state: `${query.state}x` }), 400);
    assertProblem(await callback({ code: query.code! }), 400);
    assertProblem(await callback({ state: query.state! }), 400);
    assert.equal((await usersWith(who.email!)).length, 0);
    assert.equal((await links(who.sub)).length, 0);
  });

  it('ASVS 6.8.3 (codes): a replayed authorization code is refused (spent state; and the provider refuses the code with a fresh state)', async () => {
    account();
    const query = await op.authorize((await startFlow()).location);
    assert.equal((await callback(query)).statusCode, 200);
    assertProblem(await callback(query), 400);
    const fresh = await startFlow();
    const res = assertProblem(await callback({ ...query, state: fresh.state }), 401);
    assert.match(res.type, /oidc-failed$/);
  });

  for (const [name, tamper, expect] of [
    ['wrong nonce', (c: Record<string, unknown>) => ({ ...c, nonce: 'not-the-nonce' }), /nonce/],
    [
      'expired ID token',
      (c: Record<string, unknown>) => ({ ...c, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }),
      /exp/,
    ],
    ['wrong audience', (c: Record<string, unknown>) => ({ ...c, aud: 'someone-else' }), /aud/],
    ['unknown issuer', (c: Record<string, unknown>) => ({ ...c, iss: 'https://evil.example' }), /iss/],
  ] as const) {
    it(`ASVS 6.8.2: ${name} → 401 problem, no account created or linked`, async () => {
      const who = account();
      const query = await op.authorize((await startFlow()).location);
      op.tamperIdToken = tamper;
      try {
        const problem = assertProblem(await callback(query), 401);
        assert.match(problem.detail, expect);
      } finally {
        op.tamperIdToken = null;
      }
      assert.equal((await usersWith(who.email!)).length, 0);
      assert.equal((await links(who.sub)).length, 0);
    });
  }

  it('ASVS 6.8.1: an unverified email creates and links nothing; an existing email is not taken over unless linking is configured', async () => {
    const unverified = account({ email_verified: false });
    assertProblem(await callback(await op.authorize((await startFlow()).location)), 403);
    assert.equal((await usersWith(unverified.email!)).length, 0);
    assert.equal((await links(unverified.sub)).length, 0);

    const local = await createUser(built, 'patient');
    const clash = account({ email: local.email });
    assertProblem(await callback(await op.authorize((await startFlow()).location)), 409);
    assert.equal((await links(clash.sub)).length, 0);
  });

  it('an unknown provider is 404; a provider error is a clear 401 problem', async () => {
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/nope/login' }), 404);
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/nope/callback?code=a&state=b' }), 404);
    const { state } = await startFlow();
    const problem = assertProblem(await callback({ error: 'access_denied', error_description: 'The user said no', state }), 401);
    assert.match(problem.detail, /access_denied/);
  });

  it('ASVS 6.8.4: an admin signing in through the provider still needs a local second factor', async () => {
    const admin = await createUser(built, 'admin');
    const { ctx: c } = built;
    const who = account({ email: `${randomBytes(4).toString('hex')}@idp.example` });
    // Link the provider subject to the admin directly (as an earlier linked sign-in would have).
    await c.db
      .insertInto('external_identities')
      .values({ provider: 'local', subject: who.sub, user_id: admin.id, email: admin.email, last_login_at: null })
      .execute();
    const res = await callback(await op.authorize((await startFlow()).location));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().mfa_required, true);
    assert.equal(res.json().access_token, undefined);
  });
});

describe('Entra ID multi-tenant issuer ({tenantid})', () => {
  const tid = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const other = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
  const multi = { issuer: 'https://login.microsoftonline.com/organizations/v2.0', tenants: [] as string[] };
  it('accepts a token whose iss is the template with its own tid', () => {
    checkEntraTenant(multi, { iss: `https://login.microsoftonline.com/${tid}/v2.0`, tid });
  });
  it('refuses a token whose iss names another tenant than its tid, or has no tid', () => {
    assert.throws(() => checkEntraTenant(multi, { iss: `https://login.microsoftonline.com/${other}/v2.0`, tid }), /issuer does not match its tenant/);
    assert.throws(() => checkEntraTenant(multi, { iss: `https://login.microsoftonline.com/${tid}/v2.0` }), /tenant id/);
  });
  it('applies the tenant allow-list (OIDC_<NAME>_TENANTS)', () => {
    const allowList = { ...multi, tenants: [other] };
    assert.throws(() => checkEntraTenant(allowList, { iss: `https://login.microsoftonline.com/${tid}/v2.0`, tid }), /not allowed/);
    checkEntraTenant(allowList, { iss: `https://login.microsoftonline.com/${other}/v2.0`, tid: other });
    // A single-tenant issuer without an allow-list is left to openid-client's exact issuer check.
    checkEntraTenant({ issuer: `https://login.microsoftonline.com/${tid}/v2.0`, tenants: [] }, { iss: 'x' });
  });
  it('OIDC configuration is validated, naming the variable', async () => {
    const { loadConfig } = await import('../../platform/config.js');
    assert.throws(() => loadConfig({ OIDC_PROVIDERS: '{not json' }), /OIDC_PROVIDERS/);
    assert.throws(() => loadConfig({ OIDC_X_ISSUER: 'http://idp.example', OIDC_X_CLIENT_ID: 'a', OIDC_X_REDIRECT_URI: 'https://app/cb' }), /OIDC_X_\*.*https/);
    assert.throws(() => loadConfig({ OIDC_X_ISSUER: 'https://idp.example' }), /client_id is required/);
    const config = loadConfig({
      OIDC_PROVIDERS: JSON.stringify({
        entra: {
          issuer: 'https://login.microsoftonline.com/organizations/v2.0',
          client_id: 'c',
          redirect_uri: 'https://app.example/api/v1/auth/oidc/entra/callback',
          role_claim: 'roles',
          role_map: { 'Clinic.Doctor': 'doctor' },
          tenants: [tid],
        },
      }),
    });
    assert.equal(config.auth.oidc[0]!.name, 'entra');
    assert.deepEqual(config.auth.oidc[0]!.tenants, [tid]);
  });
});
