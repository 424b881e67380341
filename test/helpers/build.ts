import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/platform/config.js';
import { buildApp, type BuiltApp } from '../../src/app.js';

/**
 * `build(t)`: a fresh instance of the whole service for one test file.
 *  - `npm test`: embedded PGlite in memory, in-process pub/sub and rate limits.
 *  - `npm run test:services`: DATABASE_URL/REDIS_URL are set by scripts/run-tests.mjs; each
 *    app gets its own PostgreSQL schema and Redis key prefix, dropped afterwards, so test
 *    files run in parallel without seeing each other's rows.
 * The app is closed when the test (or suite) that built it ends.
 */
/** Anything with an `after` hook: a TestContext, or `{ after }` imported from node:test at file level. */
export interface HasAfter {
  after(fn: () => Promise<void> | void): void;
}

export async function build(t: HasAfter, overrides: Partial<Config> = {}, env: Record<string, string> = {}): Promise<BuiltApp> {
  const tag = `t${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const services = Boolean(process.env.DATABASE_URL);
  const config = loadConfig(
    { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', DATA_DIR: `/tmp/carebridge-test/${tag}`, ...env },
    {
      embeddedDatabase: 'memory',
      databaseSchema: services ? tag : null,
      redisPrefix: `${process.env.TEST_REDIS_PREFIX ?? 'carebridge-test:'}${tag}:`,
      ...overrides,
    },
  );
  const built = await buildApp(config);
  t.after(async () => {
    await built.close();
    if (services && config.databaseUrl && config.databaseSchema) {
      const client = new pg.Client({ connectionString: config.databaseUrl });
      await client.connect();
      await client.query(`drop schema if exists ${config.databaseSchema} cascade`);
      await client.end();
    }
    if (built.ctx.config.redisUrl) await dropRedisPrefix(built.ctx.config.redisUrl, config.redisPrefix);
  });
  return built;
}

async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
