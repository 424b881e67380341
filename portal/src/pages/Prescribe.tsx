import { useRef, useState } from 'preact/hooks';
import { api, needsStepUp, networkText, problemText, type Schemas } from '../api/client';
import { StepUp } from '../StepUp';
import { Alert } from '../ui';

type Prescription = Schemas['Prescription'];
type Item = { drug: string; strength: string; dose: string; route: string; frequency: string; duration: string; instructions: string };
const EMPTY: Item = { drug: '', strength: '', dose: '', route: 'oral', frequency: '', duration: '', instructions: '' };
type Warnings = { detail: string; messages: string[] };

/** A prescription-warnings 422 (allergy or duplicate conflicts): each conflict, in the API's words. */
function warningsOf(problem: unknown, status: number): Warnings | null {
  const p = problem as Partial<Schemas['Problem']> | undefined;
  if (status !== 422 || !p?.type?.endsWith('/prescription-warnings')) return null;
  return { detail: p.detail ?? '', messages: (p.errors ?? []).map((e) => e.message) };
}

/**
 * Doctors, on a patient's chart: write a prescription (one medicine per prescription here). The
 * API checks it against the patient's recorded allergies and active prescriptions; a conflict is
 * a 422 listing each warning, shown before anything is prescribed, and "Prescribe anyway" sends
 * the same prescription with `confirm_warnings` (the override is audited). Prescribing needs a
 * recent second factor: the step-up form appears and the prescription is sent again after it.
 */
export function Prescribe(props: { patientId: string; patientName: string; onCreated: (p: Prescription) => void }) {
  const [item, setItem] = useState<Item>(EMPTY);
  const [notes, setNotes] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<Warnings | null>(null);
  const [stepUp, setStepUp] = useState<boolean | null>(null);
  const warningsRef = useRef<HTMLDivElement>(null);
  const set = (field: keyof Item) => (e: Event) => {
    setItem({ ...item, [field]: (e.currentTarget as HTMLInputElement).value });
    setWarnings(null);
  };

  async function send(confirm: boolean) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const days = Number(item.duration);
      const {
        data,
        error: problem,
        response,
      } = await api.POST('/api/v1/prescriptions', {
        body: {
          patient_id: props.patientId,
          items: [
            {
              drug: item.drug.trim(),
              dose: item.dose.trim(),
              frequency: item.frequency.trim(),
              ...(item.strength.trim() && { strength: item.strength.trim() }),
              ...(item.route.trim() && { route: item.route.trim() }),
              ...(item.duration.trim() && Number.isInteger(days) && days > 0 && { duration_days: days }),
              ...(item.instructions.trim() && { instructions: item.instructions.trim() }),
            },
          ],
          ...(notes.trim() && { notes: notes.trim() }),
          ...(confirm && { confirm_warnings: true }),
        },
      });
      if (data) {
        setItem(EMPTY);
        setNotes('');
        setWarnings(null);
        setStepUp(null);
        props.onCreated(data);
        return;
      }
      if (needsStepUp(response)) return setStepUp(confirm);
      setStepUp(null);
      const found = warningsOf(problem, response.status);
      if (found) {
        setWarnings(found);
        // Focus moves to the warnings so a screen-reader or keyboard user meets them first.
        setTimeout(() => warningsRef.current?.focus(), 0);
        return;
      }
      setError(problemText(problem, 'The prescription was not saved.'));
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  function submit(event: Event) {
    event.preventDefault();
    void send(false);
  }

  return (
    <section aria-labelledby="prescribe">
      <h2 id="prescribe">Write a prescription</h2>
      <form class="form" onSubmit={submit}>
        <label for="rx-drug">Medicine</label>
        <input id="rx-drug" required maxLength={200} value={item.drug} onInput={set('drug')} />
        <label for="rx-strength">Strength (optional)</label>
        <input id="rx-strength" maxLength={100} value={item.strength} onInput={set('strength')} />
        <label for="rx-dose">Dose</label>
        <input id="rx-dose" required maxLength={100} value={item.dose} onInput={set('dose')} />
        <label for="rx-route">Route</label>
        <select id="rx-route" value={item.route} onChange={set('route')}>
          {['oral', 'topical', 'inhaled', 'subcutaneous', 'intramuscular', 'intravenous', 'rectal', 'other'].map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <label for="rx-frequency">How often</label>
        <input id="rx-frequency" required maxLength={100} value={item.frequency} onInput={set('frequency')} />
        <label for="rx-duration">For how many days (optional)</label>
        <input id="rx-duration" type="number" min={1} max={3650} inputMode="numeric" value={item.duration} onInput={set('duration')} />
        <label for="rx-instructions">Instructions for the patient (optional)</label>
        <input id="rx-instructions" maxLength={500} value={item.instructions} onInput={set('instructions')} />
        <label for="rx-notes">Prescription notes (optional)</label>
        <textarea id="rx-notes" rows={2} maxLength={2000} value={notes} onInput={(e) => setNotes(e.currentTarget.value)} />
        <Alert message={error} />
        {!warnings && (
          <button type="submit" disabled={busy}>
            Prescribe
          </button>
        )}
      </form>
      {warnings && (
        <div class="warnings" tabIndex={-1} ref={warningsRef}>
          <div role="alert">
            <h3>Check before prescribing</h3>
            <p>{warnings.detail}</p>
            <ul>
              {warnings.messages.map((m) => (
                <li key={m}>{m}</li>
              ))}
            </ul>
          </div>
          <div class="actions">
            <button type="button" disabled={busy} onClick={() => void send(true)}>
              Prescribe anyway
            </button>
            <button type="button" class="secondary" onClick={() => setWarnings(null)}>
              Change the prescription
            </button>
          </div>
        </div>
      )}
      {stepUp !== null && <StepUp action={`prescribe for ${props.patientName}`} onDone={() => void send(stepUp)} onCancel={() => setStepUp(null)} />}
    </section>
  );
}
