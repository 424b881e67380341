import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkFrozen, loadMessageSplit, loadVignetteSplit } from './independent.js';

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
