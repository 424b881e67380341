import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import Fastify from 'fastify';
import { registerProblemHandlers } from './problem.js';
import { registerPortal } from './portal.js';

/**
 * The portal plugin alone, on a bare Fastify instance and a small fake build (the whole app and
 * the real build are exercised by test/e2e/portal.test.ts): which requests get index.html, which
 * keep the problem+json 404, the caching of each, and the 503 when nothing was built.
 */
async function serve(root: string) {
  const app = Fastify();
  registerProblemHandlers(app);
  app.get('/api/v1/thing', async () => ({ ok: true }));
  await registerPortal(app, root);
  await app.ready();
  return app;
}

test('serves index.html for pages, immutable assets, and keeps 404s for the rest', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'portal-test-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>portal</title><script type="module" src="/assets/app-1a2b3c.js"></script>');
  const js = 'console.log("portal");'.repeat(50);
  writeFileSync(join(root, 'assets', 'app-1a2b3c.js'), js);
  writeFileSync(join(root, 'assets', 'app-1a2b3c.js.br'), brotliCompressSync(js));
  const app = await serve(root);
  t.after(() => app.close());

  for (const [url, accept] of [
    ['/', undefined],
    ['/', 'application/json'],
    ['/appointments', 'text/html,application/xhtml+xml,*/*;q=0.8'],
    ['/doctors?specialty=cardiology', 'text/html'],
  ] as const) {
    const res = await app.inject({ url, headers: accept ? { accept } : {} });
    assert.equal(res.statusCode, 200, url);
    assert.match(res.body, /<title>portal<\/title>/, url);
    assert.equal(res.headers['cache-control'], 'no-cache', url);
  }

  const br = await app.inject({ url: '/assets/app-1a2b3c.js', headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(br.statusCode, 200);
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
  const plain = await app.inject({ url: '/assets/app-1a2b3c.js' });
  assert.equal(plain.body, js);

  for (const [url, accept] of [
    ['/appointments', 'application/json'],
    ['/api/v1/unknown', 'text/html'],
    ['/docs/missing', 'text/html'],
    ['/assets/nope.js', '*/*'],
  ] as const) {
    const res = await app.inject({ url, headers: { accept } });
    assert.equal(res.statusCode, 404, url);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/, url);
  }
  assert.deepEqual((await app.inject({ url: '/api/v1/thing', headers: { accept: 'text/html' } })).json(), { ok: true });
  assert.equal((await app.inject({ method: 'POST', url: '/appointments', headers: { accept: 'text/html' } })).statusCode, 404);
});

test('without a build, pages answer 503 problem+json saying how to build it; the API is unaffected', async (t) => {
  const app = await serve(join(tmpdir(), 'no-such-portal-build'));
  t.after(() => app.close());
  const res = await app.inject({ url: '/', headers: { accept: 'text/html' } });
  assert.equal(res.statusCode, 503);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.match(res.json().detail, /npm run build:portal/);
  assert.equal((await app.inject({ url: '/api/v1/thing' })).statusCode, 200);
});
