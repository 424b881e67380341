import { useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas } from '../api/client';
import { Alert } from '../ui';

type MedicalRecord = Schemas['MedicalRecord'];
const TYPES = [
  { value: 'diagnosis', name: 'Diagnosis' },
  { value: 'consultation', name: 'Consultation' },
  { value: 'note', name: 'Note' },
] as const;
type RecordType = (typeof TYPES)[number]['value'];

/** A validation problem's field errors after its detail ("…: /diagnoses/0/code must match …"). */
function withFieldErrors(problem: unknown, fallback: string): string {
  const errors = (problem as { errors?: { path: string; message: string }[] } | undefined)?.errors ?? [];
  const detail = problemText(problem, fallback);
  if (!errors.length) return detail;
  const names: Record<string, string> = {
    '/title': 'Title',
    '/content': 'Clinical notes',
    '/diagnoses/0/code': 'ICD-10 code',
    '/diagnoses/0/text': 'Diagnosis',
  };
  return `${detail} ${errors.map((e) => `${names[e.path] ?? e.path}: ${e.message}.`).join(' ')}`;
}

/**
 * Doctors, on a patient's chart: write a diagnosis (or a consultation or note) into the record
 * (POST /medical/records, version 1), with an optional ICD-10 code. The request carries an
 * Idempotency-Key, so a double submit or a retry writes one record.
 */
export function Diagnose(props: { patientId: string; onCreated: (r: MedicalRecord) => void }) {
  const [type, setType] = useState<RecordType>('diagnosis');
  const [title, setTitle] = useState('');
  const [content, setContent] = useState('');
  const [diagnosis, setDiagnosis] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [key, setKey] = useState(() => crypto.randomUUID());

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const text = diagnosis.trim();
    try {
      const { data, error: problem } = await api.POST('/api/v1/medical/records', {
        headers: { 'idempotency-key': key },
        body: {
          patient_id: props.patientId,
          record_type: type,
          title: title.trim(),
          content: content.trim(),
          ...(text && { diagnoses: [{ text, ...(code.trim() && { code: code.trim().toUpperCase() }) }] }),
        },
      });
      if (!data) return setError(withFieldErrors(problem, 'The record was not saved.'));
      setTitle('');
      setContent('');
      setDiagnosis('');
      setCode('');
      setKey(crypto.randomUUID());
      props.onCreated(data);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="diagnose">
      <h2 id="diagnose">Add to the record</h2>
      <form class="form" onSubmit={submit}>
        <label for="rec-type">Kind of entry</label>
        <select id="rec-type" value={type} onChange={(e) => setType(e.currentTarget.value as RecordType)}>
          {TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.name}
            </option>
          ))}
        </select>
        <label for="rec-title">Title</label>
        <input id="rec-title" required maxLength={300} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        <label for="rec-content">Clinical notes</label>
        <textarea id="rec-content" rows={4} maxLength={100_000} value={content} onInput={(e) => setContent(e.currentTarget.value)} />
        <label for="rec-diagnosis">Diagnosis (optional)</label>
        <input id="rec-diagnosis" maxLength={500} value={diagnosis} onInput={(e) => setDiagnosis(e.currentTarget.value)} />
        <label for="rec-code">ICD-10 code (optional)</label>
        <input
          id="rec-code"
          maxLength={8}
          spellcheck={false}
          aria-describedby="rec-code-hint"
          disabled={!diagnosis.trim()}
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
        />
        <p id="rec-code-hint" class="hint">
          For example J06.9. Given with a diagnosis.
        </p>
        <Alert message={error} />
        <button type="submit" disabled={busy}>
          Save to the record
        </button>
      </form>
    </section>
  );
}
