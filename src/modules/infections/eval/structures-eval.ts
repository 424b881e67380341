/**
 * Evaluation of the dermoscopic structure rules (src/modules/infections/analysis/structures.ts)
 * on synthetic images with known, drawn structures (structures.synthetic.ts) — synthetic only:
 * no labelled dermoscopic images exist in this repository. Usage:
 *
 *   npx tsx src/modules/infections/eval/structures-eval.ts [first-seed] [count] [--verbose]
 *
 * Seeds 1–40 were used to set the thresholds (dev); seeds 1001–1040 were drawn only after the
 * thresholds were fixed (docs/DERMA.md, "Structures"). Both come from the same drawing code, so
 * the second is a check against over-fitting to particular seeds, not to the drawing itself.
 */
import { analyse } from '../analysis/analyse.js';
import { DRAWN, structuredLesion, syntheticSet, type Drawn } from '../analysis/structures.synthetic.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const verbose = process.argv.includes('--verbose');
const first = Number(args[0] ?? 1);
const count = Number(args[1] ?? 40);
const set = syntheticSet(Array.from({ length: count }, (_, i) => first + i));
// Every drawn structure also alone, so each has positives.
for (const s of DRAWN) set.push({ seed: first + 500 + DRAWN.indexOf(s), structures: [s] });
set.push({ seed: first + 600, structures: [] });

const tally = new Map<Drawn, { tp: number; fn: number; fp: number; tn: number }>(DRAWN.map((s) => [s, { tp: 0, fn: 0, fp: 0, tn: 0 }]));
let failed = 0;
for (const item of set) {
  const image = structuredLesion(item.structures, item.seed);
  const out = analyse({ ...image, originalWidth: image.width, originalHeight: image.height, scaleMmPerPx: 0.02 });
  if (!out.ok) {
    failed++;
    console.log(`seed ${item.seed} [${item.structures.join(', ')}]: gate ${out.gate}`);
    continue;
  }
  const findings = out.features.differential_structures.findings;
  for (const s of DRAWN) {
    const f = findings.find((x) => x.structure === s)!;
    const truth = item.structures.includes(s);
    const t = tally.get(s)!;
    if (truth && f.present) t.tp++;
    else if (truth) t.fn++;
    else if (f.present) t.fp++;
    else t.tn++;
    if (verbose && truth !== f.present)
      console.log(`seed ${item.seed} [${item.structures.join(', ')}] ${s}: ${f.present ? 'false +' : 'missed'} ${JSON.stringify(f.evidence)}`);
  }
}
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)} %` : '—');
console.log(`images: ${set.length} (seeds ${first}–${first + count - 1} plus one per structure alone and one plain), quality-gate failures: ${failed}`);
console.log('| structure | drawn | found (sensitivity) | not drawn | false alarms (1 − specificity) |');
console.log('|---|---|---|---|---|');
for (const [s, t] of tally)
  console.log(`| ${s} | ${t.tp + t.fn} | ${t.tp} (${pct(t.tp, t.tp + t.fn)}) | ${t.fp + t.tn} | ${t.fp} (${pct(t.fp, t.fp + t.tn)}) |`);
