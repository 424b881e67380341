import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';

const built = await build({ after });
const { app } = built;
const patient = await createUser(built, 'patient');
const other = await createUser(built, 'patient');
const admin = await createUser(built, 'admin');

function start(auth: Record<string, string>, payload: unknown) {
  return app.inject({ method: 'POST', url: '/api/v1/ml/symptom-checker/start', headers: auth, payload: payload as object });
}
function cont(auth: Record<string, string>, payload: unknown) {
  return app.inject({ method: 'POST', url: '/api/v1/ml/symptom-checker/continue', headers: auth, payload: payload as object });
}

describe('symptom checker over HTTP', () => {
  it('runs an interview to the end: one question at a time, never repeated, with a disclaimer', async () => {
    const first = await start(patient.auth, { age: 30, sex: 'female', text: 'I have a sore throat and a runny nose, no fever', symptoms: ['sneezing'] });
    assert.equal(first.statusCode, 201);
    let body = first.json();
    assert.match(body.session_id, /^[0-9a-f-]{36}$/);
    assert.ok(body.disclaimer.includes('not a diagnosis'));
    assert.ok(
      body.recognised.some((r: { id: string; state: string }) => r.state === 'absent'),
      '"no fever" is recorded as absent',
    );
    assert.ok(['self_care', 'consultation', 'consultation_24'].includes(body.triage.level));
    const asked = new Set<string>();
    let steps = 0;
    while (!body.should_stop && body.question) {
      assert.ok(!asked.has(body.question.id), `question ${body.question.id} asked twice`);
      asked.add(body.question.id);
      const value = body.question.type === 'yes_no' ? 'absent' : body.question.options[0].id;
      const res = await cont(patient.auth, { session_id: body.session_id, answer: { question_id: body.question.id, value } });
      assert.equal(res.statusCode, 200, res.body);
      body = res.json();
      steps++;
    }
    assert.ok(steps <= 27, `${steps} questions`);
    assert.equal(body.question, null);
    assert.ok(body.conditions.length > 0 && body.conditions.length <= 10);
    // A finished interview takes no more answers.
    const late = await cont(patient.auth, { session_id: body.session_id, answer: { question_id: 'fever', value: 'present' } });
    assert.equal(late.statusCode, 409);
  });

  it('sets an emergency level at once for red flags, and says why', async () => {
    const res = await start(patient.auth, { age: 62, sex: 'male', text: 'crushing chest pain spreading to my left arm, sweating a lot' });
    const body = res.json();
    assert.ok(['emergency', 'emergency_ambulance'].includes(body.triage.level), body.triage.level);
    assert.ok(body.triage.red_flags.length > 0);
    assert.ok(body.triage.reason.length > 0);
  });

  it('reads ages, pregnancy, temperatures and durations from the text, shows them, and never refuses plain language', async () => {
    const res = await start(patient.auth, { age: 30, sex: 'female', text: 'my 2 month old has a temp of 38.4 since yesterday' });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.ok(Math.abs(body.quantities.age_years - 0.167) < 0.01, JSON.stringify(body.quantities));
    assert.equal(body.quantities.temperature_c, 38.4);
    assert.equal(body.quantities.duration_days, 1);
    // NICE NG143: any fever under 3 months is red.
    assert.ok(['emergency', 'emergency_ambulance'].includes(body.triage.level), body.triage.level);
    const contradictory = await start(patient.auth, { age: 30, sex: 'male', symptoms: ['fever'], text: 'actually no fever now, just a cough' });
    assert.equal(contradictory.statusCode, 201, contradictory.body);
    const fever = contradictory.json().understood.filter((u: { id: string }) => u.id === 'fever');
    assert.equal(fever.length, 1, 'each finding once, with its final state');
    assert.equal(fever[0].state, 'absent');
  });

  it('takes age and sex from the patient profile when the request leaves them out, and says what is missing otherwise', async () => {
    const missing = await start(patient.auth, { text: 'sore throat for two days' });
    assert.equal(missing.statusCode, 422, missing.body);
    assert.match(missing.json().detail ?? missing.json().title, /date of birth|profile/);
    const put = await app.inject({ method: 'PUT', url: '/api/v1/patients/me', headers: patient.auth, payload: { date_of_birth: '1990-05-01', sex: 'female' } });
    assert.ok(put.statusCode < 300, put.body);
    const ok = await start(patient.auth, { text: 'sore throat for two days' });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.ok(ok.json().quantities.age_years >= 36);
  });

  it('answers unknown symptoms with suggestions instead of failing', async () => {
    const res = await start(patient.auth, { age: 40, sex: 'male', symptoms: ['headach', 'blorptitis'] });
    assert.equal(res.statusCode, 201);
    const body = res.json();
    assert.ok(body.unrecognised.some((u: { text: string }) => u.text.includes('blorptitis')));
  });

  it('rejects bad input with clear 4xx problems', async () => {
    for (const payload of [
      { age: 150, sex: 'female', symptoms: ['cough'] },
      { age: -1, sex: 'female', symptoms: ['cough'] },
      { age: 30, sex: 'female', symptoms: [], text: '' },
      { age: 30, sex: 'robot', symptoms: ['cough'] },
      { age: 30, sex: 'male', symptoms: ['cough'], pregnant: true },
    ]) {
      const res = await start(patient.auth, payload);
      assert.equal(res.statusCode, 422, JSON.stringify(payload));
      assert.match(String(res.headers['content-type']), /problem\+json/);
    }
    const session = (await start(patient.auth, { age: 30, sex: 'female', symptoms: ['cough'] })).json();
    const notAsked = await cont(patient.auth, { session_id: session.session_id, answer: { question_id: 'definitely_not_asked', value: 'present' } });
    assert.equal(notAsked.statusCode, 409);
    if (session.question) {
      const badValue = await cont(patient.auth, { session_id: session.session_id, answer: { question_id: session.question.id, value: 'maybe-ish' } });
      assert.equal(badValue.statusCode, 422);
    }
  });

  it('keeps sessions private: another user, or an unknown id, gets 404', async () => {
    const session = (await start(patient.auth, { age: 30, sex: 'female', symptoms: ['cough'] })).json();
    const answerQ = { session_id: session.session_id, answer: { question_id: session.question?.id ?? 'x', value: 'absent' } };
    assert.equal((await cont(other.auth, answerQ)).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/ml/symptom-checker/sessions/${session.session_id}`, headers: other.auth })).statusCode, 404);
    assert.equal((await cont(patient.auth, { ...answerQ, session_id: '00000000-0000-4000-8000-000000000000' })).statusCode, 404);
    assert.equal(
      (await app.inject({ method: 'GET', url: `/api/v1/ml/symptom-checker/sessions/${session.session_id}`, headers: patient.auth })).statusCode,
      200,
    );
    assert.equal(
      (await app.inject({ method: 'POST', url: '/api/v1/ml/symptom-checker/start', payload: { age: 30, sex: 'female', symptoms: ['cough'] } })).statusCode,
      401,
    );
  });

  it('expired sessions are gone (404)', async () => {
    const session = (await start(patient.auth, { age: 30, sex: 'female', symptoms: ['cough'] })).json();
    await built.ctx.db
      .updateTable('symptom_sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', session.session_id)
      .execute();
    const res = await cont(patient.auth, { session_id: session.session_id, answer: { question_id: session.question?.id ?? 'x', value: 'absent' } });
    assert.equal(res.statusCode, 404);
  });

  it('lists own history only, newest first, with pagination', async () => {
    const fresh = await createUser(built, 'patient');
    for (const symptom of ['cough', 'headache', 'rash']) await start(fresh.auth, { age: 25, sex: 'male', symptoms: [symptom] });
    const page1 = (await app.inject({ method: 'GET', url: '/api/v1/ml/symptom-checker/history?limit=2', headers: fresh.auth })).json();
    assert.equal(page1.items.length, 2);
    const page2 = (
      await app.inject({ method: 'GET', url: `/api/v1/ml/symptom-checker/history?limit=2&cursor=${page1.next_cursor}`, headers: fresh.auth })
    ).json();
    assert.equal(page2.items.length, 1);
    assert.equal(page2.next_cursor, null);
    const ids = new Set([...page1.items, ...page2.items].map((i: { session_id: string }) => i.session_id));
    assert.equal(ids.size, 3);
    const otherHistory = (await app.inject({ method: 'GET', url: '/api/v1/ml/symptom-checker/history', headers: other.auth })).json();
    assert.ok(otherHistory.items.every((i: { session_id: string }) => !ids.has(i.session_id)));
  });

  it('takes feedback once per session; the learning job applies it as a reviewable, bounded model version', async () => {
    const voter = await createUser(built, 'patient');
    const session = (await start(voter.auth, { age: 30, sex: 'female', symptoms: ['cough', 'sore throat'] })).json();
    const conditions = (await app.inject({ method: 'GET', url: '/api/v1/ml/symptom-checker/conditions' })).json();
    assert.ok(conditions.counts.conditions >= 120);
    const actual = conditions.conditions.find((c: { triage: string }) => c.triage === 'self_care').id;

    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/ml/symptom-checker/feedback',
          headers: voter.auth,
          payload: { session_id: session.session_id, helpful: true, actual_condition: 'not_a_condition' },
        })
      ).statusCode,
      422,
    );
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/ml/symptom-checker/feedback',
          headers: other.auth,
          payload: { session_id: session.session_id, helpful: true },
        })
      ).statusCode,
      404,
    );
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/ml/symptom-checker/feedback',
      headers: voter.auth,
      payload: { session_id: session.session_id, helpful: true, actual_condition: actual, rating: 4 },
    });
    assert.equal(ok.statusCode, 201);
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/ml/symptom-checker/feedback',
          headers: voter.auth,
          payload: { session_id: session.session_id, helpful: false },
        })
      ).statusCode,
      409,
    );

    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/ml/symptom-checker/model', headers: voter.auth })).statusCode, 403);
    const before = (await app.inject({ method: 'GET', url: '/api/v1/ml/symptom-checker/model', headers: admin.auth })).json();
    assert.ok(before.pending_feedback >= 1);
    const applied = (await app.inject({ method: 'POST', url: '/api/v1/ml/symptom-checker/model/apply', headers: admin.auth })).json();
    assert.ok(applied.version_id);
    assert.ok(applied.feedback_applied >= 1);
    const prior = applied.summary.priors.find((p: { condition: string }) => p.condition === actual);
    assert.ok(prior, 'the voted condition moved');
    assert.ok(prior.factor > 1 && prior.factor < 1.1, `one vote moves a prior only a little (factor ${prior.factor})`);
    const after = (await app.inject({ method: 'GET', url: '/api/v1/ml/symptom-checker/model', headers: admin.auth })).json();
    assert.equal(after.active_version, applied.version_id);
    assert.equal(after.pending_feedback, 0);
    // Nothing pending: the job does nothing.
    const again = (await app.inject({ method: 'POST', url: '/api/v1/ml/symptom-checker/model/apply', headers: admin.auth })).json();
    assert.equal(again.version_id, null);
  });
});

describe('emergency check over HTTP', () => {
  it('flags a present emergency (even for someone else) and not a negated or past one', async () => {
    const check = (text: string) => app.inject({ method: 'POST', url: '/api/v1/ml/emergency/check', payload: { text } });
    const dad = (await check("my dad is clutching his chest and can't breathe")).json();
    assert.equal(dad.is_emergency, true);
    assert.equal(dad.level, 'emergency_ambulance');
    assert.ok(dad.matched.length > 0);
    assert.equal((await check('no chest pain, just a mild cough')).json().is_emergency, false);
    assert.equal((await check('my grandmother had a stroke in 2015')).json().is_emergency, false);
    const selfHarm = (await check('i want to kill myself tonight')).json();
    assert.equal(selfHarm.is_emergency, true);
    assert.ok(selfHarm.crisis_resources.length > 0);
  });

  it('validates the body', async () => {
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/ml/emergency/check', payload: { text: '' } })).statusCode, 422);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/ml/emergency/check', payload: { text: 'x'.repeat(20_001) } })).statusCode, 422);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/ml/emergency/check', payload: {} })).statusCode, 422);
  });

  it('alerts the care team (emergency.detected) when a signed-in patient reports one', async () => {
    const seen: unknown[] = [];
    const unsubscribe = built.ctx.events.subscribe('emergency.detected', (payload) => void seen.push(payload));
    await app.inject({
      method: 'POST',
      url: '/api/v1/ml/emergency/check',
      headers: patient.auth,
      payload: { text: 'my face is drooping and my speech is slurred' },
    });
    unsubscribe();
    assert.equal(seen.length, 1);
    assert.equal((seen[0] as { patientId: string }).patientId, patient.id);
  });
});
