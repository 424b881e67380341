import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listKnowledgeBase, startInterview, answer, SymptomCheckerError } from './index.js';

test('listKnowledgeBase exposes conditions with sources, evidence and sources', () => {
  const l = listKnowledgeBase();
  assert.ok(l.counts.conditions >= 120);
  assert.equal(l.conditions.length, l.counts.conditions);
  for (const c of l.conditions) {
    assert.ok(c.sources.length > 0 && c.sources.every((s) => s.title && s.org));
    assert.match(c.icd10, /^[A-Z][0-9]{2}/);
  }
  assert.ok(l.evidence.some((e) => e.red_flag));
  assert.doesNotThrow(() => JSON.stringify(l));
});

test('the public API round-trips a short interview', () => {
  const r = startInterview({ age: 30, sex: 'male', symptoms: ['sore throat'] });
  assert.ok(r.question);
  const r2 = answer(JSON.parse(JSON.stringify(r.state)), { question_id: r.question.id, value: r.question.type === 'yes_no' ? 'present' : 'unknown' });
  assert.ok(r2.conditions.length > 0);
  assert.throws(() => answer(r2.state, { question_id: 'nonexistent', value: 'present' }), SymptomCheckerError);
});
