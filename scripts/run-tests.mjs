#!/usr/bin/env node
// Runs every *.test.ts under src/ (and test/) with Node's own test runner through tsx.
// `--services` runs the same suite against the real PostgreSQL and Redis on this machine:
// each run gets a fresh database that is dropped afterwards, so runs never collide.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const args = process.argv.slice(2);
const services = args.includes('--services');
const filters = args.filter((a) => !a.startsWith('--'));

function findTests(dir) {
  const out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

let files = [...findTests('src'), ...findTests('test')].sort();
if (filters.length) files = files.filter((f) => filters.some((flt) => f.includes(flt)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const env = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
let dropDatabase = () => {};
if (services) {
  const adminUrl = process.env.TEST_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const dbName = `carebridge_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const psql = (sql) => spawnSync('node', ['scripts/pg-admin.mjs', adminUrl, sql], { stdio: 'inherit' });
  if (psql(`CREATE DATABASE ${dbName}`).status !== 0) process.exit(1);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  // Extensions are per database; create them once up front so test files migrating their
  // own schemas in parallel don't race to create them.
  if (
    spawnSync('node', ['scripts/pg-admin.mjs', url.toString(), 'create extension if not exists btree_gist with schema public'], { stdio: 'inherit' }).status !==
    0
  )
    process.exit(1);
  env.DATABASE_URL = url.toString();
  env.REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  env.TEST_REDIS_PREFIX = `${dbName}:`;
  dropDatabase = () => psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  console.log(`# services run: PostgreSQL database ${dbName}, Redis ${env.REDIS_URL}`);
}

// In-memory PGlite apps start from one migrated database archive instead of initdb + migrations
// each (seconds per test file): made once per migration set by scripts/pglite-template.ts.
if (!services && !env.PGLITE_TEMPLATE) {
  const template = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/pglite-template.ts'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (template.status !== 0) process.exit(template.status ?? 1);
  env.PGLITE_TEMPLATE = template.stdout.trim().split('\n').at(-1);
}

const concurrency = process.env.TEST_CONCURRENCY ?? (services ? '2' : '2');
const result = spawnSync(
  process.execPath,
  // A test that leaves a handle open must not hang CI: each test has a time limit, and the
  // runner exits once every file has reported.
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=180000', '--test-force-exit', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env },
);
dropDatabase();
process.exit(result.status ?? 1);
