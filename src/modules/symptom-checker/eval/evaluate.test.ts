import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkVignettes, evaluate, loadVignettes } from './evaluate.js';
import { MAX_DISCRIMINATOR_QUESTIONS, MAX_QUESTIONS } from '../interview.js';

const vignettes = loadVignettes();

test('the vignette set is well formed, ≥ 60 cases, all five triage levels evenly', () => {
  assert.deepEqual(checkVignettes(vignettes), []);
  assert.ok(vignettes.length >= 60);
  const per = new Map<string, number>();
  for (const v of vignettes) per.set(v.expected_triage, (per.get(v.expected_triage) ?? 0) + 1);
  assert.equal(per.size, 5);
  for (const n of per.values()) assert.ok(n >= 12, `uneven triage coverage: ${[...per].join(' ')}`);
});

test('own-author vignettes (regression, not quality: the engine was built on them): emergent recall 100 %, top-3 ≥ 70 %, triage ≥ 75 %', () => {
  const r = evaluate(vignettes);
  assert.equal(
    r.emergent_recall,
    1,
    `missed emergencies: ${r.results
      .filter((x) => ['emergency', 'emergency_ambulance'].includes(x.expected_triage) && !['emergency', 'emergency_ambulance'].includes(x.triage))
      .map((x) => x.id)
      .join(', ')}`,
  );
  assert.ok(r.top3 >= 0.7, `top-3 ${r.top3}`);
  assert.ok(r.triage_accuracy >= 0.75, `triage ${r.triage_accuracy}`);
  assert.ok(r.results.every((x) => x.questions <= MAX_QUESTIONS + MAX_DISCRIMINATOR_QUESTIONS));
});
