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

/**
 * The browser that starts a flow: its Location and state, and the flow's cookie (name=value,
 * as a browser sends it back). `jar` collects cookies the way a browser keeps them, so a
 * test can play one browser that signs in several times.
 */
async function startFlow(jar = new Map<string, string>()): Promise<{ location: string; state: string; cookie: string; setCookie: string }> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/local/login', remoteAddress: randomIp() });
  assert.equal(res.statusCode, 302, res.body);
  const location = String(res.headers.location);
  const setCookie = String(res.headers['set-cookie']);
  const [pair] = setCookie.split(';');
  const [name, value] = pair!.split('=') as [string, string];
  jar.set(name, value);
  return { location, state: new URL(location).searchParams.get('state')!, cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), setCookie };
}
/** The provider's redirect back, in a browser holding `cookie` (by default the last flow's: the browser that started it). */
let lastCookie = '';
async function flow(): Promise<Record<string, string>> {
  const started = await startFlow();
  lastCookie = started.cookie;
  return op.authorize(started.location);
}
function callback(query: Record<string, string>, json = true, cookie: string | null = lastCookie) {
  return app.inject({
    method: 'GET',
    url: `/api/v1/auth/oidc/local/callback?${new URLSearchParams(query)}`,
    headers: { ...(json && { accept: 'application/json' }), ...(cookie && { cookie }) },
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
    const { location, state, cookie } = await startFlow();
    lastCookie = cookie;
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
    const again = await callback(await flow(), false);
    assert.equal(again.statusCode, 302);
    const fragment = new URLSearchParams(String(again.headers.location).split('#')[1]);
    assert.equal(ctx.tokens.verify(fragment.get('access_token')!).sub, body.user.id);
    assert.equal((await usersWith(who.email!)).length, 1, 'the same account, not a second one');
  });

  it('maps the role claim: a clinician role waits for approval; unmapped values give patient', async () => {
    const doctor = account({ roles: ['Clinic.Doctor', 'Something.Else'] });
    const res = await callback(await flow());
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().user.role, 'doctor');
    assert.equal(res.json().user.status, 'pending');
    assert.equal((await usersWith(doctor.email!))[0]!.status, 'pending');
    const other = account({ roles: ['Clinic.Admin'] });
    assert.equal((await callback(await flow())).json().user.role, 'patient');
    void other;
    assert.equal(mapRole({ roleClaim: 'roles', roleMap: { A: 'admin', D: 'doctor' } }, { roles: ['D', 'A'] }), 'admin');
    assert.equal(mapRole({ roleClaim: null, roleMap: {} }, { roles: ['D'] }), 'patient');
  });

  it('OIDC state (RFC 9700 4.7): wrong or tampered state → 400, nothing created; missing parameters → 400', async () => {
    const who = account();
    const query = await flow();
    assertProblem(await callback({ ...query, state: `${query.state}x` }), 400);
    assertProblem(await callback({ code: query.code! }), 400);
    assertProblem(await callback({ state: query.state! }), 400);
    assert.equal((await usersWith(who.email!)).length, 0);
    assert.equal((await links(who.sub)).length, 0);
  });

  it('login CSRF (review M7, RFC 9700 4.7.1): a callback replayed in another browser is a 400 and spends nothing; the starting browser still signs in', async () => {
    const victim = account();
    const started = await startFlow();
    // The flow cookie: HttpOnly, SameSite=Lax, scoped to the callback path, as long-lived as the flow; not Secure on this http callback.
    assert.match(started.setCookie, /^cb_oidc_[0-9a-f]{16}=[A-Za-z0-9_-]{43}; /);
    assert.match(started.setCookie, /; HttpOnly/);
    assert.match(started.setCookie, /; SameSite=Lax/);
    assert.match(started.setCookie, /; Path=\/api\/v1\/auth\/oidc\/local\/callback/);
    assert.match(started.setCookie, /; Max-Age=300/);
    assert.doesNotMatch(started.setCookie, /Secure/);
    const query = await op.authorize(started.location);

    // Another browser: no cookie at all, a cookie from its own flow, or a forged value under the right name.
    const other = await startFlow();
    const forged = `${started.cookie.split('=')[0]}=${'A'.repeat(43)}`;
    for (const cookie of [null, other.cookie, forged]) {
      const problem = assertProblem(await callback(query, true, cookie), 400);
      assert.match(problem.type, /oidc-browser-mismatch$/);
      assert.match(problem.detail, /not started in this browser/);
    }
    assert.equal((await usersWith(victim.email!)).length, 0, 'no account created by the replays');
    assert.equal((await links(victim.sub)).length, 0);

    // The browser that started it finishes it, and the callback clears the cookie.
    const res = await callback(query, true, started.cookie);
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['set-cookie']), /^cb_oidc_[0-9a-f]{16}=; Path=[^;]+; Max-Age=0/);
  });

  it('ASVS 6.8.3 (codes): a replayed authorization code is refused (spent state; and the provider refuses the code with a fresh state)', async () => {
    account();
    const query = await flow();
    assert.equal((await callback(query)).statusCode, 200);
    assertProblem(await callback(query), 400);
    const fresh = await startFlow();
    const res = assertProblem(await callback({ ...query, state: fresh.state }, true, fresh.cookie), 401);
    assert.match(res.type, /oidc-failed$/);
  });

  for (const [name, tamper, expect] of [
    ['wrong nonce', (c: Record<string, unknown>) => ({ ...c, nonce: 'not-the-nonce' }), /nonce/],
    [
      'expired ID token',
      (c: Record<string, unknown>) => ({ ...c, iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 }),
      /exp/,
    ],
    [
      'clock-skewed ID token (issued an hour ahead of server time)',
      (c: Record<string, unknown>) => ({ ...c, iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 }),
      /iat|future/,
    ],
    ['wrong audience', (c: Record<string, unknown>) => ({ ...c, aud: 'someone-else' }), /aud/],
    ['unknown issuer', (c: Record<string, unknown>) => ({ ...c, iss: 'https://evil.example' }), /iss/],
  ] as const) {
    it(`ASVS 6.8.2: ${name} → 401 problem, no account created or linked`, async () => {
      const who = account();
      const query = await flow();
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
    assertProblem(await callback(await flow()), 403);
    assert.equal((await usersWith(unverified.email!)).length, 0);
    assert.equal((await links(unverified.sub)).length, 0);

    const local = await createUser(built, 'patient');
    const clash = account({ email: local.email });
    assertProblem(await callback(await flow()), 409);
    assert.equal((await links(clash.sub)).length, 0);
  });

  it('an unknown provider is 404; a provider error is a clear 401 problem', async () => {
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/nope/login' }), 404);
    assertProblem(await app.inject({ method: 'GET', url: '/api/v1/auth/oidc/nope/callback?code=a&state=b' }), 404);
    const { state, cookie } = await startFlow();
    const problem = assertProblem(await callback({ error: 'access_denied', error_description: 'The user said no', state }, true, cookie), 401);
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
    const res = await callback(await flow());
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
  it('review L8: trust_email + link_by_email on a multi-tenant Entra issuer is a ConfigError naming the variable; single-tenant or one flag alone is accepted', async () => {
    const { loadConfig, ConfigError } = await import('../../platform/config.js');
    const env = (issuer: string, extra: Record<string, string>) => ({
      OIDC_ENTRA_ISSUER: issuer,
      OIDC_ENTRA_CLIENT_ID: 'c',
      OIDC_ENTRA_REDIRECT_URI: 'https://app.example/api/v1/auth/oidc/entra/callback',
      ...extra,
    });
    const both = { OIDC_ENTRA_TRUST_EMAIL: 'true', OIDC_ENTRA_LINK_BY_EMAIL: 'true' };
    for (const segment of ['common', 'organizations', 'consumers', '{tenantid}']) {
      const issuer = `https://login.microsoftonline.com/${segment}/v2.0`;
      assert.throws(
        () => loadConfig(env(issuer, both)),
        (err: unknown) => err instanceof ConfigError && err.variable === 'OIDC_ENTRA_TRUST_EMAIL' && /multi-tenant/.test(err.message),
        segment,
      );
      const json = {
        OIDC_PROVIDERS: JSON.stringify({ entra: { issuer, client_id: 'c', redirect_uri: 'https://app.example/cb', trust_email: true, link_by_email: 'yes' } }),
      };
      assert.throws(
        () => loadConfig(json),
        (err: unknown) => err instanceof ConfigError && err.variable === 'OIDC_PROVIDERS' && /entra: trust_email with link_by_email/.test(err.message),
      );
      // Either flag alone is allowed (no takeover: an unverified email creates, never links).
      assert.equal(loadConfig(env(issuer, { OIDC_ENTRA_TRUST_EMAIL: 'true' })).auth.oidc[0]!.trustEmail, true);
      assert.equal(loadConfig(env(issuer, { OIDC_ENTRA_LINK_BY_EMAIL: 'true' })).auth.oidc[0]!.linkByEmail, true);
    }
    // The clinic's own single-tenant directory may do both.
    const single = loadConfig(env(`https://login.microsoftonline.com/${tid}/v2.0`, both)).auth.oidc[0]!;
    assert.ok(single.trustEmail && single.linkByEmail);
  });
});
