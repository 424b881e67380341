import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getKnowledgeBase } from './kb/loader.js';
import { compileModel, computePosterior, denseEvidence, getModel, posteriorDense } from './inference.js';

const kb = getKnowledgeBase();
const top = (r: { id: string }[], n: number) => r.slice(0, n).map((c) => c.id);

test('posterior is a distribution', () => {
  const r = computePosterior(kb, { age: 30, sex: 'female' }, { cough: 'present' });
  const sum = r.reduce((a, c) => a + c.probability, 0);
  assert.ok(Math.abs(sum - 1) < 1e-9);
  assert.ok(r.every((c) => c.probability >= 0));
  for (let i = 1; i < r.length; i++) assert.ok(r[i - 1]!.probability >= r[i]!.probability);
});

test('chest pain + sweating in a 60-year-old man puts acute coronary syndrome on top', () => {
  const r = computePosterior(kb, { age: 60, sex: 'male' }, { chest_pain: 'present', sweating: 'present' });
  assert.equal(r[0]!.id, 'acute_coronary_syndrome');
  assert.ok(r[0]!.probability > 0.2);
});

test('age matters: the same chest pain is less likely cardiac at 20 than at 60', () => {
  const e = { chest_pain: 'present', sweating: 'present' } as const;
  const p = (age: number) => computePosterior(kb, { age, sex: 'male' }, e).find((c) => c.id === 'acute_coronary_syndrome')!.probability;
  assert.ok(p(60) > 3 * p(20));
});

test('sex-specific conditions: no ectopic pregnancy for a man, none when pregnancy is denied', () => {
  const e = { abdominal_pain: 'present', lower_abdominal_pain: 'present', vaginal_bleeding: 'present' } as const;
  const man = computePosterior(kb, { age: 28, sex: 'male' }, { abdominal_pain: 'present', lower_abdominal_pain: 'present' });
  assert.equal(man.find((c) => c.id === 'ectopic_pregnancy')?.probability ?? 0, 0);
  const preg = computePosterior(kb, { age: 28, sex: 'female' }, { ...e, pregnant: 'present' });
  const notPreg = computePosterior(kb, { age: 28, sex: 'female' }, { ...e, pregnant: 'absent' });
  const pe = (r: typeof preg) => r.find((c) => c.id === 'ectopic_pregnancy')?.probability ?? 0;
  assert.ok(pe(preg) > 10 * pe(notPreg));
});

test('absent evidence lowers a condition, unknown evidence changes nothing', () => {
  const base = { cough: 'present', fever: 'present' } as const;
  const p = (e: Record<string, 'present' | 'absent'>) => computePosterior(kb, { age: 40, sex: 'male' }, e).find((c) => c.id === 'pneumonia')!.probability;
  assert.ok(p({ ...base, shortness_of_breath: 'absent' }) < p(base));
  assert.ok(p({ ...base, shortness_of_breath: 'present' }) > p(base));
  // unknown = not in the map
  assert.equal(p(base), p({ ...base }));
});

test('an absent parent makes its children irrelevant (chain rule)', () => {
  const m = getModel(kb);
  const patient = { age: 50, sex: 'male' as const };
  const a = posteriorDense(m, patient, denseEvidence(m, { cough: 'present', chest_pain: 'absent' }));
  const b = posteriorDense(m, patient, denseEvidence(m, { cough: 'present', chest_pain: 'absent', chest_pain_crushing: 'absent' }));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-12);
});

test('leak: evidence a condition does not list uses the leak, so one odd symptom does not eliminate it', () => {
  const r = computePosterior(
    kb,
    { age: 30, sex: 'female' },
    { runny_nose: 'present', sneezing: 'present', nasal_congestion: 'present', ankle_pain: 'present' },
  );
  assert.ok(top(r, 5).includes('common_cold'));
});

test('compileModel is deterministic', () => {
  // Speed is measured by `npm run eval` (step p99) and bench/, never asserted in a test.
  const m = compileModel(kb);
  assert.equal(m.nC, kb.conditions.length);
  assert.deepEqual(Array.from(compileModel(kb).like), Array.from(m.like));
});
