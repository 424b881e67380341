import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createDecoder } from 'fast-jwt';
import { build } from '../../../../test/helpers/build.js';
import { createUser, type TestUser } from '../../../../test/helpers/users.js';
import { linkCare } from '../../../../test/helpers/files.js';

const decode = createDecoder();
const REDIRECT = 'https://app.example.test/callback';
const CLIENTS = [
  { client_id: 'growth-chart', name: 'Growth Chart', redirect_uris: [REDIRECT], scope: 'launch/patient openid fhirUser patient/*.rs user/*.rs' },
  { client_id: 'read-only-labs', redirect_uris: ['http://127.0.0.1:7777/cb'], scope: 'patient/Observation.rs' },
];

test('SMART App Launch: discovery, consent, PKCE code exchange, scoped FHIR-only tokens', async (t) => {
  const built = await build(t, {}, { SMART_CLIENTS: JSON.stringify(CLIENTS) });
  const { app } = built;
  const [patient, doctor, otherPatient] = await Promise.all([createUser(built, 'patient'), createUser(built, 'doctor'), createUser(built, 'patient')]);
  const base = 'http://localhost:80';
  const aud = `${base}/fhir/R4`;

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };
  const request = (over: Record<string, string> = {}, challenge = pkce().challenge) => ({
    response_type: 'code',
    client_id: 'growth-chart',
    redirect_uri: REDIRECT,
    scope: 'launch/patient openid fhirUser patient/Observation.rs patient/MedicationRequest.rs user/*.cruds',
    state: 'st-123',
    aud,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...over,
  });
  const decide = (user: TestUser, body: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/api/v1/smart/authorize', headers: { ...user.auth, host: 'localhost:80' }, payload: body });
  const exchange = (fields: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'localhost:80' },
      payload: new URLSearchParams(fields).toString(),
    });
  /** Consent + exchange: the token response. */
  const launch = async (user: TestUser, over: Record<string, string> = {}) => {
    const { verifier, challenge } = pkce();
    const res = await decide(user, { ...request(over, challenge), approve: true });
    assert.equal(res.statusCode, 200, res.body);
    const target = new URL(res.json().redirect_to);
    const code = target.searchParams.get('code');
    assert.ok(code, res.body);
    const token = await exchange({
      grant_type: 'authorization_code',
      code,
      redirect_uri: over.redirect_uri ?? REDIRECT,
      client_id: over.client_id ?? 'growth-chart',
      code_verifier: verifier,
    });
    assert.equal(token.statusCode, 200, token.body);
    return token.json() as { access_token: string; scope: string; patient?: string; id_token?: string; token_type: string };
  };

  await t.test('discovery lists the endpoints, PKCE S256 and the capabilities', async () => {
    const res = await app.inject({ method: 'GET', url: '/fhir/R4/.well-known/smart-configuration', headers: { host: 'localhost:80' } });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.authorization_endpoint, `${base}/oauth/authorize`);
    assert.equal(body.token_endpoint, `${base}/oauth/token`);
    assert.deepEqual(body.code_challenge_methods_supported, ['S256']);
    assert.ok(body.capabilities.includes('launch-standalone') && body.capabilities.includes('client-public'));
    const entry = await app.inject({ method: 'GET', url: '/oauth/authorize?client_id=growth-chart&state=x' });
    assert.equal(entry.statusCode, 302);
    assert.equal(entry.headers.location, '/smart/authorize?client_id=growth-chart&state=x');
  });

  await t.test('a patient grants an app part of what it asked; the token reads only what was granted, only on /fhir/R4', async () => {
    // Its own patient: this test ends every session of the account at the end.
    const patient = await createUser(built, 'patient');
    const preview = await app.inject({
      method: 'POST',
      url: '/api/v1/smart/authorize/preview',
      headers: { ...patient.auth, host: 'localhost:80' },
      payload: request(),
    });
    assert.equal(preview.statusCode, 200, preview.body);
    assert.deepEqual(preview.json().scopes, ['launch/patient', 'openid', 'fhirUser', 'patient/Observation.rs', 'patient/MedicationRequest.rs']);
    assert.equal(preview.json().client_name, 'Growth Chart');

    const token = await launch(patient);
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.patient, patient.id);
    assert.equal(token.scope, 'launch/patient openid fhirUser patient/Observation.rs patient/MedicationRequest.rs');
    const idToken = decode(token.id_token!) as { sub: string; aud: string; fhirUser: string };
    assert.equal(idToken.sub, patient.id);
    assert.equal(idToken.aud, 'growth-chart');
    assert.equal(idToken.fhirUser, `${base}/fhir/R4/Patient/${patient.id}`);

    const bearer = { authorization: `Bearer ${token.access_token}` };
    const observations = await app.inject({ method: 'GET', url: `/fhir/R4/Observation?patient=Patient/${patient.id}`, headers: bearer });
    assert.equal(observations.statusCode, 200, observations.body);
    // Granted types only: Patient was not granted (403 OperationOutcome); the user's own rules still apply underneath.
    const own = await app.inject({ method: 'GET', url: `/fhir/R4/Patient/${patient.id}`, headers: bearer });
    assert.equal(own.statusCode, 403);
    assert.equal(own.json().resourceType, 'OperationOutcome');
    const create = await app.inject({
      method: 'POST',
      url: '/fhir/R4/Observation',
      headers: { ...bearer, 'content-type': 'application/fhir+json' },
      payload: {},
    });
    assert.equal(create.statusCode, 403, 'rs does not include create');
    const someoneElse = await app.inject({ method: 'GET', url: `/fhir/R4/Observation?patient=Patient/${otherPatient.id}`, headers: bearer });
    assert.equal(someoneElse.statusCode, 404);
    // The rest of the API refuses an app token, and so do sockets and refresh.
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer });
    assert.equal(me.statusCode, 403);
    assert.match(String(me.headers['content-type']), /problem\+json/);
    // The grant shows in the user's sessions and ends with them.
    const sessions = await app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: patient.auth });
    assert.ok(JSON.stringify(sessions.json()).includes('SMART app growth-chart'), sessions.body);
    const logout = await app.inject({ method: 'POST', url: '/api/v1/auth/logout?all=true', headers: patient.auth });
    assert.equal(logout.statusCode, 204, logout.body);
    const after = await app.inject({ method: 'GET', url: `/fhir/R4/Observation?patient=Patient/${patient.id}`, headers: bearer });
    assert.equal(after.statusCode, 401);
  });

  await t.test('codes: single use, bound to the app, its redirect URI and the PKCE verifier; errors in OAuth and problem+json form', async () => {
    const user = await createUser(built, 'patient');
    const { verifier, challenge } = pkce();
    const code = async () => new URL((await decide(user, { ...request({}, challenge), approve: true })).json().redirect_to).searchParams.get('code')!;
    const good = { grant_type: 'authorization_code', redirect_uri: REDIRECT, client_id: 'growth-chart', code_verifier: verifier };
    for (const [what, fields] of [
      ['wrong verifier', { ...good, code_verifier: pkce().verifier }],
      ['another app', { ...good, client_id: 'read-only-labs' }],
      ['another redirect', { ...good, redirect_uri: 'https://app.example.test/other' }],
    ] as const) {
      const res = await exchange({ ...fields, code: await code() });
      assert.equal(res.statusCode, 400, what);
      assert.equal(res.json().error, 'invalid_grant', what);
      assert.match(String(res.headers['content-type']), /problem\+json/);
      assert.equal(res.headers['cache-control'], 'no-store');
    }
    const once = await code();
    assert.equal((await exchange({ ...good, code: once })).statusCode, 200);
    const replay = await exchange({ ...good, code: once });
    assert.equal(replay.json().error, 'invalid_grant', 'a code works once');
    assert.equal((await exchange({ ...good, grant_type: 'password', code: once })).json().error, 'unsupported_grant_type');
    assert.equal((await exchange({ grant_type: 'authorization_code' })).json().error, 'invalid_request');
  });

  await t.test('requests that cannot be honoured: no redirect to unverified places; OAuth errors back to the app otherwise', async () => {
    const unknown = await decide(patient, { ...request({ client_id: 'nobody' }), approve: true });
    assert.equal(unknown.statusCode, 400);
    const badRedirect = await decide(patient, { ...request({ redirect_uri: 'https://evil.example.test/cb' }), approve: true });
    assert.equal(badRedirect.statusCode, 400);
    const redirected = async (over: Record<string, string>, approve = true, user: TestUser = patient) => {
      const res = await decide(user, { ...request(over), approve });
      assert.equal(res.statusCode, 200, res.body);
      const target = new URL(res.json().redirect_to);
      assert.equal(target.searchParams.get('code'), null);
      assert.equal(target.searchParams.get('state'), 'st-123');
      return target.searchParams.get('error');
    };
    assert.equal(await redirected({}, false), 'access_denied');
    assert.equal(await redirected({ code_challenge_method: 'plain' }), 'invalid_request');
    assert.equal(await redirected({ aud: 'https://other.example.test/fhir/R4' }), 'invalid_request');
    assert.equal(await redirected({ response_type: 'token' }), 'unsupported_response_type');
    assert.equal(await redirected({ scope: 'openid' }), 'invalid_scope');
    // A clinician gets no patient-level scopes (no patient picker): user-level ones keep their care rules.
    assert.equal(await redirected({ scope: 'launch/patient patient/*.rs' }, true, doctor), 'invalid_scope');
  });

  await t.test("a doctor's user-level grant keeps the care relationship rule", async () => {
    await linkCare(built, doctor, patient);
    const token = await launch(doctor, { scope: 'openid fhirUser user/*.rs' });
    assert.equal(token.patient, undefined);
    assert.equal((decode(token.id_token!) as { fhirUser: string }).fhirUser, `${base}/fhir/R4/Practitioner/${doctor.id}`);
    const bearer = { authorization: `Bearer ${token.access_token}` };
    assert.equal((await app.inject({ method: 'GET', url: `/fhir/R4/Patient/${patient.id}`, headers: bearer })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: `/fhir/R4/Patient/${otherPatient.id}`, headers: bearer })).statusCode, 404);
    // An app cannot authorise another app with its own token.
    const chained = await app.inject({
      method: 'POST',
      url: '/api/v1/smart/authorize',
      headers: { ...bearer, host: 'localhost:80' },
      payload: { ...request(), approve: true },
    });
    assert.equal(chained.statusCode, 403);
  });

  await t.test('SMART_CLIENTS is validated at start-up', async () => {
    const { loadConfig } = await import('../../../platform/config.js');
    const env = { NODE_ENV: 'test', DATA_DIR: '/tmp/carebridge-test/smart-config' };
    assert.throws(() => loadConfig({ ...env, SMART_CLIENTS: 'nope' }), /SMART_CLIENTS/);
    assert.throws(() => loadConfig({ ...env, SMART_CLIENTS: JSON.stringify([{ client_id: 'abc', redirect_uris: ['http://app.example.test/cb'] }]) }), /https/);
    assert.throws(() => loadConfig({ ...env, SMART_CLIENTS: JSON.stringify([{ client_id: 'abc', redirect_uris: [] }]) }), /redirect_uris/);
  });
});
