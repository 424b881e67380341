import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getKnowledgeBase } from './kb/loader.js';
import { mapSymptoms, mapText, parseDurationDays, stem, editDistance } from './text-mapping.js';

const kb = getKnowledgeBase();
const ev = (t: string) => mapText(kb, t).evidence;

test('negation: "no fever", "denies chest pain", "without vomiting" are absent', () => {
  assert.deepEqual(ev('no fever'), { fever: 'absent' });
  assert.equal(ev('Patient denies chest pain')['chest_pain'], 'absent');
  assert.deepEqual(ev('without vomiting'), { vomiting: 'absent' });
  assert.deepEqual(ev("I don't have a headache"), { headache: 'absent' });
});

test('negation scope covers lists and stops at "but" and new clauses', () => {
  assert.deepEqual(ev('no fever or vomiting'), { fever: 'absent', vomiting: 'absent' });
  // A comma ends a negation's scope: reading a finding as denied when it was not is the unsafe error.
  assert.deepEqual(ev('no fever, chest pain since this morning'), { fever: 'absent', chest_pain: 'present' });
  assert.deepEqual(ev('I have a cough but no fever'), { cough: 'present', fever: 'absent' });
  assert.deepEqual(ev('no fever but a terrible headache'), { fever: 'absent', headache: 'present' });
  assert.deepEqual(ev('no fever and I have a sore throat'), { fever: 'absent', sore_throat: 'present' });
  assert.deepEqual(ev('Fever. No rash.'), { fever: 'present', rash: 'absent' });
});

test('post-negation: "chest pain denied", "fever has gone"', () => {
  assert.equal(ev('chest pain denied')['chest_pain'], 'absent');
  // A symptom that has settled is still reported (chest pain that came and went matters).
  assert.equal(ev('I had chest pain this morning but it has gone now')['chest_pain'], 'present');
});

test('lexicalised negatives are symptoms, not negations', () => {
  assert.deepEqual(ev('I have no energy'), { fatigue: 'present' });
  assert.equal(ev("I can't breathe")['severe_breathing_difficulty'], 'present');
  assert.equal(ev('I am not able to pass urine')['urinary_retention'], 'present');
});

test('synonyms, stemming and British/lay phrasing', () => {
  assert.equal(ev('my tummy hurts')['abdominal_pain'], 'present');
  assert.equal(ev('throwing up all night')['vomiting'], 'present');
  assert.equal(ev('feeling sick')['nausea'], 'present');
  assert.equal(ev('feeling sick')['vomiting'], undefined);
  assert.equal(ev('been sick twice')['vomiting'], 'present');
  assert.equal(ev('coughing a lot')['cough'], 'present');
  assert.equal(ev('wheezing')['wheeze'], 'present');
  assert.equal(ev('crushing chest pain spreading to my left arm')['chest_pain_radiating'], 'present');
  assert.equal(stem('coughing'), stem('coughs'));
  assert.equal(stem('vomiting'), stem('vomited'));
});

test('typo tolerance', () => {
  assert.equal(ev('hedache')['headache'], 'present');
  assert.equal(ev('diarrhea and vommiting')['vomiting'], 'present');
  assert.equal(ev('feverr')['fever'], 'present');
  assert.equal(editDistance('fever', 'fevre'), 1);
});

test('durations are parsed', () => {
  assert.equal(parseDurationDays('for 3 days'), 3);
  assert.equal(parseDurationDays('two weeks'), 14);
  assert.equal(parseDurationDays('since yesterday'), 1);
  assert.ok(parseDurationDays('for 2 hours')! < 1);
  assert.equal(parseDurationDays('a cough'), undefined);
});

test('unknown symptom strings come back as unrecognised with suggestions, never throw', () => {
  const r = mapSymptoms(kb, ['fever', 'blorptitis', 'heddache'], undefined);
  assert.equal(r.evidence['fever'], 'present');
  assert.equal(r.evidence['headache'], 'present');
  const un = r.unrecognised.find((u) => u.text === 'blorptitis');
  assert.ok(un);
  assert.ok(Array.isArray(un.suggestions));
  const near = mapSymptoms(kb, ['stomack cramp pains xyz'], undefined);
  assert.ok(near.evidence['abdominal_pain'] || near.unrecognised[0]?.suggestions.some((s) => s.id === 'abdominal_pain'));
  assert.doesNotThrow(() => mapSymptoms(kb, ['', '   ', '!!!', 'a'.repeat(5000)], '🙂🙂'));
});

test('conflicts between inputs are reported', () => {
  const r = mapSymptoms(kb, ['fever'], 'no fever today');
  assert.deepEqual(r.conflicts, ['fever']);
});

test('the work one request can cause is bounded: suggestions for short phrases only, three per request', () => {
  // Before the bound, 30 unrecognisable 200-character symptoms made ~2 s of suggestion search on
  // the event loop (issue 11 item 8); bench/text-cost.ts measures the time, this test the bound.
  const junk = (i: number) => `qzxv${i}blorp `.repeat(20).slice(0, 200);
  const r = mapSymptoms(
    kb,
    Array.from({ length: 30 }, (_, i) => junk(i)),
    undefined,
  );
  assert.equal(r.unrecognised.length, 30);
  assert.ok(
    r.unrecognised.every((u) => u.suggestions.length === 0),
    'long phrases get no suggestion search',
  );
  const short = mapSymptoms(
    kb,
    Array.from({ length: 10 }, (_, i) => `stomack crampz ${i}`),
    undefined,
  );
  assert.ok(
    short.unrecognised.slice(3).every((u) => u.suggestions.length === 0),
    'only the first three get suggestions',
  );
  assert.ok(short.unrecognised.slice(0, 3).some((u) => u.suggestions.length > 0));
});
