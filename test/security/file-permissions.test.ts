import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { build } from '../helpers/build.js';
import { createUser } from '../helpers/users.js';

/** Issue 11, item 3: DATA_DIR and everything in it 0700/0600, LOG_FILE 0600, loose modes fixed at start-up. */
test('DATA_DIR, the embedded database and LOG_FILE are private to the service user', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'carebridge-perms-'));
  const dataDir = join(root, 'data');
  // A data directory left world-readable by an earlier version, with a world-writable file.
  mkdirSync(join(dataDir, 'files', 'ab'), { recursive: true });
  chmodSync(dataDir, 0o755);
  chmodSync(join(dataDir, 'files'), 0o777);
  writeFileSync(join(dataDir, 'files', 'ab', 'old-upload'), 'x');
  chmodSync(join(dataDir, 'files', 'ab', 'old-upload'), 0o666);
  const logDir = join(root, 'logs');
  mkdirSync(logDir);
  writeFileSync(join(logDir, 'app.1.log'), '{}\n');
  chmodSync(join(logDir, 'app.1.log'), 0o644);

  // The embedded database on disk, also in the services run (that is where the finding was).
  const built = await build(t, {
    dataDir,
    embeddedDatabase: join(dataDir, 'pglite'),
    databaseUrl: null,
    databaseSchema: null,
    logFile: join(logDir, 'app.log'),
    logLevel: 'info',
  });
  const patient = await createUser(built, 'patient');
  await built.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: patient.auth });
  await built.close();

  const loose: string[] = [];
  const check = (path: string) => {
    const stat = statSync(path);
    if ((stat.mode & 0o077) !== 0) loose.push(`${path} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of readdirSync(path)) check(join(path, name));
  };
  check(dataDir);
  assert.ok(readdirSync(join(dataDir, 'pglite')).length > 0, 'the embedded database was written to disk');
  for (const name of readdirSync(logDir)) check(join(logDir, name));
  assert.ok(readdirSync(logDir).length >= 1, 'a log file was written');
  assert.deepEqual(loose, [], 'no file or directory readable by group or others');
});
