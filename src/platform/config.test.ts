import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, ConfigError } from './config.js';

const base = { NODE_ENV: 'test' };

describe('config', () => {
  it('has the documented defaults', () => {
    const config = loadConfig(base);
    assert.equal(config.port, 8000);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.databaseUrl, null);
    assert.equal(config.rateLimitAuthPerMin, 10);
    assert.equal(config.rateLimitApiPerMin, 600);
    assert.equal(config.accessTokenTtlSeconds, 900);
  });

  const bad: [string, string][] = [
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['JWT_SECRET', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['SEED_DEMO', 'maybe'],
    ['RATE_LIMIT_AUTH_PER_MIN', '-1'],
    ['ADMIN_EMAIL', 'not-an-email'],
  ];
  for (const [name, value] of bad) {
    it(`names ${name} when it is invalid (${value})`, () => {
      assert.throws(
        () => loadConfig({ ...base, ADMIN_PASSWORD: 'a long admin password', ADMIN_EMAIL: 'a@b.example', [name]: value }),
        (err: unknown) => err instanceof ConfigError && err.variable === name && err.message.includes(name),
      );
    });
  }

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    assert.throws(
      () => loadConfig({ ...base, ADMIN_EMAIL: 'a@b.example' }),
      (err: unknown) => err instanceof ConfigError && err.variable === 'ADMIN_PASSWORD',
    );
  });
});
