import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/platform/config.js';
import { buildApp, type BuiltApp } from '../../src/app.js';

/**
 * `build(t)`: a fresh instance of the whole service for one test file.
 *  - `npm test`: embedded PGlite in memory, in-process pub/sub and rate limits.
 *  - `npm run test:services`: DATABASE_URL/REDIS_URL are set by scripts/run-tests.mjs; each
 *    app gets its own PostgreSQL schema (dropped with the test database at the end of the run)
 *    and Redis key prefix (dropped afterwards), so test
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
    // Schemas are not dropped here: a DROP SCHEMA … CASCADE racing another file's migrator, which
    // introspects every table of the database, failed that migration now and then ("relation
    // <other schema>.medical_records does not exist"). scripts/run-tests.mjs drops the whole test
    // database at the end of the run instead.
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
