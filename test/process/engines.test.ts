import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The lock must install and run on every Node line `engines` promises. Two locked packages
 * once said `node >=22` (they were ESM-only and `require`d from CommonJS, which Node 20
 * before 20.19 cannot do) while package.json said ≥ 20.6; package.json `overrides` now pin
 * the versions that declare Node 20 (see README, "Node versions"). This keeps it that way:
 * every locked package must accept the oldest Node we promise and the current LTS lines.
 */
const semver = createRequire(import.meta.url)('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

type Lock = {
  packages: Record<
    string,
    {
      version?: string;
      optional?: boolean;
      os?: string[];
      cpu?: string[];
      engines?: { node?: string };
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    }
  >;
};

test('every locked package accepts the first release of each Node line in engines and Node 22/24 LTS', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as Lock;
  // The first release of every line `engines` promises (`^20.19.0 || ^22.13.0 || >=24` → 20.19.0,
  // 22.13.0, 24.0.0), and the current LTS lines.
  const promised = pkg.engines.node.split('||').map((range) => semver.minVersion(range.trim())?.version);
  assert.ok(promised.length > 0 && promised.every(Boolean), `engines.node "${pkg.engines.node}" has no minimum`);
  // Native prebuilds for other platforms (optional, os/cpu-specific) are never installed here
  // and some pin a single major (e.g. sharp's win32-ia32 build): judge what installs on Linux.
  // An optional package needed only by such a prebuild (e.g. the WASI runtime of a wasm32
  // build) is never installed either.
  const neverInstalled = new Set(
    Object.entries(lock.packages)
      .filter(([, entry]) => entry.optional && (entry.os || entry.cpu))
      .map(([path]) => path),
  );
  const packageName = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  for (let changed = true; changed;) {
    changed = false;
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || !entry.optional || neverInstalled.has(path)) continue;
      const name = packageName(path);
      const dependents = Object.entries(lock.packages).filter(([, other]) => other.dependencies?.[name] || other.optionalDependencies?.[name]);
      if (dependents.length > 0 && dependents.every(([other]) => neverInstalled.has(other))) {
        neverInstalled.add(path);
        changed = true;
      }
    }
  }
  const installable = Object.entries(lock.packages).filter(([path]) => path !== '' && !neverInstalled.has(path));
  const wrong: string[] = [];
  for (const node of new Set([...(promised as string[]), '22.13.0', '24.0.0'])) {
    for (const [path, entry] of installable) {
      const range = entry.engines?.node;
      if (range && !semver.satisfies(node, range)) wrong.push(`${path}@${entry.version} wants node ${range}, not ${node}`);
    }
  }
  assert.deepEqual(wrong, []);
});
