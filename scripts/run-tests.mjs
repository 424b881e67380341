#!/usr/bin/env node
// Runs every *.test.ts under src/ (and test/) with Node's test runner (node:test) through tsx,
// in batches of files per worker process (runBatches below; TEST_ISOLATION=process for one
// process per file). Arguments without `--` keep only the files whose path contains one of them.
// `--services` runs the same suite against the real PostgreSQL and Redis on this machine:
// each run gets a fresh database that is dropped afterwards, so runs never collide.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

// Node's per-test timeout applies only under `node --test`: a batch in which no test reports for
// this long is stopped instead, so a hung test cannot hang CI.
const IDLE_LIMIT_MS = 180_000;

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
const running = new Set();
const killGroup = (pid) => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
};
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    for (const pid of running) killGroup(pid);
    dropDatabase();
    process.exit(130);
  });
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
  // Apps copy one migrated schema (scripts/pg-schema-template.ts) instead of migrating their own;
  // without pg_dump they migrate as before, only slower.
  const template = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/pg-schema-template.ts'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (template.status === 0) {
    const templatePath = template.stdout.trim().split('\n').at(-1);
    env.PG_SCHEMA_TEMPLATE = templatePath;
    const dropTestDatabase = dropDatabase;
    dropDatabase = () => (rmSync(templatePath, { force: true }), dropTestDatabase());
  } else console.log('# no schema template (see above): each test app runs the migrations itself');
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

const concurrency = Number(process.env.TEST_CONCURRENCY ?? 2);
const status = process.env.TEST_ISOLATION === 'process' ? runFilePerProcess() : await runBatches();
dropDatabase();
process.exit(status);

/** Node's own runner, one process per file: slower (see scripts/test-worker.mjs), kept for a suspected isolation problem. */
function runFilePerProcess() {
  const result = spawnSync(
    process.execPath,
    // A test that leaves a handle open must not hang CI: each test has a time limit, and the
    // runner exits once every file has reported.
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=180000', '--test-force-exit', '--test-reporter=spec', ...files],
    { stdio: 'inherit', env },
  );
  return result.status ?? 1;
}

/**
 * `concurrency` worker processes each run a batch of files (scripts/test-worker.mjs) and ask for
 * the next when done. Batches shrink as the queue empties (guided self-scheduling), so the
 * workers finish together; big files go first. A batch's output is printed when it ends, so
 * files never interleave.
 */
async function runBatches() {
  const queue = [...files].sort((a, b) => statSync(b).size - statSync(a).size);
  const totals = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
  const problems = [];
  const failureReports = [];
  const started = Date.now();
  const worker = async () => {
    while (queue.length) {
      const batch = queue.splice(0, Math.max(1, Math.min(12, Math.ceil(queue.length / (2 * concurrency)))));
      const { code, output, stalled } = await runBatch(batch);
      process.stdout.write(output);
      for (const [, key, value] of output.matchAll(/^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) totals[key] += Number(value);
      failureReports.push(...failuresIn(output));
      if (stalled) problems.push(`no test finished for ${IDLE_LIMIT_MS / 1000} s; stopped the batch: ${batch.join(' ')}`);
      else if (code !== 0) problems.push(`exit code ${code} from the batch: ${batch.join(' ')}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const summary = Object.entries(totals)
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  console.log(`\n# ${files.length} files: ${summary}; ${((Date.now() - started) / 1000).toFixed(0)} s`);
  // Repeated below the summary, so the tail of a long CI log says which test failed and why.
  if (failureReports.length) console.log(`\n# failing tests:\n${failureReports.join('\n')}`);
  for (const problem of problems) console.log(`# FAILED: ${problem}`);
  return problems.length ? 1 : 0;
}

/** Each failed test of a batch's output, with its file and the first lines of its error. */
function failuresIn(output) {
  const lines = output.split('\n');
  const reports = [];
  let file = '';
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('▷ ')) file = lines[i].slice(2);
    const failed = /^(\s*)✖ /.exec(lines[i]);
    if (!failed) continue;
    const error = [];
    for (let j = i + 1; j < lines.length && error.length < 10 && lines[j].startsWith(`${failed[1]}  `); j++) {
      if (!/\(node:|^\s*$/.test(lines[j])) error.push(lines[j]);
    }
    // A suite fails with its test: report the innermost failure only.
    if (/subtests? failed/.test(error[0] ?? '') || (!error.length && reports.at(-1)?.startsWith(`# ${file} `))) continue;
    reports.push(`# ${file} ✖ ${lines[i].trim().slice(2)}\n${error.map((line) => `#   ${line.trim()}`).join('\n')}`);
  }
  return reports;
}

function runBatch(batch) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--test-force-exit', '--test-reporter=./scripts/test-reporter.mjs', 'scripts/test-worker.mjs', ...batch],
      // Its own process group: a stopped batch takes the servers its tests started with it.
      { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    const chunks = [];
    let stalled = false;
    let idle;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        stalled = true;
        killGroup(child.pid);
      }, IDLE_LIMIT_MS);
    };
    touch();
    running.add(child.pid);
    child.stdout.on('data', (chunk) => (chunks.push(chunk), touch()));
    child.stderr.on('data', (chunk) => chunks.push(chunk));
    child.on('close', (code, signal) => {
      clearTimeout(idle);
      running.delete(child.pid);
      resolve({ code: code ?? (signal ? 1 : 0), output: Buffer.concat(chunks).toString(), stalled });
    });
  });
}
