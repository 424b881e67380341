import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { build } from '../../test/helpers/build.js';
import { createUser } from '../../test/helpers/users.js';

describe('logging', () => {
  it('writes JSON lines to LOG_FILE with request id, route, status and user, but no secrets or query strings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'carebridge-log-'));
    const file = join(dir, 'app.log');
    const built = await build({ after: () => {} }, { logFile: file, logLevel: 'info' });
    const user = await createUser(built, 'patient');
    await built.app.inject({ method: 'GET', url: '/api/v1/users?q=Jane%20Secret-Patient', headers: { ...user.auth, 'x-request-id': 'log-test-1' } });
    await built.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { ...user.auth, 'x-request-id': 'log-test-2' } });
    await built.close();
    // pino-roll numbers its files (app.1.log, …); read whatever it wrote.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const files = readdirSync(dir).filter((f) => f.startsWith('app.') && f.endsWith('.log'));
    assert.ok(files.length > 0, 'a log file was written');
    const text = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('');
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const me = lines.find((l) => l.req_id === 'log-test-2');
    assert.ok(me, 'the access log line carries the request id');
    assert.equal(me.route, '/api/v1/auth/me');
    assert.equal(me.status, 200);
    assert.equal(me.user_id, user.id);
    assert.equal(typeof me.latency_ms, 'number');
    assert.doesNotMatch(text, /Secret-Patient/, 'query strings (which may hold names) are not logged');
    assert.doesNotMatch(text, new RegExp(user.token.slice(-20)), 'tokens are not logged');
    assert.doesNotMatch(text, /argon2|password/i);
  });
});
