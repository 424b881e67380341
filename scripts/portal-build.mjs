#!/usr/bin/env node
// Builds the web portal (portal/ → portal/dist/) with Vite, then writes .br and .gz copies of the
// hashed assets so src/platform/http/portal.ts can serve them pre-compressed.
//   node scripts/portal-build.mjs             always build (npm run build:portal, npm run build)
//   node scripts/portal-build.mjs --if-stale  build only when portal/dist is missing or older than
//                                             its sources (built once, then cached; the browser test)
//   … --if-stale --at-start                   the same for `npm start`: a failed build is reported
//                                             but does not stop the API from starting
// The build goes to a temporary folder first and is renamed into place, so a server or a second
// build running meanwhile never sees a half-written portal/dist.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ROOT = new URL('..', import.meta.url).pathname;
const PORTAL = join(ROOT, 'portal');
const DIST = join(PORTAL, 'dist');
const STAMP = join(DIST, '.built');
// What a build depends on besides portal/src: the page, the build config, and the installed packages.
const INPUTS = [join(PORTAL, 'src'), join(PORTAL, 'index.html'), join(PORTAL, 'vite.config.ts'), join(ROOT, 'package-lock.json')];

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

export function portalIsStale() {
  if (!existsSync(STAMP) || !existsSync(join(DIST, 'index.html'))) return true;
  const built = statSync(STAMP).mtimeMs;
  return INPUTS.some((input) => newestMtime(input) > built);
}

function compressAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      compressAssets(path);
      continue;
    }
    if (!/\.(js|css|svg|json|html|txt|map)$/.test(name)) continue;
    const raw = readFileSync(path);
    writeFileSync(`${path}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
    writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
  }
}

/** `force`: replace portal/dist even when another build made it current meanwhile. */
export async function buildPortal({ force = false } = {}) {
  // Always a production build: Vite keeps development-only code when NODE_ENV says otherwise
  // (the test runner sets NODE_ENV=test), which made the bundle about 30 % larger.
  process.env.NODE_ENV = 'production';
  let vite;
  try {
    vite = await import('vite');
  } catch {
    throw new Error('Vite is not installed (it is a development dependency): run `npm install`, or `npm run build` where dev dependencies are present.');
  }
  const started = Date.now();
  const outDir = join(PORTAL, `.dist-${process.pid}`);
  try {
    await vite.build({ configFile: join(PORTAL, 'vite.config.ts'), logLevel: 'warn', build: { outDir } });
    compressAssets(join(outDir, 'assets'));
    writeFileSync(join(outDir, '.built'), new Date().toISOString() + '\n');
    // Another build (the browser test and `npm start` of a process test, say) finished first with
    // the same sources: keep its files, which a server may already be serving.
    if (!force && !portalIsStale()) return Date.now() - started;
    rmSync(DIST, { recursive: true, force: true });
    try {
      renameSync(outDir, DIST);
    } catch (err) {
      // Another build (a test and `npm start` at once) put its identical result in place first.
      if (!existsSync(join(DIST, '.built'))) throw err;
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  return Date.now() - started;
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !portalIsStale()) process.exit(0);
  try {
    if (ifStale) console.log('Building the web portal (once; later starts reuse portal/dist)…');
    const ms = await buildPortal({ force: !ifStale });
    console.log(`portal/dist built in ${(ms / 1000).toFixed(1)} s`);
  } catch (err) {
    console.error(`The web portal could not be built: ${err instanceof Error ? err.message : err}`);
    // At start-up a missing portal must not keep the API down: the server starts and `/` says why.
    process.exit(process.argv.includes('--at-start') ? 0 : 1);
  }
}
