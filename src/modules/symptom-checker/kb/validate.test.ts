import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readKnowledgeBase } from './loader.js';
import { validateKnowledgeBase } from './validate.js';
import { BODY_SYSTEMS, TRIAGE_LEVELS } from './types.js';

const fresh = () => readKnowledgeBase();

test('the repository knowledge base is valid', () => {
  const r = validateKnowledgeBase(fresh());
  assert.deepEqual(r.errors, []);
  assert.equal(r.ok, true);
});

test('the knowledge base covers every body system and triage level', () => {
  const kb = fresh();
  const systems = new Set(kb.conditions.map((c) => c.system));
  for (const s of BODY_SYSTEMS) assert.ok(systems.has(s), `no condition for ${s}`);
  const levels = new Set(kb.conditions.map((c) => c.triage));
  for (const l of TRIAGE_LEVELS) assert.ok(levels.has(l), `no condition at ${l}`);
});

test('rejects a dangling evidence reference', () => {
  const kb = fresh();
  kb.conditions[0]!.evidence['no_such_symptom'] = 0.5;
  const r = validateKnowledgeBase(kb);
  assert.equal(r.ok, false);
  assert.ok(r.errors.some((e) => e.includes('no_such_symptom') && e.includes('does not exist')));
});

test('rejects probabilities outside (0,1), bad ICD-10, bad triage, missing sources', () => {
  const kb = fresh();
  const c = kb.conditions[1]!;
  c.evidence[Object.keys(c.evidence)[0]!] = 1;
  c.icd10 = 'J 00';
  (c as { triage: string }).triage = 'urgent';
  c.sources = [];
  kb.conditions[2]!.prior = 0;
  kb.conditions[3]!.sources = ['not_a_source'];
  const r = validateKnowledgeBase(kb);
  assert.equal(r.ok, false);
  const all = r.errors.join('\n');
  assert.match(all, /must be in \(0,1\)/);
  assert.match(all, /not a valid ICD-10 code/);
  assert.match(all, /bad triage level urgent/);
  assert.match(all, /at least one source required/);
  assert.match(all, /prior must be in \(0,1\)/);
  assert.match(all, /source not_a_source does not exist/);
});

test('rejects duplicate ids, red flags that are not red-flag evidence, and duration mass > 1', () => {
  const kb = fresh();
  kb.conditions.push({ ...kb.conditions[0]! });
  const c = kb.conditions[1]!;
  c.red_flags = ['cough'];
  c.evidence['cough'] = 0.5;
  c.evidence['dur_lt_1d'] = 0.9;
  c.evidence['dur_1_7d'] = 0.9;
  const r = validateKnowledgeBase(kb);
  const all = r.errors.join('\n');
  assert.match(all, /duplicate id/);
  assert.match(all, /red flag cough is not marked red_flag/);
  assert.match(all, /group duration sum to/);
});

test('rejects child evidence without its parent and evidence with a broken parent', () => {
  const kb = fresh();
  const c = kb.conditions.find((x) => 'chest_pain' in x.evidence)!;
  delete c.evidence['chest_pain'];
  c.evidence['chest_pain_crushing'] = 0.3;
  kb.evidence.find((e) => e.id === 'barking_cough')!.parent = 'nope';
  const r = validateKnowledgeBase(kb);
  const all = r.errors.join('\n');
  assert.match(all, /without its parent chest_pain/);
  assert.match(all, /parent nope does not exist/);
});

test('rejects garbage', () => {
  assert.equal(validateKnowledgeBase(null).ok, false);
  assert.equal(validateKnowledgeBase({}).ok, false);
  assert.equal(validateKnowledgeBase({ meta: {}, evidence: 'x', conditions: [], sources: [], groups: [], red_flag_rules: [] }).ok, false);
});
