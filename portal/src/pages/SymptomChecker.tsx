import { useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas } from '../api/client';
import { linkClick } from '../router';
import { Alert, Page } from '../ui';

type Interview = Schemas['SymptomInterview'];
type Level = Interview['triage']['level'];

/** What each triage level asks the patient to do, in words (docs/API.md §7.1, the Infermedica scale). */
const ADVICE: Record<Level, { title: string; text: string; urgent: boolean }> = {
  emergency_ambulance: { title: 'Call an ambulance now', text: 'Call your local emergency number (999, 112 or 911) now. Do not drive yourself.', urgent: true },
  emergency: {
    title: 'Go to an emergency department now',
    text: 'Go to the nearest emergency department now, or call your local emergency number.',
    urgent: true,
  },
  consultation_24: { title: 'See a doctor within 24 hours', text: 'Book an urgent appointment or contact your doctor today.', urgent: false },
  consultation: { title: 'Book an appointment with a doctor', text: 'This is not urgent, but a doctor should see you.', urgent: false },
  self_care: { title: 'Self-care is likely enough', text: 'See a doctor if it gets worse, does not improve, or you are worried.', urgent: false },
};

/**
 * The symptom checker interview (POST /ml/symptom-checker/start, /continue): the patient describes
 * the problem in their own words, answers the questions, and sees the triage advice. An emergency —
 * a red flag at any point — is shown at once as an alert at the top, whatever else is on screen.
 */
export function SymptomChecker() {
  const [age, setAge] = useState('');
  const [sex, setSex] = useState('');
  const [text, setText] = useState('');
  const [interview, setInterview] = useState<Interview | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function start(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const { data, error: problem } = await api.POST('/api/v1/ml/symptom-checker/start', {
        body: { text: text.trim(), ...(age && { age: Number(age) }), ...(sex && { sex: sex as 'male' | 'female' }) },
      });
      if (!data) return setError(problemText(problem, 'The symptom checker could not start.'));
      setInterview(data);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  async function answer(value: string) {
    if (busy || !interview?.question) return;
    setBusy(true);
    setError(null);
    try {
      const { data, error: problem } = await api.POST('/api/v1/ml/symptom-checker/continue', {
        body: { session_id: interview.session_id, answer: { question_id: interview.question.id, value } },
      });
      if (!data) return setError(problemText(problem, 'Your answer could not be saved.'));
      setInterview(data);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  const level = interview?.triage.level;
  const advice = level ? ADVICE[level] : null;
  const emergency = Boolean(advice?.urgent);
  const finished = interview && (interview.should_stop || !interview.question);

  return (
    <Page title="Symptom checker">
      {interview && emergency && advice && (
        <div class="emergency" role="alert">
          <h2>{advice.title}</h2>
          <p>{advice.text}</p>
          {interview.triage.red_flags.length > 0 && <p>Warning signs: {interview.triage.red_flags.map((f) => f.name).join(', ')}.</p>}
        </div>
      )}
      {!interview && (
        <>
          <p>Describe what is wrong in your own words. You will be asked a few questions, then told how urgently to get care.</p>
          <p class="notice">If you have chest pain, trouble breathing, signs of a stroke or severe bleeding, call your local emergency number now.</p>
          <form class="form" onSubmit={start}>
            <label for="symptoms">What are your symptoms?</label>
            <textarea
              id="symptoms"
              rows={4}
              maxLength={2000}
              required
              aria-describedby="symptoms-hint"
              value={text}
              onInput={(e) => setText(e.currentTarget.value)}
            />
            <p id="symptoms-hint" class="hint">
              For example: "a sore throat and a mild fever since yesterday, no cough".
            </p>
            <label for="age">Age in years (optional)</label>
            <input id="age" type="number" min={0} max={120} inputMode="numeric" value={age} onInput={(e) => setAge(e.currentTarget.value)} />
            <label for="sex">Sex (optional)</label>
            <select id="sex" value={sex} onChange={(e) => setSex(e.currentTarget.value)}>
              <option value="">As in my profile</option>
              <option value="female">Female</option>
              <option value="male">Male</option>
            </select>
            <Alert message={error} />
            <button type="submit" disabled={busy || !text.trim()}>
              Start
            </button>
          </form>
        </>
      )}
      {interview && (
        <>
          {interview.understood.length > 0 && (
            <p>
              <strong>What we understood:</strong> {interview.understood.map((u) => (u.state === 'absent' ? `no ${u.name.toLowerCase()}` : u.name)).join(', ')}.
            </p>
          )}
          {interview.unrecognised.length > 0 && <p class="muted">Not understood: {interview.unrecognised.map((u) => `"${u.text}"`).join(', ')}.</p>}
          {!finished && interview.question && (
            <fieldset class="question" disabled={busy}>
              <legend>
                Question {interview.questions_asked + 1}: {interview.question.text}
              </legend>
              <div class="actions">
                {interview.question.type === 'yes_no' ? (
                  <>
                    <button type="button" onClick={() => void answer('present')}>
                      Yes
                    </button>
                    <button type="button" onClick={() => void answer('absent')}>
                      No
                    </button>
                    <button type="button" class="secondary" onClick={() => void answer('unknown')}>
                      Don't know
                    </button>
                  </>
                ) : (
                  <>
                    {(interview.question.options ?? []).map((option) => (
                      <button key={option.id} type="button" onClick={() => void answer(option.id)}>
                        {option.label}
                      </button>
                    ))}
                    <button type="button" class="secondary" onClick={() => void answer('unknown')}>
                      Don't know
                    </button>
                  </>
                )}
              </div>
            </fieldset>
          )}
          <Alert message={error} />
          {finished && advice && (
            <section aria-labelledby="advice" class={`card advice ${emergency ? 'urgent' : ''}`}>
              <h2 id="advice">Advice: {advice.title}</h2>
              {!emergency && <p>{advice.text}</p>}
              <p>{interview.triage.reason}</p>
              {interview.conditions.length > 0 && (
                <>
                  <h3>Possible causes</h3>
                  <ul>
                    {interview.conditions.slice(0, 5).map((c) => (
                      <li key={c.id}>
                        {c.name} ({Math.round(c.probability * 100)}%)
                      </li>
                    ))}
                  </ul>
                </>
              )}
              {!emergency && (
                <p>
                  <a href="/doctors" onClick={linkClick}>
                    Find a doctor and book
                  </a>
                </p>
              )}
            </section>
          )}
          {!finished && advice && !emergency && <p class="muted">Advice so far: {advice.title.toLowerCase()}.</p>}
          <p class="disclaimer">
            <strong>{interview.disclaimer}</strong>
          </p>
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setInterview(null);
              setText('');
              setError(null);
            }}
          >
            Start again
          </button>
        </>
      )}
      {!interview && (
        <p class="disclaimer">This is not a diagnosis: the symptom checker gives an automated estimate and cannot replace a health professional.</p>
      )}
    </Page>
  );
}
