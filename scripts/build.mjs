#!/usr/bin/env node
// `npm run build`: src/ → dist/ (and portal/ → portal/dist/) for production, which then runs `node dist/main.js` with no
// npm, no tsx and no compile at start-up (README, "Running in production").
//  - esbuild transpiles each .ts file to one .js file (no bundling): the migration and
//    knowledge-base folders keep their layout, and code that finds files beside itself
//    (import.meta.url) finds them. Types are checked by `npm run typecheck`, not here.
//  - tests and test-only helpers stay out; data files the code reads (symptom-checker
//    knowledge base, evaluation sets) are copied.
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { buildPortal, portalIsStale } from './portal-build.mjs';

// --outdir=DIR builds elsewhere (the process tests build into node_modules/.cache, where
// package imports still resolve); the default is dist/.
const outdir = process.argv.find((arg) => arg.startsWith('--outdir='))?.slice('--outdir='.length) ?? 'dist';

const TEST_ONLY = /(\.test\.ts|\/testing\.ts|\/test-helpers\.ts)$|\/fixtures\//;

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

rmSync(outdir, { recursive: true, force: true });
const files = walk('src').filter((path) => !TEST_ONLY.test(path));
const sources = files.filter((path) => path.endsWith('.ts'));
await build({
  entryPoints: sources,
  outdir,
  outbase: 'src',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
const data = files.filter((path) => !path.endsWith('.ts') && !path.endsWith('.md'));
for (const path of data) cpSync(path, join(outdir, relative('src', path)));
console.log(`${outdir}: ${sources.length} modules, ${data.length} data files`);

// The web portal (portal/dist, served at `/` by src/platform/http/portal.ts), when its sources
// changed since the last build: rebuilding an unchanged portal would only swap identical files
// under a server that may be serving them.
if (portalIsStale()) console.log(`portal/dist built in ${((await buildPortal()) / 1000).toFixed(1)} s`);
else console.log('portal/dist is up to date');
