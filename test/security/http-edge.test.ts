import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { build } from '../helpers/build.js';
import { createUser, randomIp } from '../helpers/users.js';
import { createSlot, futureHour } from '../helpers/scheduling.js';

/** Raw HTTP over a socket: what the server answers (and whether it closes) for bytes no client library would send. */
function raw(port: number, chunks: { data: string; delayMs?: number }[], timeoutMs = 10_000): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${text.slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
    socket.on('error', () => {});
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (chunk.delayMs) await new Promise((r) => setTimeout(r, chunk.delayMs));
        if (socket.destroyed) return;
        socket.write(chunk.data);
      }
    });
  });
}

test('HTTP edge: security headers, no-store, problem+json for framework errors, slow clients dropped', async (t) => {
  const built = await build(t, {}, { REQUEST_TIMEOUT_SECONDS: '2' });
  const { app } = built;
  const user = await createUser(built, 'patient');

  await t.test('security headers and no-store on authenticated replies', async () => {
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth });
    assert.equal(me.statusCode, 200);
    assert.equal(me.headers['x-content-type-options'], 'nosniff');
    assert.equal(me.headers['x-frame-options'], 'DENY');
    assert.equal(me.headers['referrer-policy'], 'no-referrer');
    assert.match(String(me.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.match(String(me.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(me.headers['cache-control'], 'no-store');
    const records = await app.inject({ method: 'GET', url: '/api/v1/medical/records', headers: user.auth });
    assert.equal(records.headers['cache-control'], 'no-store');
    const denied = await app.inject({ method: 'GET', url: '/api/v1/users', headers: user.auth });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.headers['cache-control'], 'no-store', 'error replies too');
  });

  await t.test('the login reply is not stored', async () => {
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: user.password },
      remoteAddress: randomIp(),
    });
    assert.equal(login.statusCode, 200);
    assert.equal(login.headers['cache-control'], 'no-store');
  });

  await t.test('404, 414 and a malformed URL (400) are problem+json with the security headers', async () => {
    const missing = await app.inject({ method: 'GET', url: '/nowhere' });
    assert.equal(missing.statusCode, 404);
    assert.match(String(missing.headers['content-type']), /application\/problem\+json/);
    assert.equal(missing.headers['x-content-type-options'], 'nosniff');
    const badUrl = await app.inject({ method: 'GET', url: '/api/v1/clients/%zz' });
    assert.equal(badUrl.statusCode, 400);
    assert.match(String(badUrl.headers['content-type']), /application\/problem\+json/);
    assert.equal(badUrl.headers['x-content-type-options'], 'nosniff');
    const long = await app.inject({ method: 'GET', url: `/api/v1/doctors?q=${'a'.repeat(9000)}` });
    assert.equal(long.statusCode, 414);
    assert.match(String(long.headers['content-type']), /application\/problem\+json/);
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  await t.test('431 and 414 from the HTTP parser are problem+json', async () => {
    const headers = await raw(port, [{ data: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n` }]);
    assert.match(headers.text, /^HTTP\/1\.1 431 /);
    assert.match(headers.text, /application\/problem\+json/);
    assert.match(headers.text, /"status":431/);
    const uri = await raw(port, [{ data: `GET /health?${'q'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n` }]);
    assert.match(uri.text, /^HTTP\/1\.1 414 /);
    assert.match(uri.text, /"status":414/);
  });

  await t.test('a body trickling one byte every few seconds is dropped at REQUEST_TIMEOUT_SECONDS', async () => {
    const head = `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`;
    const trickle = Array.from({ length: 6 }, () => ({ data: ' ', delayMs: 1500 }));
    const slow = await raw(port, [{ data: head }, { data: '{' }, ...trickle], 15_000);
    assert.ok(slow.closedAfterMs < 6000, `closed after ${slow.closedAfterMs} ms`);
    assert.match(slow.text, /^HTTP\/1\.1 408 /);
    assert.match(slow.text, /application\/problem\+json/);
  });

  await t.test('.ics escapes bare CR, so no input starts a new property line', async () => {
    const doctor = await createUser(built, 'doctor');
    const slot = await createSlot(built, doctor, futureHour(30));
    const booked = await app.inject({
      method: 'POST',
      url: '/api/v1/appointments',
      headers: user.auth,
      payload: { slot_id: slot.id, reason: 'rash\rATTENDEE:mailto:evil@example.test\r\nX-A:1\nX-B:2' },
    });
    assert.equal(booked.statusCode, 201, booked.body);
    const ics = await app.inject({ method: 'GET', url: `/api/v1/appointments/${booked.json().id}.ics`, headers: user.auth });
    assert.equal(ics.statusCode, 200);
    const lines = ics.body.split('\r\n');
    assert.ok(!ics.body.replace(/\r\n/g, '').includes('\r'), 'no bare CR left');
    assert.ok(!lines.some((l) => /^(ATTENDEE|X-A|X-B)/.test(l)), 'no injected property line');
    assert.match(ics.body.replace(/\r\n /g, ''), /rash\\nATTENDEE:mailto:evil@example.test\\nX-A:1\\nX-B:2/);
  });
});

test('/metrics can be restricted by token and by client address', async (t) => {
  const token = 'a-metrics-token-long-enough';
  const byToken = await build(t, {}, { METRICS_TOKEN: token });
  assert.equal((await byToken.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
  assert.equal((await byToken.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer wrong-token-of-some-length' } })).statusCode, 401);
  const ok = await byToken.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
  assert.equal(ok.statusCode, 200);
  assert.match(ok.body, /http_request_duration_seconds/);

  const byAddress = await build(t, {}, { METRICS_ALLOW_IPS: '10.1.2.3' });
  assert.equal((await byAddress.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '192.0.2.7' })).statusCode, 404);
  assert.equal((await byAddress.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.1.2.3' })).statusCode, 200);
  const open = await build(t);
  assert.equal((await open.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200, 'unrestricted by default');
});

test('new variables are validated at start-up', async () => {
  const { loadConfig, ConfigError } = await import('../../src/platform/config.js');
  const base = { NODE_ENV: 'test', DATA_DIR: '/tmp/carebridge-test/config-check' };
  for (const [name, value] of [
    ['METRICS_TOKEN', 'short'],
    ['METRICS_ALLOW_IPS', 'not-an-ip'],
    ['REQUEST_TIMEOUT_SECONDS', '0'],
    ['REQUEST_TIMEOUT_SECONDS', 'soon'],
  ] as const) {
    assert.throws(
      () => loadConfig({ ...base, [name]: value }),
      (err: unknown) => err instanceof ConfigError && err.variable === name,
      `${name}=${value}`,
    );
  }
  const config = loadConfig({ ...base, METRICS_ALLOW_IPS: '127.0.0.1, ::1', REQUEST_TIMEOUT_SECONDS: '30' });
  assert.deepEqual(config.metrics.allowIps, ['127.0.0.1', '::1']);
  assert.equal(config.requestTimeoutSeconds, 30);
});
