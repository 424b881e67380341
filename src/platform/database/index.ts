import { mkdirSync, readFileSync } from 'node:fs';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import type { Config } from '../config.js';
import type { Database } from './schema.js';
import { PGliteDialect } from './pglite-dialect.js';
import { PreparingClient } from './prepared.js';
import { timestamptzParser } from './timestamps.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: repositories accept both. */
export type Executor = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Cheap round trip for /ready. */
  ping(): Promise<void>;
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
  /** PGlite only: the whole data directory as an archive (the test template, scripts/pglite-template.ts). */
  dump?(): Promise<Blob>;
}

// Both backends must hand the same JS types to the code above them: bigint counts as
// numbers, DATE columns as 'YYYY-MM-DD' strings (never a Date at local midnight),
// NUMERIC as numbers (amounts here are display values, not ledgers).
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
pg.types.setTypeParser(INT8, (value) => Number(value));
pg.types.setTypeParser(NUMERIC, (value) => Number(value));
pg.types.setTypeParser(DATE, (value) => value);
const TIMESTAMPTZ = 1184;
pg.types.setTypeParser(TIMESTAMPTZ, timestamptzParser(pg.types.getTypeParser(TIMESTAMPTZ) as (text: string) => unknown));

export async function openDatabase(config: Config): Promise<DatabaseHandle> {
  if (config.databaseUrl) return openPostgres(config, config.databaseUrl);
  return openPGlite(config);
}

async function openPostgres(config: Config, connectionString: string): Promise<DatabaseHandle> {
  const pool = new pg.Pool({
    connectionString,
    // Statements are prepared once per connection (see prepared.ts).
    Client: PreparingClient,
    max: config.databasePoolSize,
    // search_path per connection lets tests (and multi-tenant deployments) use one schema each;
    // `public` stays on the path for the extensions (btree_gist) every schema shares.
    options: config.databaseSchema ? `-c search_path=${config.databaseSchema},public` : undefined,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  if (config.databaseSchema) {
    const client = await pool.connect();
    try {
      await client.query(`create schema if not exists ${config.databaseSchema}`);
    } finally {
      client.release();
    }
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => db.destroy(),
  };
}

async function openPGlite(config: Config): Promise<DatabaseHandle> {
  const dataDir = config.embeddedDatabase === 'memory' ? undefined : config.embeddedDatabase;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // PGlite.create (not `new PGlite`) is what loads the extension bundles before first use.
  const pglite = await PGlite.create(dataDir, {
    // Same extensions the PostgreSQL migrations create, so one migration history serves both.
    extensions: { btree_gist },
    // An in-memory database (tests) can start from an archived, already migrated one: unpacking it
    // takes ~1 s where initdb and the migrations take 4–8 s (scripts/pglite-template.ts).
    ...(!dataDir && config.embeddedTemplate ? { loadDataDir: new Blob([readFileSync(config.embeddedTemplate)]) } : {}),
    // 16 MB instead of 128 MB: ~110 MB less resident memory, and the embedded database is
    // small and single-session (docs/BENCHMARKS.md, Footprint). PGlite's own start
    // parameters stay (single-user mode etc.); a later -c wins.
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${config.embeddedSharedBuffersMb}MB`],
    parsers: {
      [pgliteTypes.INT8]: (value: string) => Number(value),
      [pgliteTypes.NUMERIC]: (value: string) => Number(value),
      [pgliteTypes.DATE]: (value: string) => value,
    },
  });
  const dialect = new PGliteDialect(pglite);
  const db = new Kysely<Database>({ dialect });
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: () => db.destroy(),
    dump: () => pglite.dumpDataDir('none'),
  };
}

/** True when a Postgres error is a unique-constraint violation (optionally on a named constraint). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | null;
  if (!e || e.code !== '23505') return false;
  if (!constraint) return true;
  return e.constraint === constraint || (e.message ?? '').includes(constraint);
}

/** True for Postgres exclusion-constraint violations (e.g. overlapping time ranges). */
export function isExclusionViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string } | null;
  if (!e || e.code !== '23P01') return false;
  if (!constraint) return true;
  return e.constraint === constraint || (e.message ?? '').includes(constraint);
}
