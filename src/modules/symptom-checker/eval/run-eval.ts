/**
 * `npm run eval` — symptom-checker evaluation on the vignettes, plus the emergency detector's own
 * figures when src/modules/emergency exists.
 */
import { checkVignettes, evaluate, loadEmergencyModule, loadVignettes } from './evaluate.js';
import type { EvalReport } from './evaluate.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const verbose = process.argv.includes('--verbose') || process.argv.includes('-v');

function print(title: string, r: EvalReport): void {
  console.log(`\n${title}`);
  console.log(`  vignettes            ${r.n}`);
  console.log(`  top-1 accuracy       ${pct(r.top1)}`);
  console.log(`  top-3 accuracy       ${pct(r.top3)}`);
  console.log(`  top-10 accuracy      ${pct(r.top10)}`);
  console.log(`  triage accuracy      ${pct(r.triage_accuracy)}  (over-triage ${pct(r.over_triage)}, under-triage ${pct(r.under_triage)})`);
  console.log(`  emergent recall      ${pct(r.emergent_recall)}  (${r.emergent_n} cases expected emergency/emergency_ambulance)`);
  console.log(`  mean questions       ${r.mean_questions.toFixed(1)}`);
  for (const [level, p] of Object.entries(r.per_level)) console.log(`    triage ${level.padEnd(20)} ${p.correct}/${p.n}`);
  if (verbose) {
    for (const x of r.results) {
      const ok = x.rank === 1 ? 'ok ' : x.rank !== null && x.rank <= 3 ? 'top3' : 'MISS';
      const tr = x.triage === x.expected_triage ? '' : `  triage ${x.triage} (expected ${x.expected_triage})`;
      console.log(`  ${ok.padEnd(4)} ${x.id.padEnd(7)} ${x.expected_condition.padEnd(28)} rank ${String(x.rank).padEnd(4)} q=${String(x.questions).padEnd(2)} ${x.stop_reason ?? ''} top: ${x.top.join(', ')}${tr}`);
    }
  }
}

const vignettes = loadVignettes();
const problems = checkVignettes(vignettes);
if (problems.length) {
  console.error(`vignette file has problems:\n${problems.join('\n')}`);
  process.exit(1);
}
const t0 = performance.now();
const report = evaluate(vignettes);
print(`Symptom checker (engine only) — ${((performance.now() - t0) / 1000).toFixed(2)} s`, report);

// Robustness: the same vignettes with a less complete / less reliable simulated patient.
const sparse = evaluate(vignettes, {}, { drop: 0.5, seed: 7 });
const noisy = evaluate(vignettes, {}, { flip: 0.1, seed: 7 });
const textOnly = evaluate(vignettes, {}, { drop: 1 });
console.log('\nRobustness (engine only)                     top-1   top-3  top-10  triage  emergent recall');
for (const [name, r] of [['answers as written', report], ['half of the answers "don\'t know"', sparse], ['10% of yes/no answers flipped', noisy], ['presenting text only, no answers', textOnly]] as const) {
  console.log(`  ${name.padEnd(42)} ${pct(r.top1).padStart(6)} ${pct(r.top3).padStart(7)} ${pct(r.top10).padStart(7)} ${pct(r.triage_accuracy).padStart(7)} ${pct(r.emergent_recall).padStart(8)}`);
}

const em = await loadEmergencyModule();
if (em.detectEmergency) {
  print('Symptom checker with the emergency detector on the free text', evaluate(vignettes, { detectEmergency: em.detectEmergency }));
} else {
  console.log('\n(src/modules/emergency/detector.ts not available: skipped the run with the emergency detector)');
}
if (em.evaluateEmergencyDetector) {
  try {
    const d = em.evaluateEmergencyDetector();
    console.log('\nEmergency detector (src/modules/emergency/eval.ts)');
    console.log(`  messages             ${d.total}`);
    console.log(`  recall               ${pct(d.recall)}`);
    console.log(`  false-positive rate  ${pct(d.falsePositiveRate)}`);
  } catch (e) {
    console.log(`\nEmergency detector evaluation failed: ${(e as Error).message}`);
  }
} else {
  console.log('(src/modules/emergency/eval.ts not available: emergency-detector figures skipped)');
}
