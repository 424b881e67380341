/**
 * `npm run eval:fresh` — the symptom checker and the emergency detector on the held-out sets written
 * blind to the engine after the independent set's test split had been looked at:
 *
 * - `--set=fresh` (default; eval/fresh/README.md): entirely test, never tuned on.
 * - `--set=fresh2` (eval/fresh2/README.md): a later blind set with a dev split (`--split=dev`, the one
 *   to tune on; `-v` lists its misses) and a frozen test split (`--split=test`, the default).
 * - `--set=fresh3` (eval/fresh3/README.md): a third blind set, split and run exactly like fresh2.
 *
 * On a test split it prints aggregate figures only — never a case id or text — so running it does not
 * turn the set into tuning data. Every test run is a look at the set: the figures are written into
 * docs/EVALUATION.md between the set's markers with the run's date, and each run is meant to be
 * reported as a further look. A dev run reads no test file (not even to hash it) and touches no doc.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { detectEmergency } from '../../emergency/index.js';
import { evaluateMessages, evaluateVignettes, REPO_ROOT, type IndependentMessage, type IndependentVignette } from './independent.js';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const set = arg('set') ?? 'fresh';
const split = arg('split') ?? 'test';
const verbose = process.argv.includes('-v');
/** Sets with a dev split to tune on and a frozen test split (the first fresh set is all test). */
const SPLIT_SETS = ['fresh2', 'fresh3'];
if (set !== 'fresh' && !SPLIT_SETS.includes(set)) {
  console.error(`--set=${set}: expected fresh, ${SPLIT_SETS.join(' or ')}`);
  process.exit(2);
}
if (split !== 'test' && !(SPLIT_SETS.includes(set) && split === 'dev')) {
  console.error(`--split=${split}: the fresh set is all test; ${SPLIT_SETS.join(' and ')} have --split=dev and --split=test`);
  process.exit(2);
}
if (verbose && split !== 'dev') {
  console.error('-v lists cases and is only allowed on a dev split');
  process.exit(2);
}

const VIGNETTES = new URL(`./${set}/`, import.meta.url);
const MESSAGES = new URL(`../../emergency/eval/${set}/`, import.meta.url);
const suffix = set === 'fresh' ? '' : `.${split}`;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

if (split === 'test') {
  const changed = readFileSync(new URL('CHECKSUMS', VIGNETTES), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => line.split(/\s+/) as [string, string])
    .filter(
      ([sum, file]) =>
        createHash('sha256')
          .update(readFileSync(`${REPO_ROOT}${file}`))
          .digest('hex') !== sum,
    );
  if (changed.length) {
    console.error(`The ${set} held-out set changed (${changed.map(([, f]) => f).join(', ')}): its figures would mean nothing.`);
    process.exit(1);
  }
}

const vignettes = (JSON.parse(readFileSync(new URL(`vignettes${suffix}.json`, VIGNETTES), 'utf8')) as { vignettes: IndependentVignette[] }).vignettes;
const messages = (JSON.parse(readFileSync(fileURLToPath(new URL(`messages${suffix}.json`, MESSAGES)), 'utf8')) as { messages: IndependentMessage[] }).messages;
const t0 = performance.now();
const v = evaluateVignettes(vignettes, { detectEmergency });
const d = evaluateMessages(messages, detectEmergency);
const seconds = (performance.now() - t0) / 1000;

const rows: [string, string][] = [
  [
    'cases',
    `${v.n} vignettes (${v.emergencies} emergencies), ${d.positives + d.negatives} messages (${d.positives} emergencies, ${d.negatives} hard negatives)`,
  ],
  ['**emergencies advised self-care** (count; target 0)', `**${v.emergencies_self_care}** of ${v.emergencies}`],
  ['emergencies given an emergency level (target ≥ 95 %)', pct(v.emergency_level_rate)],
  ['under-triage (advice less urgent than needed)', pct(v.under_triage)],
  ['safe advice (at or above the needed urgency)', pct(v.safe_advice)],
  ['**detector recall** (target ≥ 95 %)', `**${pct(d.recall)}** of ${d.positives}`],
  ['**detector false positives on hard negatives** (target ≤ 8 %)', `**${pct(d.false_positive_rate)}** of ${d.negatives}`],
  ['3-class triage (target ≥ 80 %)', pct(v.three_class)],
  ['self-care cases over-triaged (target ≤ 20 %)', pct(v.self_care_over_triaged)],
  ['exact triage (5 levels)', pct(v.exact)],
  ['plain-language descriptions refused (422)', String(v.errors_422)],
  ['mean questions asked', v.mean_questions.toFixed(1)],
];
const label = set === 'fresh' ? 'fresh held-out set' : `${set} ${split === 'dev' ? 'dev split (tuned on)' : 'test split (frozen)'}`;
const block = [
  `_Last \`npm run eval:fresh${set === 'fresh' ? '' : ` -- --set=${set} --split=${split}`}\`: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPU(s), Node ${process.version}; ${seconds.toFixed(1)} s._`,
  '',
  `| measure | ${label} |`,
  '|---|---|',
  ...rows.map(([name, value]) => `| ${name} | ${value} |`),
].join('\n');
console.log(block);

if (verbose) {
  const isEmergency = (l: string) => l === 'emergency' || l === 'emergency_ambulance';
  for (const r of v.results) {
    if (r.triage === r.expected_triage && !r.error) continue;
    const flag = isEmergency(r.expected_triage) && r.triage === 'self_care' ? '  UNSAFE' : '';
    console.log(
      `  ${r.id} ${r.population.padEnd(16)} expected ${r.expected_triage.padEnd(19)} got ${r.triage.padEnd(19)} q=${r.questions} ${r.error ?? ''}${flag}`,
    );
  }
  for (const m of d.missed) console.log(`  detector missed   [${m.category}] ${m.text}`);
  for (const m of d.false_alarms) console.log(`  detector flagged  [${m.category}] ${m.text}`);
}

if (split === 'test' && !process.argv.includes('--update-docs=false')) {
  const doc = fileURLToPath(new URL('../../../../docs/EVALUATION.md', import.meta.url));
  const text = readFileSync(doc, 'utf8');
  const start = `<!-- eval:${set}:start -->`;
  const end = `<!-- eval:${set}:end -->`;
  if (text.includes(start) && text.includes(end)) {
    writeFileSync(doc, text.slice(0, text.indexOf(start) + start.length) + '\n' + block + '\n' + text.slice(text.indexOf(end)));
  } else {
    console.error(`docs/EVALUATION.md has no ${start} … ${end} block; figures printed only`);
  }
}
