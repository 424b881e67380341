// Deterministic 50/50 dev/test split of the fresh3 set (issue 10, item 6).
//
//   node split.mjs <pool.json>   write the four split files from a pool {vignettes:[...], messages:[...]}
//   node split.mjs --verify      re-pool the committed dev+test files and check that re-splitting gives the
//                                same ids per split; prints counts only, never item text
//
// The split depends only on the ids and the strata, so it can be re-derived from the committed files: the pool is
// sorted by id, vignettes are stratified by expected_triage x population, messages by category; strata are taken in
// sorted order, each stratum is shuffled with mulberry32(SEED) and its first round(n/2 + carry) items go to dev,
// carry being the rounding remainder passed on so the overall share stays at one half.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SEED = 20261208;
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../../../..');
const out = {
  vDev: path.join(root, 'src/modules/symptom-checker/eval/fresh3/vignettes.dev.json'),
  vTest: path.join(root, 'src/modules/symptom-checker/eval/fresh3/vignettes.test.json'),
  mDev: path.join(root, 'src/modules/emergency/eval/fresh3/messages.dev.json'),
  mTest: path.join(root, 'src/modules/emergency/eval/fresh3/messages.test.json'),
};

function mulberry32(a) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function split(items, stratumOf, rand) {
  const byId = [...items].sort((a, b) => a.id.localeCompare(b.id));
  const strata = new Map();
  for (const it of byId) {
    const k = stratumOf(it);
    if (!strata.has(k)) strata.set(k, []);
    strata.get(k).push(it);
  }
  const dev = [];
  const test = [];
  let carry = 0;
  for (const k of [...strata.keys()].sort()) {
    const s = strata.get(k);
    for (let i = s.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [s[i], s[j]] = [s[j], s[i]];
    }
    const want = s.length / 2 + carry;
    const nDev = Math.round(want);
    carry = want - nDev;
    dev.push(...s.slice(0, nDev));
    test.push(...s.slice(nDev));
  }
  const byIdSort = (a, b) => a.id.localeCompare(b.id);
  return { dev: dev.sort(byIdSort), test: test.sort(byIdSort) };
}

function splitPool(pool) {
  const rand = mulberry32(SEED);
  const v = split(pool.vignettes, (x) => `${x.expected_triage}|${x.population}`, rand);
  const m = split(pool.messages, (x) => x.category, rand);
  return { v, m };
}

const write = (file, key, items) => fs.writeFileSync(file, JSON.stringify({ [key]: items }, null, 2) + '\n');
const read = (file, key) => JSON.parse(fs.readFileSync(file, 'utf8'))[key];

if (process.argv[2] === '--verify') {
  const files = {
    vDev: read(out.vDev, 'vignettes'),
    vTest: read(out.vTest, 'vignettes'),
    mDev: read(out.mDev, 'messages'),
    mTest: read(out.mTest, 'messages'),
  };
  const { v, m } = splitPool({
    vignettes: [...files.vDev, ...files.vTest],
    messages: [...files.mDev, ...files.mTest],
  });
  const same = (a, b) => a.map((x) => x.id).join() === b.map((x) => x.id).join();
  const ok = same(v.dev, files.vDev) && same(v.test, files.vTest) && same(m.dev, files.mDev) && same(m.test, files.mTest);
  console.log(
    `vignettes dev ${files.vDev.length} test ${files.vTest.length}; messages dev ${files.mDev.length} test ${files.mTest.length}; split reproduces: ${ok}`,
  );
  process.exit(ok ? 0 : 1);
} else {
  const pool = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const { v, m } = splitPool(pool);
  write(out.vDev, 'vignettes', v.dev);
  write(out.vTest, 'vignettes', v.test);
  write(out.mDev, 'messages', m.dev);
  write(out.mTest, 'messages', m.test);
  console.log(`vignettes dev ${v.dev.length} test ${v.test.length}; messages dev ${m.dev.length} test ${m.test.length}`);
}
