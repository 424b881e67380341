/**
 * Issue 10, safety classes fixed in the session of 2026-12-07 (second pass), in wordings written for
 * these tests (not taken from any evaluation or probe set):
 *  - the safety net: an emergency concept read with uncertainty never ends in self-care — a
 *    "don't know" to an emergency discriminator, or an emergency the text says has passed;
 *  - exposures (overdose, poisoning) are not settled by "I feel fine now";
 *  - population + red feature floors: indigestion-like pain with sweating at 40+, vomiting or fast
 *    breathing on an SGLT2 inhibitor (ketoacidosis with normal sugar), a drowsy dehydrated child;
 *  - numbers: a text opening "36 weeks, …" or "36+4" is a gestation, not a 252-day symptom.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, startInterview } from './interview.js';
import type { InterviewResult } from './interview.js';
import { detectEmergency } from '../emergency/index.js';
import { parseQuantities } from '../clinical-text/quantities.js';
import { triageRank } from './kb/types.js';

const opts = { detectEmergency };
const emergency = (r: InterviewResult) => r.triage.level === 'emergency' || r.triage.level === 'emergency_ambulance';

function finish(r: InterviewResult, respond: (qid: string, discriminator: boolean) => string): InterviewResult {
  let guard = 0;
  while (r.question && guard++ < 50) {
    const value = r.question.type === 'yes_no' ? respond(r.question.id, r.state.pending_discriminator === true) : 'unknown';
    r = answer(r.state, { question_id: r.question.id, value }, opts);
  }
  return r;
}

test('"don\'t know" to an emergency discriminator never ends in self-care or a routine appointment', () => {
  const start = startInterview({ age: 30, sex: 'female', text: 'I have a rash on my arms' }, opts);
  // Everyone answers "no" except to the discriminator questions, which they cannot tell.
  const unsure = finish(start, (_q, disc) => (disc ? 'unknown' : 'absent'));
  const denied = finish(start, () => 'absent');
  assert.ok(triageRank(unsure.triage.level) >= triageRank('consultation_24'), `${unsure.triage.level}: ${unsure.triage.reason}`);
  assert.match(unsure.triage.reason, /not sure/);
  // The same interview with the red flags denied is not raised by the net.
  assert.doesNotMatch(denied.triage.reason, /not sure/);
});

test('an emergency the writer says has passed is at least urgent, never self-care', () => {
  const r = finish(
    startInterview({ age: 45, sex: 'male', text: 'had crushing pain in my chest going into my jaw earlier, it has gone now' }, opts),
    () => 'absent',
  );
  assert.ok(triageRank(r.triage.level) >= triageRank('consultation_24'), r.triage.level);
  const d = detectEmergency('had crushing pain in my chest going into my jaw earlier, it has gone now');
  assert.equal(d.is_emergency, false);
  assert.ok(d.matched.some((m) => m.settled === true));
  // A rule whose own level is "within 24 hours" is not a settled emergency.
  assert.ok(!detectEmergency('my son banged his head on the door, he is playing normally').matched.some((m) => m.settled));
});

test('an overdose or poisoning is not settled by feeling fine', () => {
  for (const t of [
    'swallowed 24 paracetamol yesterday evening but I feel totally fine now',
    'my husband took too much co codamol by mistake, hes ok now',
    'I think I took too much paracetamol over the weekend for my tooth, I feel alright',
  ])
    assert.equal(detectEmergency(t).is_emergency, true, t);
  // Scope still applies: questions and denials are not overdoses.
  for (const t of ['can you die from taking too much paracetamol', 'I am careful never to take too much ibuprofen'])
    assert.equal(detectEmergency(t).is_emergency, false, t);
});

test('indigestion-like or upper tummy pain with sweating at 40 or over is a possible heart attack', () => {
  const older = startInterview({ age: 63, sex: 'female', text: 'really bad indigestion for the last hour and I am clammy' }, opts);
  assert.ok(emergency(older), older.triage.reason);
  const upper = startInterview({ age: 55, sex: 'male', text: 'ache in the pit of my stomach and sweating a lot' }, opts);
  assert.ok(emergency(upper), upper.triage.reason);
  // Heartburn without sweating, or at 25, is not.
  assert.ok(!emergency(startInterview({ age: 63, sex: 'female', text: 'indigestion after my dinner again' }, opts)));
  assert.ok(!emergency(startInterview({ age: 25, sex: 'male', text: 'indigestion and sweaty after the gym' }, opts)));
});

test('on an SGLT2 inhibitor, vomiting or fast breathing is ketoacidosis until shown otherwise, whatever the sugar', () => {
  const r = startInterview({ age: 60, sex: 'male', text: 'I take empagliflozin, been throwing up since this morning, sugar is normal' }, opts);
  assert.ok(emergency(r), r.triage.reason);
  assert.ok(!emergency(startInterview({ age: 60, sex: 'male', text: 'I take empagliflozin and my feet are dry' }, opts)));
});

test('diabetes with vomiting and fast breathing is urgent without a ketone reading', () => {
  const r = startInterview({ age: 19, sex: 'female', text: 'type 1 diabetic, vomiting and breathing really fast' }, opts);
  assert.ok(emergency(r), r.triage.reason);
});

test('a child under 5 who is drowsy with signs of dehydration is an emergency (NICE CG84 red flag)', () => {
  const r = startInterview({ age: 2, sex: 'female', text: 'she has had diarrhoea all day, hardly any wet nappies and she is really drowsy' }, opts);
  assert.ok(emergency(r), r.triage.reason);
  // Drowsy alone in a toddler is urgent (NICE NG143 amber), not an emergency by itself.
  const alone = startInterview({ age: 2, sex: 'female', text: 'she is really drowsy today' }, opts);
  assert.ok(triageRank(alone.triage.level) >= triageRank('consultation_24'), alone.triage.level);
});

test('a text opening with the weeks of a pregnancy reads them as a gestation, not a duration', () => {
  assert.deepEqual(parseQuantities('36 weeks, my ankles and face have puffed up'), { gestation_weeks: 36 });
  assert.equal(parseQuantities('at 36+4 my head is pounding').gestation_weeks, 36);
  assert.equal(parseQuantities('3 weeks, cough will not shift').duration_days, 21);
  assert.equal(parseQuantities('cough for 30 weeks now').gestation_weeks, undefined);
  const r = startInterview({ age: 30, sex: 'female', text: '36 weeks, pain under my ribs on the right side' }, opts);
  assert.equal(r.state.patient.pregnant, true);
  assert.ok(emergency(r), r.triage.reason);
});

test('an older person who fell and cannot get up, or a leg shortened and turned out, is an emergency', () => {
  const r = startInterview({ age: 84, sex: 'male', text: 'grandad fell in the garden and cannot get up' }, opts);
  assert.ok(emergency(r), r.triage.reason);
  const hip = startInterview({ age: 80, sex: 'female', text: 'after the fall her left leg looks shorter and is turned outwards' }, opts);
  assert.ok(emergency(hip), hip.triage.reason);
});

test('"the baby has gone quiet" counts from the text in a pregnancy of 24 weeks or more, and is never asked twice', () => {
  const r = startInterview({ age: 29, sex: 'female', pregnant: true, text: '30 weeks and the baby has gone quiet today' }, opts);
  assert.ok(emergency(r), r.triage.reason);
  // A pregnant patient with something else is asked about movements once (reduced_fetal_movement), never about baby_quiet.
  let s = startInterview({ age: 29, sex: 'female', pregnant: true, text: '30 weeks pregnant with a cough' }, opts);
  const asked: string[] = [];
  let guard = 0;
  while (s.question && guard++ < 50) {
    asked.push(s.question.id);
    s = answer(s.state, { question_id: s.question.id, value: s.question.type === 'yes_no' ? 'absent' : 'unknown' }, opts);
  }
  assert.ok(asked.includes('reduced_fetal_movement'), asked.join(','));
  assert.ok(!asked.includes('baby_quiet'));
});
