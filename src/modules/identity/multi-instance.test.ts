import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';

const services = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);

describe('two instances on one PostgreSQL + Redis', { skip: services ? false : 'needs DATABASE_URL and REDIS_URL (npm run test:services)' }, () => {
  it('a logout on instance A ends the session on instance B, which had it cached', async (t) => {
    const a = await build(t);
    const b = await build(t, { databaseSchema: a.ctx.config.databaseSchema, redisPrefix: a.ctx.config.redisPrefix, jwtSecret: a.ctx.config.jwtSecret });
    const user = await createUser(a, 'patient');
    const me = () => b.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth });
    assert.equal((await me()).statusCode, 200, 'instance B accepts the token (and caches the session)');
    assert.equal((await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: user.auth })).statusCode, 204);
    let status = 0;
    for (let i = 0; i < 50 && status !== 401; i++) {
      status = (await me()).statusCode;
      if (status !== 401) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 401, 'instance B heard the invalidation through Redis');
  });

  it('rate limits are shared: the per-user budget is spent across both instances', async (t) => {
    const a = await build(t, {}, { RATE_LIMIT_API_PER_MIN: '4' });
    const b = await build(
      t,
      { databaseSchema: a.ctx.config.databaseSchema, redisPrefix: a.ctx.config.redisPrefix, jwtSecret: a.ctx.config.jwtSecret },
      { RATE_LIMIT_API_PER_MIN: '4' },
    );
    const user = await createUser(a, 'patient');
    const statuses: number[] = [];
    for (const app of [a.app, b.app, a.app, b.app, a.app])
      statuses.push((await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: user.auth })).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
  });
});
