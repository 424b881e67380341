import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getKnowledgeBase } from './kb/loader.js';
import { applyFeedbackBatch, emptyAdjustments, summariseAdjustments, validateFeedback } from './learning.js';
import type { FeedbackRow } from './learning.js';
import { computePosterior } from './inference.js';
import { SymptomCheckerError } from './errors.js';

const kb = getKnowledgeBase();
const row = (i: number, user: string, cond: string, extra: Partial<FeedbackRow> = {}): FeedbackRow => ({
  session_id: `s${i}`,
  user_id: user,
  actual_condition: cond,
  helpful: true,
  verified: false,
  evidence: { cough: 'present', fever: 'present' },
  ...extra,
});

test('empty batch gives neutral adjustments', () => {
  const a = applyFeedbackBatch(null, []);
  assert.deepEqual(a.prior_factor, {});
  assert.deepEqual(a.likelihood, {});
});

test('one user cannot swing the model: one vote per session, per condition, capped per user', () => {
  const rows = Array.from({ length: 500 }, (_, i) => row(i, 'mallory', 'tuberculosis'));
  const a = applyFeedbackBatch(null, rows);
  assert.equal(a.stats.accepted, 1);
  assert.equal(a.user_votes['mallory'], 1);
  assert.ok((a.prior_factor['tuberculosis'] ?? 1) < 1.5, `factor ${a.prior_factor['tuberculosis']}`);
  // Spread over many conditions: capped at max_votes_per_user.
  const many = kb.conditions.slice(0, 40).map((c, i) => row(1000 + i, 'mallory', c.id));
  const b = applyFeedbackBatch(a, many);
  assert.equal(b.user_votes['mallory'], b.params.max_votes_per_user);
  assert.ok((b.stats.rejected.user_cap ?? 0) > 0);
});

test('re-applying the same sessions is a no-op (idempotent job)', () => {
  const rows = [row(1, 'a', 'influenza'), row(2, 'b', 'influenza')];
  const a = applyFeedbackBatch(null, rows);
  const b = applyFeedbackBatch(a, rows);
  assert.deepEqual(b.prior_factor, a.prior_factor);
  assert.equal(b.stats.rejected.duplicate_session, 2);
});

test('many independent users move a prior up, but never beyond the bound', () => {
  const rows = Array.from({ length: 5000 }, (_, i) => row(i, `u${i}`, 'tuberculosis', { verified: true }));
  const a = applyFeedbackBatch(null, rows);
  const f = a.prior_factor['tuberculosis']!;
  assert.ok(f > 1.5 && f <= a.params.max_prior_factor + 1e-9, `factor ${f}`);
  // other conditions go down, also bounded
  for (const v of Object.values(a.prior_factor)) assert.ok(v >= 1 / a.params.max_prior_factor - 1e-9);
  // the adjusted model ranks TB higher for the same evidence
  const e = { cough: 'present', fever: 'present', night_sweats: 'present' } as const;
  const p = (adj?: typeof a) => computePosterior(kb, { age: 40, sex: 'male' }, e, adj).find((c) => c.id === 'tuberculosis')!.probability;
  assert.ok(p(a) > p());
});

test('likelihood updates are bounded in logit space and only for listed evidence', () => {
  const rows = Array.from({ length: 3000 }, (_, i) =>
    row(i, `u${i}`, 'common_cold', { verified: true, evidence: { fever: 'present', ankle_pain: 'present' } }),
  );
  const a = applyFeedbackBatch(null, rows);
  const p0 = kb.conditions.find((c) => c.id === 'common_cold')!.evidence['fever']!;
  const p1 = a.likelihood['common_cold']!['fever']!;
  const logit = (p: number) => Math.log(p / (1 - p));
  assert.ok(p1 > p0);
  assert.ok(logit(p1) - logit(p0) <= a.params.max_logit_shift + 1e-9);
  assert.equal(a.likelihood['common_cold']!['ankle_pain'], undefined);
});

test('rows without a known actual condition do not teach', () => {
  const a = applyFeedbackBatch(null, [
    { session_id: 'x', user_id: 'u', helpful: false, evidence: {} },
    { session_id: 'y', user_id: 'u', helpful: true, actual_condition: 'made_up', evidence: {} },
    { nonsense: true } as unknown as FeedbackRow,
  ]);
  assert.equal(a.stats.accepted, 0);
  assert.equal(a.stats.rejected.no_actual_condition, 1);
  assert.equal(a.stats.rejected.unknown_condition, 1);
  assert.equal(a.stats.rejected.malformed, 1);
  assert.deepEqual(a.prior_factor, {});
});

test('pure: the input adjustments are not modified', () => {
  const a = emptyAdjustments(kb);
  const copy = structuredClone(a);
  applyFeedbackBatch(a, [row(1, 'a', 'influenza')]);
  assert.deepEqual(a, copy);
});

test('validateFeedback and the admin summary', () => {
  assert.throws(() => validateFeedback({ helpful: 'yes' }), SymptomCheckerError);
  assert.throws(() => validateFeedback({ helpful: true, actual_condition: 'nope' }), SymptomCheckerError);
  assert.throws(() => validateFeedback({ helpful: true, rating: 9 }), SymptomCheckerError);
  assert.doesNotThrow(() => validateFeedback({ helpful: true, actual_condition: 'influenza', rating: 4 }));
  const a = applyFeedbackBatch(
    null,
    Array.from({ length: 50 }, (_, i) => row(i, `u${i}`, 'influenza')),
  );
  const s = summariseAdjustments(a);
  assert.equal(s.users, 50);
  assert.equal(s.priors[0]!.condition, 'influenza');
});
