/**
 * `npm run eval` — the symptom checker and the emergency detector on the independent set
 * (eval/independent/README.md): the frozen `test` split is the figure that counts, `dev` is the one
 * we tune on. Safety first in every table. The figures are also written into docs/EVALUATION.md
 * between the `eval:independent` markers, so the document always shows the last run.
 * `--update-docs=false` only prints; `-v` lists every case the engine got wrong.
 * `--split=dev` evaluates and prints the dev split only and never touches docs (`-v` lists dev
 * misses): the command to use while tuning, so the frozen test split is not looked at.
 *
 * The older own-author sets (vignettes.json, src/modules/emergency/eval/messages.json) follow as
 * regression figures: they were used to build the engine, so they measure memory, not quality.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { detectEmergency, evaluateEmergencyDetector } from '../../emergency/index.js';
import { checkVignettes, evaluate, loadVignettes } from './evaluate.js';
import { checkFrozen, evaluateMessages, evaluateVignettes, loadMessageSplit, loadVignetteSplit } from './independent.js';
import type { DetectorReport, Split, VignetteReport } from './independent.js';

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const verbose = process.argv.includes('-v') || process.argv.includes('--verbose');
const splitArg = process.argv.find((a) => a.startsWith('--split='))?.slice('--split='.length);
if (splitArg !== undefined && splitArg !== 'dev') {
  console.error(`--split=${splitArg}: only --split=dev is supported (the test split is measured with the plain \`npm run eval\`).`);
  process.exit(2);
}
const devOnly = splitArg === 'dev';
const updateDocs = !devOnly && !process.argv.includes('--update-docs=false');

// The dev-only run reads no test file at all (not even to hash it).
const frozen = devOnly ? [] : checkFrozen();
const changed = frozen.filter((f) => f.expected !== f.actual);
if (changed.length) {
  console.error(`The frozen test split changed (${changed.map((f) => f.file).join(', ')}): its figures would mean nothing.`);
  process.exit(1);
}

const reports: Record<Split, { v: VignetteReport; d: DetectorReport; seconds: number }> = {} as never;
const splits: readonly Split[] = devOnly ? ['dev'] : ['dev', 'test'];
for (const split of splits) {
  const t0 = performance.now();
  const v = evaluateVignettes(loadVignetteSplit(split), { detectEmergency });
  const d = evaluateMessages(loadMessageSplit(split), detectEmergency);
  reports[split] = { v, d, seconds: (performance.now() - t0) / 1000 };
}

const rows: [string, (s: Split) => string][] = [
  ['**emergencies advised self-care** (count; target 0)', (s) => `**${reports[s].v.emergencies_self_care}** of ${reports[s].v.emergencies}`],
  ['emergencies given an emergency level (target ≥ 95 %)', (s) => pct(reports[s].v.emergency_level_rate)],
  ['under-triage (advice less urgent than needed)', (s) => pct(reports[s].v.under_triage)],
  ['safe advice (at or above the needed urgency)', (s) => pct(reports[s].v.safe_advice)],
  ['**detector recall** (target ≥ 95 %)', (s) => `**${pct(reports[s].d.recall)}** of ${reports[s].d.positives}`],
  ['**detector false positives on hard negatives** (target ≤ 8 %)', (s) => `**${pct(reports[s].d.false_positive_rate)}** of ${reports[s].d.negatives}`],
  ['3-class triage (emergency / see a doctor / self-care; target ≥ 80 %)', (s) => pct(reports[s].v.three_class)],
  ['self-care cases over-triaged (target ≤ 20 %)', (s) => pct(reports[s].v.self_care_over_triaged)],
  ['over-triage (all cases)', (s) => pct(reports[s].v.over_triage)],
  ['exact triage (5 levels)', (s) => pct(reports[s].v.exact)],
  ['top-1 condition', (s) => pct(reports[s].v.top1)],
  ['top-3 condition (target ≥ 75 %)', (s) => pct(reports[s].v.top3)],
  ['plain-language descriptions refused (422)', (s) => String(reports[s].v.errors_422)],
  ['mean questions asked', (s) => reports[s].v.mean_questions.toFixed(1)],
  ['interview step p99 (ms, this run)', (s) => reports[s].v.step_p99_ms.toFixed(2)],
];
const n = (s: Split) =>
  `${reports[s].v.n} vignettes (${reports[s].v.emergencies} emergencies, ${reports[s].v.with_condition} with a listed condition), ${reports[s].d.positives + reports[s].d.negatives} messages`;
const table = devOnly
  ? ['| measure | dev (tuned on) |', '|---|---|', `| cases | ${n('dev')} |`, ...rows.map(([label, f]) => `| ${label} | ${f('dev')} |`)].join('\n')
  : [
      '| measure | **test** (frozen, never tuned on) | dev (tuned on) |',
      '|---|---|---|',
      `| cases | ${n('test')} | ${n('dev')} |`,
      ...rows.map(([label, f]) => `| ${label} | ${f('test')} | ${f('dev')} |`),
    ].join('\n');

console.log('\nIndependent set (src/modules/symptom-checker/eval/independent/README.md)\n');
console.log(table);
for (const split of devOnly ? (['dev'] as const) : (['test', 'dev'] as const)) {
  const { v, d } = reports[split];
  const unsafe = v.results.filter((r) => (r.expected_triage === 'emergency' || r.expected_triage === 'emergency_ambulance') && r.triage === 'self_care');
  // Ids only for dev: a test case named in a log becomes a case someone can tune on.
  if (unsafe.length && split === 'dev') console.log(`\n${split}: emergencies advised self-care: ${unsafe.map((r) => r.id).join(', ')}`);
  if (verbose) {
    console.log(`\n${split}: cases with a different triage or the condition outside the top 3`);
    for (const r of v.results) {
      if (r.triage === r.expected_triage && (r.expected_condition === null || (r.rank ?? 99) <= 3) && !r.error) continue;
      console.log(
        `  ${r.id} ${r.population.padEnd(16)} expected ${r.expected_triage.padEnd(19)} got ${r.triage.padEnd(19)} ${r.expected_condition ?? '-'} rank ${r.rank ?? '-'} q=${r.questions} ${r.error ?? ''}`,
      );
    }
    for (const m of d.missed) console.log(`  detector missed   [${m.category}] ${m.text}`);
    for (const m of d.false_alarms) console.log(`  detector flagged  [${m.category}] ${m.text}`);
  }
}

// Regression figures on the own-author sets (memory, not quality).
const own = loadVignettes();
const problems = checkVignettes(own);
if (problems.length) {
  console.error(`vignette file has problems:\n${problems.join('\n')}`);
  process.exit(1);
}
const ownReport = evaluate(own, { detectEmergency });
const ownDetector = evaluateEmergencyDetector();
const ownLine = `own-author sets (used to build the engine; memory, not quality): ${ownReport.n} vignettes — emergent recall ${pct(ownReport.emergent_recall)}, top-3 ${pct(ownReport.top3)}, triage ${pct(ownReport.triage_accuracy)}; ${ownDetector.total} messages — detector recall ${pct(ownDetector.recall)}, false positives ${pct(ownDetector.falsePositiveRate)}.`;
console.log(`\n${ownLine}`);

if (updateDocs) {
  const doc = fileURLToPath(new URL('../../../../docs/EVALUATION.md', import.meta.url));
  const text = readFileSync(doc, 'utf8');
  const start = '<!-- eval:independent:start -->';
  const end = '<!-- eval:independent:end -->';
  const block = `${start}\n_Last \`npm run eval\`: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} CPU(s), Node ${process.version}; ${(reports.dev.seconds + reports.test.seconds).toFixed(1)} s for both splits._\n\n${table}\n\n${ownLine}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  writeFileSync(doc, i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`);
}

// CI's guard on the frozen test split (it used to be a unit test, which every tuning run then
// looked at): at its last measurement 2 of its 61 emergencies were still advised self-care, so a
// run above that line, or one refusing a plain-language case, fails. Lower the constant only when a
// run shows fewer, never raise it.
const TEST_SPLIT_UNSAFE_AT_LAST_MEASUREMENT = 2;
if (!devOnly) {
  const { emergencies_self_care: unsafe, errors_422: refused } = reports.test.v;
  if (unsafe > TEST_SPLIT_UNSAFE_AT_LAST_MEASUREMENT || refused > 0) {
    console.error(
      `FAIL: test split — ${unsafe} emergencies advised self-care (line: ${TEST_SPLIT_UNSAFE_AT_LAST_MEASUREMENT}), ${refused} plain-language cases refused (line: 0)`,
    );
    process.exit(1);
  }
}
