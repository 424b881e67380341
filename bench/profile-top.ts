/**
 * Reads a V8 .cpuprofile (from `node --cpu-prof`, or BENCH_PROFILE in bench/reads.ts) without a
 * GUI: the top functions by self time, by total (inclusive) time, and self time per package.
 * "(idle)" — the event loop waiting — is left out of the percentages.
 *
 *   npx tsx bench/profile-top.ts file.cpuprofile [rows]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = process.argv[2];
if (!file) throw new Error('usage: profile-top.ts file.cpuprofile [rows]');
const limit = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

const nodeById = new Map<number, ProfileNode>();
const parentOf = new Map<number, number>();
for (const n of profile.nodes) {
  nodeById.set(n.id, n);
  for (const c of n.children ?? []) parentOf.set(c, n.id);
}
const selfTime = new Map<number, number>();
profile.samples.forEach((id, i) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*?\/src\//, 'src/');
const label = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
const packageOf = (url: string) => {
  if (!url) return '(V8/native: GC, syscalls, builtins)';
  if (url.startsWith('node:')) return 'node core';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return m ? m[1]! : url.includes('/src/') ? 'application (src/)' : shortUrl(url);
};

const bySelf = new Map<string, number>();
const byTotal = new Map<string, number>();
const byPackage = new Map<string, number>();
let busy = 0;
for (const [id, us] of selfTime) {
  const n = nodeById.get(id)!;
  if (n.callFrame.functionName === '(idle)') continue;
  busy += us;
  bySelf.set(label(n), (bySelf.get(label(n)) ?? 0) + us);
  byPackage.set(packageOf(n.callFrame.url), (byPackage.get(packageOf(n.callFrame.url)) ?? 0) + us);
  // Inclusive time: once per distinct function on the sample's stack (recursion counted once).
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const key = label(nodeById.get(at)!);
    if (seen.has(key)) continue;
    seen.add(key);
    byTotal.set(key, (byTotal.get(key) ?? 0) + us);
  }
}
const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
const top = (m: Map<string, number>, rows: number) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([k, us]) => `${pct(us)}  ${k}`)
    .join('\n');
console.log(`${file}: ${(busy / 1e6).toFixed(2)} s busy (idle excluded)\n`);
console.log(`self time, top ${limit}:\n${top(bySelf, limit)}\n`);
console.log(`total (inclusive) time, top ${limit}:\n${top(byTotal, limit)}\n`);
console.log(`self time by package:\n${top(byPackage, 15)}`);
