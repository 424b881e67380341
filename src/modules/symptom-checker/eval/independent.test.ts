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

// The safety property the issue sets: no emergency advised self-care, on the dev split (tuned on).
// The frozen test split is not checked here: `npm test` is what a tuner runs after every change, so
// a test-split check here would be a look per change (it was: docs/EVALUATION.md, "Third pass").
// `npm run eval` (CI) holds the test split's line instead (run-eval.ts, TEST_SPLIT_UNSAFE_AT_LAST_MEASUREMENT).
test('dev split: emergencies advised self-care = 0, and no plain-language case refused', () => {
  const r = evaluateVignettes(loadVignetteSplit('dev'), { detectEmergency });
  const unsafe = r.results.filter((x) => x.expected_triage.startsWith('emergency') && x.triage === 'self_care').length;
  assert.equal(unsafe, 0, `${unsafe} emergencies advised self-care`);
  assert.equal(
    r.errors_422,
    0,
    r.results
      .filter((x) => x.error)
      .map((x) => `${x.id}: ${x.error}`)
      .join('; '),
  );
});
