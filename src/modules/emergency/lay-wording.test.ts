import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectEmergency } from './detector.js';
import { layReading } from './lay-wording.js';

test('emergency wording: chat intensifiers, second-language forms, typos and stabbings are read as emergencies; scope still holds', () => {
  const check = detectEmergency;
  // Own probes (written from how people type, not from eval items); the detector alone missed each on 2026-12-07.
  for (const text of [
    'hello doctor my chest is paining very much since morning and left hand also paining',
    'chest pain very strong, help',
    'I have very bad chest pain right now, can you book me in',
    'my chest hurts really bad',
    'my heart is hurting really bad',
    'I have extreme chest pain',
    'chest pian and sweating',
    'I was stabbed',
    "I've been stabbed and I'm bleeding",
    'someone shot me',
    'show my appointments. cheast pain very strong since 1 hour',
  ]) {
    assert.equal(check(text).is_emergency, true, `expected an emergency: ${text}`);
  }
  // The detector's negation, history and hypothetical scoping applies to the reading too.
  for (const text of [
    'no really bad chest pain, just a checkup',
    'I had really bad chest pain last year, want to book a follow up',
    'what if I get very bad chest pain on the plane',
    'I got my flu shot, can I see the record',
    'my heart is hurting since my divorce',
    'my dad had a hart atack last year',
  ])
    assert.equal(check(text).is_emergency, false, `expected no emergency: ${text}`);
});

test('a match found only in the second reading spans the whole message and names the reading', () => {
  const text = 'my chest hurts really bad';
  assert.equal(layReading('nothing to reword here'), null);
  const check = detectEmergency(text);
  assert.equal(check.is_emergency, true);
  for (const m of check.matched) assert.deepEqual(m.span, [0, text.length]);
});
