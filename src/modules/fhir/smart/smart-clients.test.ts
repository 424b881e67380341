import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createSigner } from 'fast-jwt';
import { build } from '../../../../test/helpers/build.js';
import { createUser, type TestUser } from '../../../../test/helpers/users.js';
import { linkCare } from '../../../../test/helpers/files.js';

// A scripted SMART client (docs/FHIR.md "SMART App Launch"): refresh tokens (offline_access) with
// rotation and reuse detection, confidential clients (client_secret_basic, private_key_jwt) and
// the EHR launch, over the real /oauth/token and consent endpoints.
const BASE = 'http://localhost:80';
const AUD = `${BASE}/fhir/R4`;
const TOKEN_URL = `${BASE}/oauth/token`;
const REDIRECT = 'https://app.example.test/callback';
const SECRET = randomBytes(32).toString('base64url');
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const publicJwk = { ...signingKey.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES384', use: 'sig' };
const CLIENTS = [
  { client_id: 'public-app', redirect_uris: [REDIRECT], scope: 'launch/patient launch offline_access openid fhirUser patient/*.rs user/*.rs' },
  { client_id: 'other-public', redirect_uris: [REDIRECT], scope: 'offline_access patient/*.rs' },
  {
    client_id: 'secret-app',
    redirect_uris: [REDIRECT],
    scope: 'launch/patient offline_access patient/*.rs',
    token_endpoint_auth_method: 'client_secret_basic',
    client_secret: SECRET,
  },
  {
    client_id: 'jwt-app',
    redirect_uris: [REDIRECT],
    scope: 'launch/patient patient/*.rs',
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [publicJwk] },
  },
  { client_id: 'ehr-app', redirect_uris: [REDIRECT], launch_uri: 'https://app.example.test/launch', scope: 'launch openid fhirUser user/*.rs patient/*.rs' },
];

test('SMART: refresh tokens, confidential clients, EHR launch', async (t) => {
  const built = await build(t, {}, { SMART_CLIENTS: JSON.stringify(CLIENTS) });
  const { app } = built;

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };
  const authorizeQuery = (clientId: string, scope: string, challenge: string, extra: Record<string, string> = {}) => ({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope,
    state: 'st',
    aud: AUD,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...extra,
  });
  /** The consent page's decision: the redirect the browser would follow. */
  const consent = async (user: TestUser, clientId: string, scope: string, extra: Record<string, string> = {}) => {
    const { verifier, challenge } = pkce();
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/smart/authorize',
      headers: { ...user.auth, host: 'localhost:80' },
      payload: { ...authorizeQuery(clientId, scope, challenge, extra), approve: true },
    });
    assert.equal(res.statusCode, 200, res.body);
    const target = new URL(res.json().redirect_to);
    return { code: target.searchParams.get('code'), error: target.searchParams.get('error'), verifier };
  };
  const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'localhost:80', ...headers },
      payload: new URLSearchParams(fields).toString(),
    });
  const fhir = (accessToken: string, url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${accessToken}` } });
  const basic = (id: string, secret: string) => ({
    authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
  });
  const assertOAuthProblem = (
    res: { statusCode: number; headers: Record<string, unknown>; json: () => Record<string, unknown> },
    status: number,
    error: string,
  ) => {
    assert.equal(res.statusCode, status, JSON.stringify(res.json()));
    assert.match(String(res.headers['content-type']), /application\/problem\+json/);
    const body = res.json();
    assert.equal(body.error, error);
    assert.equal(body.status, status);
    assert.ok(body.type && body.title && body.detail);
    return body;
  };

  await t.test('discovery announces refresh tokens, confidential clients and the EHR launch', async () => {
    const res = await app.inject({ method: 'GET', url: '/fhir/R4/.well-known/smart-configuration', headers: { host: 'localhost:80' } });
    const body = res.json();
    assert.deepEqual(body.grant_types_supported, ['authorization_code', 'refresh_token']);
    assert.deepEqual(body.token_endpoint_auth_methods_supported, ['none', 'client_secret_basic', 'private_key_jwt']);
    for (const capability of ['launch-ehr', 'context-ehr-patient', 'client-confidential-symmetric', 'client-confidential-asymmetric', 'permission-offline'])
      assert.ok(body.capabilities.includes(capability), capability);
    assert.ok(body.scopes_supported.includes('offline_access') && body.scopes_supported.includes('launch'));
  });

  await t.test('offline_access: a refresh token that rotates; reusing a rotated one revokes the whole family', async () => {
    const patient = await createUser(built, 'patient');
    const { code, verifier } = await consent(patient, 'public-app', 'launch/patient offline_access patient/Observation.rs');
    const first = await token({ grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, client_id: 'public-app', code_verifier: verifier });
    assert.equal(first.statusCode, 200, first.body);
    const grant1 = first.json();
    assert.ok(grant1.refresh_token, 'offline_access gives a refresh token');
    assert.equal(grant1.patient, patient.id);

    // Rotation: each refresh answers a new access token and a new refresh token.
    const second = await token({ grant_type: 'refresh_token', refresh_token: grant1.refresh_token, client_id: 'public-app' });
    assert.equal(second.statusCode, 200, second.body);
    const grant2 = second.json();
    assert.notEqual(grant2.refresh_token, grant1.refresh_token);
    assert.equal(grant2.scope, 'launch/patient offline_access patient/Observation.rs');
    assert.equal(grant2.patient, patient.id);
    assert.equal(second.headers['cache-control'], 'no-store');
    assert.equal((await fhir(grant2.access_token, `/fhir/R4/Observation?patient=Patient/${patient.id}`)).statusCode, 200);
    // Patient/$everything needs Patient read, which this grant lacks.
    assert.equal((await fhir(grant2.access_token, `/fhir/R4/Patient/${patient.id}/$everything`)).statusCode, 403);

    // A refresh may narrow the scope, never widen it.
    assertOAuthProblem(
      await token({ grant_type: 'refresh_token', refresh_token: grant2.refresh_token, client_id: 'public-app', scope: 'patient/*.cruds' }),
      400,
      'invalid_scope',
    );
    // Another app holding the token gets nothing and spends nothing.
    assertOAuthProblem(await token({ grant_type: 'refresh_token', refresh_token: grant2.refresh_token, client_id: 'other-public' }), 400, 'invalid_grant');
    const third = await token({ grant_type: 'refresh_token', refresh_token: grant2.refresh_token, client_id: 'public-app', scope: 'patient/Observation.rs' });
    assert.equal(third.statusCode, 200, third.body);
    const grant3 = third.json();
    assert.equal(grant3.scope, 'patient/Observation.rs');

    // The rotated (spent) first token comes back: theft or replay. The family ends: the latest
    // refresh token and every access token of the grant stop working.
    const replay = assertOAuthProblem(
      await token({ grant_type: 'refresh_token', refresh_token: grant1.refresh_token, client_id: 'public-app' }),
      400,
      'invalid_grant',
    );
    assert.match(String(replay.detail), /already used/);
    assertOAuthProblem(await token({ grant_type: 'refresh_token', refresh_token: grant3.refresh_token, client_id: 'public-app' }), 400, 'invalid_grant');
    assert.equal((await fhir(grant3.access_token, `/fhir/R4/Observation?patient=Patient/${patient.id}`)).statusCode, 401);
    const session = await built.ctx.db
      .selectFrom('auth_sessions')
      .select(['revoked_at', 'revoke_reason'])
      .where('user_id', '=', patient.id)
      .where('user_agent', '=', 'SMART app public-app')
      .executeTakeFirstOrThrow();
    assert.ok(session.revoked_at);
    assert.equal(session.revoke_reason, 'smart_refresh_token_reuse');
    // The user's own sign-in is untouched.
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: patient.auth })).statusCode, 200);
  });

  await t.test('a SMART refresh token is no API refresh token; without offline_access there is none; signing out ends the grant', async () => {
    const patient = await createUser(built, 'patient');
    const online = await consent(patient, 'public-app', 'patient/Observation.rs');
    const plain = await token({
      grant_type: 'authorization_code',
      code: online.code!,
      redirect_uri: REDIRECT,
      client_id: 'public-app',
      code_verifier: online.verifier,
    });
    assert.equal(plain.statusCode, 200, plain.body);
    assert.equal(plain.json().refresh_token, undefined);

    const offline = await consent(patient, 'public-app', 'offline_access patient/Observation.rs');
    const grant = (
      await token({ grant_type: 'authorization_code', code: offline.code!, redirect_uri: REDIRECT, client_id: 'public-app', code_verifier: offline.verifier })
    ).json();
    const apiRefresh = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: grant.refresh_token } });
    assert.equal(apiRefresh.statusCode, 401, 'never exchanged for a full API token');
    // The grant is one of the user's sessions: signing out everywhere ends it, refresh included.
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout?all=true', headers: patient.auth })).statusCode, 204);
    const after = await token({ grant_type: 'refresh_token', refresh_token: grant.refresh_token, client_id: 'public-app' });
    assertOAuthProblem(after, 400, 'invalid_grant');
    assertOAuthProblem(await token({ grant_type: 'refresh_token', client_id: 'public-app' }), 400, 'invalid_request');
    assertOAuthProblem(await token({ grant_type: 'refresh_token', refresh_token: 'not-a-token', client_id: 'public-app' }), 400, 'invalid_grant');
  });

  await t.test('client_secret_basic: the right secret in HTTP Basic; a wrong or missing one is a 401 invalid_client problem and spends nothing', async () => {
    const patient = await createUser(built, 'patient');
    const { code, verifier } = await consent(patient, 'secret-app', 'launch/patient offline_access patient/*.rs');
    const fields = { grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, code_verifier: verifier };

    const wrong = await token(fields, basic('secret-app', `${SECRET}x`));
    assertOAuthProblem(wrong, 401, 'invalid_client');
    assert.match(String(wrong.headers['www-authenticate']), /^Basic /);
    assertOAuthProblem(await token({ ...fields, client_id: 'secret-app' }), 401, 'invalid_client');
    assertOAuthProblem(await token(fields, basic('public-app', SECRET)), 401, 'invalid_client');
    assertOAuthProblem(await token({ ...fields, client_id: 'public-app' }, basic('secret-app', SECRET)), 401, 'invalid_client');
    // A secret in the body (client_secret_post) is not a registered method here.
    assertOAuthProblem(await token({ ...fields, client_id: 'secret-app', client_secret: SECRET }), 401, 'invalid_client');

    // The failed attempts did not spend the code: the app that authenticates redeems it.
    const ok = await token(fields, basic('secret-app', SECRET));
    assert.equal(ok.statusCode, 200, ok.body);
    const grant = ok.json();
    assert.equal(grant.patient, patient.id);
    assert.equal((await fhir(grant.access_token, `/fhir/R4/Patient/${patient.id}`)).statusCode, 200);
    const everything = await fhir(grant.access_token, `/fhir/R4/Patient/${patient.id}/$everything`);
    assert.equal(everything.statusCode, 200, everything.body);
    assert.equal(everything.json().entry[0].resource.id, patient.id);
    // Refreshing needs the secret too.
    assertOAuthProblem(await token({ grant_type: 'refresh_token', refresh_token: grant.refresh_token, client_id: 'secret-app' }), 401, 'invalid_client');
    assertOAuthProblem(await token({ grant_type: 'refresh_token', refresh_token: grant.refresh_token }, basic('secret-app', 'nope')), 401, 'invalid_client');
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: grant.refresh_token }, basic('secret-app', SECRET));
    assert.equal(refreshed.statusCode, 200, refreshed.body);
  });

  await t.test('private_key_jwt: a signed, short-lived, single-use assertion; replays, other keys and audiences are 401 invalid_client', async () => {
    const patient = await createUser(built, 'patient');
    const assertion = (over: Record<string, unknown> = {}, key = signingKey.privateKey, kid = 'k1') =>
      createSigner({ key: key.export({ type: 'pkcs8', format: 'pem' }).toString(), algorithm: 'ES384', kid })({
        iss: 'jwt-app',
        sub: 'jwt-app',
        aud: TOKEN_URL,
        jti: randomUUID(),
        exp: Math.floor(Date.now() / 1000) + 120,
        ...over,
      });
    const { code, verifier } = await consent(patient, 'jwt-app', 'launch/patient patient/Observation.rs');
    const fields = {
      grant_type: 'authorization_code',
      code: code!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    };
    const now = Math.floor(Date.now() / 1000);

    for (const [what, jwt] of [
      ['another key', assertion({}, otherKey.privateKey)],
      ['another audience', assertion({ aud: 'https://elsewhere.example.test/token' })],
      ['expired', assertion({ exp: now - 120 })],
      ['lives too long', assertion({ exp: now + 3600 })],
      ['another issuer', assertion({ iss: 'public-app', sub: 'public-app' })],
      ['no jti', assertion({ jti: undefined })],
      ['not a JWT', 'garbage'],
    ] as const) {
      const refused = await token({ ...fields, client_assertion: jwt });
      assert.equal(refused.statusCode, 401, what);
      assertOAuthProblem(refused, 401, 'invalid_client');
    }
    assertOAuthProblem(await token({ ...fields, client_assertion_type: 'urn:other', client_assertion: assertion() }), 401, 'invalid_client');
    assertOAuthProblem(await token({ ...fields, client_assertion_type: '', client_id: 'jwt-app' }), 401, 'invalid_client');
    // Without any client authentication a confidential app is refused.
    assertOAuthProblem(
      await token({ grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, code_verifier: verifier, client_id: 'jwt-app' }),
      401,
      'invalid_client',
    );

    const good = assertion();
    const ok = await token({ ...fields, client_assertion: good });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().patient, patient.id);
    // The same assertion again (jti seen): refused even though it is still within its lifetime.
    const again = await consent(patient, 'jwt-app', 'launch/patient patient/Observation.rs');
    assertOAuthProblem(await token({ ...fields, code: again.code!, code_verifier: again.verifier, client_assertion: good }), 401, 'invalid_client');
  });

  await t.test('EHR launch: the portal opens an app about one patient; the token carries that patient; a launch works once, for its user and app', async () => {
    const [doctor, patient, stranger] = await Promise.all([createUser(built, 'doctor'), createUser(built, 'patient'), createUser(built, 'patient')]);
    await linkCare(built, doctor, patient);
    const launchFor = (user: TestUser, body: Record<string, unknown>) =>
      app.inject({ method: 'POST', url: '/api/v1/smart/launch', headers: { ...user.auth, host: 'localhost:80' }, payload: body });

    const started = await launchFor(doctor, { client_id: 'ehr-app', patient: patient.id });
    assert.equal(started.statusCode, 200, started.body);
    const url = new URL(started.json().launch_url);
    assert.equal(`${url.origin}${url.pathname}`, 'https://app.example.test/launch');
    assert.equal(url.searchParams.get('iss'), AUD);
    const launch = url.searchParams.get('launch')!;
    assert.equal(launch, started.json().launch);

    // The app asks for the launch scope with the launch id; the consent shows the patient.
    const preview = await app.inject({
      method: 'POST',
      url: '/api/v1/smart/authorize/preview',
      headers: { ...doctor.auth, host: 'localhost:80' },
      payload: authorizeQuery('ehr-app', 'launch openid fhirUser user/*.rs', pkce().challenge, { launch }),
    });
    assert.equal(preview.json().patient, patient.id, preview.body);
    // Another user cannot use the doctor's launch.
    const nurse = await createUser(built, 'nurse');
    assert.equal((await consent(nurse, 'ehr-app', 'launch user/*.rs', { launch })).error, 'invalid_request');
    const { code, verifier, error } = await consent(doctor, 'ehr-app', 'launch openid fhirUser user/*.rs', { launch });
    assert.equal(error, null);
    const res = await token({ grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT, client_id: 'ehr-app', code_verifier: verifier });
    assert.equal(res.statusCode, 200, res.body);
    const grant = res.json();
    assert.equal(grant.patient, patient.id);
    assert.equal(grant.scope, 'launch openid fhirUser user/*.rs');
    assert.equal((await fhir(grant.access_token, `/fhir/R4/Patient/${patient.id}`)).statusCode, 200);
    // The clinician's own care rules stay underneath the app.
    assert.equal((await fhir(grant.access_token, `/fhir/R4/Patient/${stranger.id}`)).statusCode, 404);

    // Single use.
    assert.equal((await consent(doctor, 'ehr-app', 'launch user/*.rs', { launch })).error, 'invalid_request');
    // The launch scope without a launch id, or a launch id of another app, is refused.
    assert.equal((await consent(doctor, 'ehr-app', 'launch user/*.rs')).error, 'invalid_request');
    const forOther = (await launchFor(doctor, { client_id: 'ehr-app', patient: patient.id })).json().launch;
    assert.equal((await consent(doctor, 'public-app', 'launch user/*.rs', { launch: forOther })).error, 'invalid_request');
    // A patient the doctor may not see: 404, no launch. An app without launch_uri: 400.
    assert.equal((await launchFor(doctor, { client_id: 'ehr-app', patient: stranger.id })).statusCode, 404);
    assert.equal((await launchFor(doctor, { client_id: 'public-app', patient: patient.id })).statusCode, 400);
    // A patient launches about themselves only.
    assert.equal((await launchFor(patient, { client_id: 'ehr-app', patient: stranger.id })).statusCode, 404);
    const own = await launchFor(patient, { client_id: 'ehr-app' });
    assert.equal(own.statusCode, 200, own.body);
    const mine = await consent(patient, 'ehr-app', 'launch patient/*.rs', { launch: own.json().launch });
    const patientGrant = (
      await token({ grant_type: 'authorization_code', code: mine.code!, redirect_uri: REDIRECT, client_id: 'ehr-app', code_verifier: mine.verifier })
    ).json();
    assert.equal(patientGrant.patient, patient.id);
  });

  await t.test('SMART_CLIENTS: confidential registrations are validated at start-up', async () => {
    const { loadConfig } = await import('../../../platform/config.js');
    const env = { NODE_ENV: 'test', DATA_DIR: '/tmp/carebridge-test/smart-config' };
    const load = (entry: Record<string, unknown>) => () =>
      loadConfig({ ...env, SMART_CLIENTS: JSON.stringify([{ client_id: 'abc', redirect_uris: [REDIRECT], ...entry }]) });
    assert.throws(load({ token_endpoint_auth_method: 'client_secret_basic', client_secret: 'short' }), /32 characters/);
    assert.throws(load({ client_secret: SECRET }), /only for token_endpoint_auth_method client_secret_basic/);
    assert.throws(load({ token_endpoint_auth_method: 'private_key_jwt' }), /jwks/);
    assert.throws(load({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [signingKey.privateKey.export({ format: 'jwk' })] } }), /private key/);
    assert.throws(load({ token_endpoint_auth_method: 'client_secret_post' }), /token_endpoint_auth_method/);
    assert.throws(load({ launch_uri: 'http://app.example.test/launch' }), /https/);
    assert.doesNotThrow(load({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [publicJwk] } }));
  });
});
