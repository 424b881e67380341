import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, deserializeState, MAX_QUESTIONS, MAX_DISCRIMINATOR_QUESTIONS, resume, serializeState, startInterview } from './interview.js';
import type { InterviewResult } from './interview.js';
import { SymptomCheckerError } from './errors.js';
import { DISCLAIMER } from './triage.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof SymptomCheckerError) return e.code;
    throw e;
  }
  return undefined;
}

/** Runs an interview answering with `respond`, returns the final result and the asked ids. */
function run(start: InterviewResult, respond: (qid: string) => string) {
  let r = start;
  const asked: string[] = [];
  let guard = 0;
  while (r.question && guard++ < 50) {
    asked.push(r.question.id);
    r = answer(r.state, { question_id: r.question.id, value: respond(r.question.id) });
  }
  return { r, asked };
}

test('the reply has the contract shape and always a disclaimer', () => {
  const r = startInterview({ age: 30, sex: 'female', symptoms: ['cough'], text: 'and a runny nose' });
  assert.equal(r.disclaimer, DISCLAIMER);
  assert.match(r.disclaimer, /not a diagnosis/i);
  assert.ok(r.question);
  assert.ok(['yes_no', 'single', 'duration'].includes(r.question.type));
  assert.ok(r.conditions.length > 0);
  for (const c of r.conditions) {
    assert.equal(typeof c.id, 'string');
    assert.equal(typeof c.icd10, 'string');
    assert.ok(c.probability >= 0 && c.probability <= 1);
  }
  assert.ok(['emergency_ambulance', 'emergency', 'consultation_24', 'consultation', 'self_care'].includes(r.triage.level));
  assert.equal(typeof r.triage.reason, 'string');
  assert.ok(Array.isArray(r.triage.red_flags));
  assert.equal(r.should_stop, false);
});

test('chest pain and sweating in a 60-year-old man: ACS on top, emergency triage', () => {
  const r = startInterview({ age: 60, sex: 'male', text: 'I have chest pain and I am sweating' });
  assert.equal(r.conditions[0]!.id, 'acute_coronary_syndrome');
  assert.ok(['emergency', 'emergency_ambulance'].includes(r.triage.level));
});

test('"no fever" in the text is known absent and never asked', () => {
  const r0 = startInterview({ age: 35, sex: 'male', text: 'sore throat and cough, no fever' });
  assert.equal(r0.state.evidence['fever'], 'absent');
  const { asked } = run(r0, () => 'unknown');
  assert.ok(!asked.includes('fever'));
  assert.ok(!asked.includes('sore_throat'));
});

test('never repeats a question, never asks known evidence, stops within its question budget', () => {
  for (const respond of [() => 'present', () => 'absent', () => 'unknown']) {
    const r0 = startInterview({ age: 45, sex: 'female', symptoms: ['headache'] });
    const { r, asked } = run(r0, (qid) => (qid === 'duration' ? 'dur_1_7d' : respond()));
    assert.equal(new Set(asked).size, asked.length, `repeated: ${asked.join(',')}`);
    assert.ok(asked.length <= MAX_QUESTIONS + MAX_DISCRIMINATOR_QUESTIONS);
    assert.equal(r.should_stop, true);
    assert.equal(r.question, null);
    assert.ok(!asked.includes('headache'));
  }
});

test('children are only asked after their parent is present', () => {
  const r0 = startInterview({ age: 50, sex: 'male', symptoms: ['fever'] });
  const { asked } = run(r0, (qid) => (qid === 'duration' ? 'dur_1_7d' : 'absent'));
  for (const child of ['chest_pain_crushing', 'pleuritic_pain', 'cough_productive', 'headache_thunderclap']) assert.ok(!asked.includes(child));
});

test('a red flag stops the interview with an emergency level naming it', () => {
  const r = startInterview({ age: 30, sex: 'female', text: 'my lips and tongue are swelling after eating peanuts' });
  assert.equal(r.should_stop, true);
  assert.equal(r.stop_reason, 'red_flag');
  assert.equal(r.triage.level, 'emergency_ambulance');
  // Lip and tongue swelling after a trigger is the anaphylaxis discriminator (kb/complaints.json).
  assert.ok(
    r.triage.red_flags.some((f) => f.source === 'discriminator' && /lip|tongue|throat/i.test(f.name)),
    JSON.stringify(r.triage.red_flags),
  );
  assert.match(r.triage.reason, /lips, tongue or throat/i);
});

test('a red flag answered during the interview escalates at once', () => {
  let r = startInterview({ age: 40, sex: 'male', symptoms: ['headache'] });
  let guard = 0;
  while (r.question && guard++ < 20) {
    const flag = r.question.id === 'headache_thunderclap' || r.question.id === 'neck_stiffness' || r.question.id === 'confusion';
    r = answer(r.state, { question_id: r.question.id, value: r.question.type === 'yes_no' ? (flag ? 'present' : 'absent') : 'dur_lt_1d' });
    if (flag) break;
  }
  if (r.state.evidence['headache_thunderclap'] === 'present' || r.state.evidence['confusion'] === 'present') {
    assert.ok(['emergency', 'emergency_ambulance'].includes(r.triage.level));
    assert.equal(r.should_stop, true);
  }
});

test('state is plain JSON and round-trips', () => {
  const r0 = startInterview({ age: 8, sex: 'male', text: 'earache and fever' });
  const s = serializeState(r0.state);
  const back = deserializeState(s);
  assert.deepEqual(back, r0.state);
  const q = r0.question!;
  const a1 = answer(back, { question_id: q.id, value: q.type === 'yes_no' ? 'present' : q.options![0]!.id });
  const a2 = answer(JSON.parse(s), { question_id: q.id, value: q.type === 'yes_no' ? 'present' : q.options![0]!.id });
  assert.deepEqual(a1.conditions, a2.conditions);
  assert.deepEqual(resume(a1.state).question, a1.question);
});

test('typed errors: bad age, bad sex, empty input, contradictory input', () => {
  assert.equal(
    code(() => startInterview({ age: -1, sex: 'male', symptoms: ['cough'] })),
    'INVALID_AGE',
  );
  assert.equal(
    code(() => startInterview({ age: 130, sex: 'male', symptoms: ['cough'] })),
    'INVALID_AGE',
  );
  assert.equal(
    code(() => startInterview({ age: NaN, sex: 'male', symptoms: ['cough'] })),
    'INVALID_AGE',
  );
  assert.equal(
    code(() => startInterview({ age: '30' as unknown as number, sex: 'male', symptoms: ['cough'] })),
    'INVALID_AGE',
  );
  assert.equal(
    code(() => startInterview({ age: 30, sex: 'robot', symptoms: ['cough'] })),
    'INVALID_SEX',
  );
  assert.equal(
    code(() => startInterview({ age: 30, sex: 'male', symptoms: [] })),
    'EMPTY_INPUT',
  );
  assert.equal(
    code(() => startInterview({ age: 30, sex: 'male', symptoms: ['  '], text: '   ' })),
    'EMPTY_INPUT',
  );
  // Plain language never gets a 422: the later statement wins and the reply shows what was read.
  const later = startInterview({ age: 30, sex: 'male', symptoms: ['fever'], text: 'no fever now' });
  assert.equal(later.state.evidence['fever'], 'absent');
  assert.equal(
    code(() => startInterview({ age: 30, sex: 'male', symptoms: ['cough'], evidence: { chest_pain_crushing: 'present', chest_pain: 'absent' } })),
    'CONTRADICTORY_INPUT',
  );
  assert.equal(
    code(() => startInterview({ age: 30, sex: 'male', symptoms: ['cough'], pregnant: true })),
    'CONTRADICTORY_INPUT',
  );
  assert.equal(
    code(() => startInterview({ age: 30, sex: 'male', symptoms: 'cough' as unknown as string[] })),
    'INVALID_INPUT',
  );
});

test('unrecognised symptoms are reported with suggestions, not an error', () => {
  const r = startInterview({ age: 30, sex: 'female', symptoms: ['zorbleflux', 'cough'] });
  assert.equal(r.unrecognised[0]?.text, 'zorbleflux');
  assert.ok(r.conditions.length > 0);
  const only = startInterview({ age: 30, sex: 'female', symptoms: ['zorbleflux'] });
  assert.equal(only.unrecognised.length, 1);
  assert.ok(only.question !== null || only.should_stop);
});

test('typed errors: question not asked, invalid value, contradictory re-answer, finished', () => {
  const r0 = startInterview({ age: 30, sex: 'female', symptoms: ['cough', 'runny nose'] });
  const q = r0.question!;
  const other = q.id === 'wheeze' ? 'sneezing' : 'wheeze';
  assert.equal(
    code(() => answer(r0.state, { question_id: other, value: 'present' })),
    'QUESTION_NOT_ASKED',
  );
  assert.equal(
    code(() => answer(r0.state, { question_id: q.id, value: 'maybe' })),
    'INVALID_ANSWER_VALUE',
  );
  const yes = q.type === 'yes_no' ? 'present' : q.options![0]!.id;
  const no = q.type === 'yes_no' ? 'absent' : q.options![1]!.id;
  const r1 = answer(r0.state, { question_id: q.id, value: yes });
  // Same answer again: idempotent. Different: contradiction.
  assert.deepEqual(answer(r1.state, { question_id: q.id, value: yes }).conditions, r1.conditions);
  assert.equal(
    code(() => answer(r1.state, { question_id: q.id, value: no })),
    'CONTRADICTORY_ANSWER',
  );
  const { r } = run(r1, (id) => (id === 'duration' ? 'dur_1_7d' : 'absent'));
  const feverAnswer = r.state.answers.find((a) => a.question_id === 'fever')?.value;
  const opposite = feverAnswer === 'present' ? 'absent' : 'present';
  assert.equal(
    code(() => answer(r.state, { question_id: 'fever', value: opposite })),
    feverAnswer ? 'CONTRADICTORY_ANSWER' : 'INTERVIEW_FINISHED',
  );
  assert.equal(
    code(() => deserializeState('{not json')),
    'INVALID_STATE',
  );
  assert.equal(
    code(() => deserializeState({ v: 99 })),
    'INVALID_STATE',
  );
});

test('errors carry an HTTP status for the API layer', () => {
  try {
    startInterview({ age: 200, sex: 'male', symptoms: ['cough'] });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof SymptomCheckerError);
    assert.equal(e.status, 422);
    assert.equal(e.path, 'age');
  }
});

test('emergency detector injection adds a text red flag', () => {
  const r = startInterview(
    { age: 50, sex: 'male', text: 'my chest hurts' },
    {
      detectEmergency: () => ({ is_emergency: true, level: 'emergency_ambulance', matched: [{ category: 'cardiac', phrase: 'chest hurts' }], advice: 'call' }),
    },
  );
  assert.equal(r.triage.level, 'emergency_ambulance');
  assert.ok(r.triage.red_flags.some((f) => f.source === 'text'));
  const broken = startInterview(
    { age: 50, sex: 'male', text: 'cough' },
    {
      detectEmergency: () => {
        throw new Error('x');
      },
    },
  );
  assert.ok(broken.conditions.length > 0);
});
