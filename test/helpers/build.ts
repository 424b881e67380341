import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
  // A new schema of its own (not one shared with another app of the test, not the embedded database).
  if (config.databaseUrl && config.databaseSchema === tag && process.env.PG_SCHEMA_TEMPLATE) await copySchemaTemplate(config.databaseUrl, tag);
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

/**
 * Creates the app's schema as a copy of the run's migrated template (scripts/pg-schema-template.ts)
 * — a fraction of the time the migrator takes; the app's own start-up migration then has nothing left to do.
 */
async function copySchemaTemplate(databaseUrl: string, schema: string): Promise<void> {
  const dump = readFileSync(process.env.PG_SCHEMA_TEMPLATE!, 'utf8');
  const name = /^-- schema: (\w+)\n/.exec(dump)?.[1];
  if (!name) throw new Error(`${process.env.PG_SCHEMA_TEMPLATE} is not a schema template`);
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(dump.replace(new RegExp(`\\b${name}\\b`, 'g'), schema));
  } finally {
    await client.end();
  }
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
