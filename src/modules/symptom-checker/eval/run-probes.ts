/**
 * `npx tsx src/modules/symptom-checker/eval/run-probes.ts <vignettes.json> [-v]` — the symptom
 * checker on a file of own-written probe vignettes (same shape as the independent set), e.g.
 * eval/probes/vignettes-round10.json. Probes are written from published guidance to find failure
 * classes without looking at the frozen test split; once used to fix something they are memory,
 * like the dev split. Safety figures first; `-v` lists every case with a different triage.
 */
import { readFileSync } from 'node:fs';
import { detectEmergency } from '../../emergency/index.js';
import { evaluateVignettes } from './independent.js';
import type { IndependentVignette } from './independent.js';

const file = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (!file) {
  console.error('usage: run-probes.ts <vignettes.json> [-v]');
  process.exit(2);
}
const vs = (JSON.parse(readFileSync(file, 'utf8')) as { vignettes: IndependentVignette[] }).vignettes;
const r = evaluateVignettes(vs, { detectEmergency });
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
console.log(`${file}: ${r.n} vignettes, ${r.emergencies} emergencies`);
console.log(`  emergencies advised self-care: ${r.emergencies_self_care}`);
console.log(`  emergencies given an emergency level: ${pct(r.emergency_level_rate)}`);
console.log(`  safe advice: ${pct(r.safe_advice)}; 3-class: ${pct(r.three_class)}; exact: ${pct(r.exact)}`);
console.log(`  self-care cases over-triaged: ${pct(r.self_care_over_triaged)}; top-3: ${pct(r.top3)}; 422: ${r.errors_422}`);
console.log(`  mean questions ${r.mean_questions.toFixed(1)}; step p99 ${r.step_p99_ms.toFixed(2)} ms`);
if (process.argv.includes('-v')) {
  for (const c of r.results) {
    if (c.triage === c.expected_triage && !c.error) continue;
    console.log(
      `  ${c.id} ${c.population.padEnd(16)} expected ${c.expected_triage.padEnd(19)} got ${c.triage.padEnd(19)} ${c.expected_condition ?? '-'} rank ${c.rank ?? '-'} top ${c.top.join(',')} q=${c.questions} ${c.error ?? ''}`,
    );
    console.log(`      ${c.reason}`);
  }
}
