/**
 * The migrated schema every PostgreSQL test app starts from (`npm run test:services`): migrated
 * once per run in the run's database (DATABASE_URL), dumped with pg_dump, and replayed by
 * test/helpers/build.ts into each app's own schema — one round trip of DDL instead of the
 * migrator's ~20 migrations with their lock and bookkeeping (4× faster here, see
 * docs/BENCHMARKS.md "Test suite"). Prints the path of the SQL file; scripts/run-tests.mjs
 * passes it on as PG_SCHEMA_TEMPLATE. The copy includes the migrator's own tables, so the app's
 * start-up migration finds nothing to do — and would apply anything the template lacked.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/platform/config.js';
import { openDatabase } from '../src/platform/database/index.js';
import { migrateToLatest } from '../src/platform/database/migrator.js';

/** The name build() replaces with each app's schema: unusual enough never to occur elsewhere in a dump. */
const TEMPLATE_SCHEMA = 'carebridge_schema_template';

const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent' }, { databaseSchema: TEMPLATE_SCHEMA });
const database = await openDatabase(config);
await migrateToLatest(database.db, TEMPLATE_SCHEMA);
await database.close();

const dump = execFileSync('pg_dump', ['--schema', TEMPLATE_SCHEMA, '--inserts', '--no-owner', '--no-privileges', '--dbname', config.databaseUrl!], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
// pg_dump's plain output may carry psql meta-commands (\restrict since 15.14); the statements
// are plain SQL that one simple-protocol query runs.
const statements = dump
  .split('\n')
  .filter((line) => !line.startsWith('\\'))
  .join('\n');
const dir = join(tmpdir(), 'carebridge-test');
mkdirSync(dir, { recursive: true });
const path = join(dir, `pg-schema-template-${process.pid}.sql`);
writeFileSync(path, `-- schema: ${TEMPLATE_SCHEMA}\n${statements}`);
console.log(path);
