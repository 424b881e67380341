import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Issue 12: with SEED_DEMO=false the start-up banner must not announce demo accounts. */
test('SEED_DEMO=false: the banner lists the bootstrap admin, not "Demo accounts"', { timeout: 180_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'carebridge-banner-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SEED_DEMO: 'false',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
    ADMIN_EMAIL: 'boss@example.test',
    ADMIN_PASSWORD: 'a-long-enough-admin-password-2026',
    LOG_LEVEL: 'silent',
  };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.npm_lifecycle_event;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (/ReDoc/.test(out) && out.trimEnd().split('\n').length >= 4) resolve();
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
  await new Promise((r) => setTimeout(r, 200)); // the rest of the one banner write
  child.kill('SIGTERM');
  assert.match(out, /CareBridge is running/);
  assert.doesNotMatch(out, /Demo accounts/);
  assert.match(out, /boss@example\.test/);
});
