/**
 * `npm run eval:fresh` — the symptom checker and the emergency detector on the FRESH held-out set
 * (eval/fresh/README.md): written blind to the engine after the independent set's test split had
 * been looked at, entirely test (no dev split), never tuned on. It prints aggregate figures only —
 * never a case id or text — so running it does not turn the set into tuning data. Every run is a
 * look at the set: the figures are written into docs/EVALUATION.md between the `eval:fresh`
 * markers with the run's date, and each run is meant to be reported as a further look.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { detectEmergency } from '../../emergency/index.js';
import { evaluateMessages, evaluateVignettes, REPO_ROOT, type IndependentMessage, type IndependentVignette } from './independent.js';

const FRESH = new URL('./fresh/', import.meta.url);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

const changed = readFileSync(new URL('CHECKSUMS', FRESH), 'utf8')
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
  console.error(`The fresh held-out set changed (${changed.map(([, f]) => f).join(', ')}): its figures would mean nothing.`);
  process.exit(1);
}

const vignettes = (JSON.parse(readFileSync(new URL('vignettes.json', FRESH), 'utf8')) as { vignettes: IndependentVignette[] }).vignettes;
const messages = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../../emergency/eval/fresh/messages.json', import.meta.url)), 'utf8')) as { messages: IndependentMessage[] }
).messages;
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
const block = [
  `_Last \`npm run eval:fresh\`: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPU(s), Node ${process.version}; ${seconds.toFixed(1)} s._`,
  '',
  '| measure | fresh held-out set |',
  '|---|---|',
  ...rows.map(([name, value]) => `| ${name} | ${value} |`),
].join('\n');
console.log(block);

if (!process.argv.includes('--update-docs=false')) {
  const doc = fileURLToPath(new URL('../../../../docs/EVALUATION.md', import.meta.url));
  const text = readFileSync(doc, 'utf8');
  const start = '<!-- eval:fresh:start -->';
  const end = '<!-- eval:fresh:end -->';
  if (text.includes(start) && text.includes(end)) {
    writeFileSync(doc, text.slice(0, text.indexOf(start) + start.length) + '\n' + block + '\n' + text.slice(text.indexOf(end)));
  }
}
