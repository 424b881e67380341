import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import { formatDateTime, label, validTimeZone } from '../format';
import { Alert, Loading, Page } from '../ui';

type Entry = Schemas['AuditEntry'];
const ACTIONS = ['read', 'list', 'create', 'update', 'delete', 'upload', 'download', 'status_change', 'grant', 'revoke', 'consent'] as const;
type Action = (typeof ACTIONS)[number];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Admins: the access log of patient data (GET /audit, docs/API.md §8) — who read or changed what,
 * when and from where, newest first, 50 at a time. Filters: action, kind of record, the patient
 * concerned, who acted, and a date range (plain days, read by the API in the admin's time zone). Invalid filters are the API's 422,
 * shown with its detail.
 */
export function Audit(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const [action, setAction] = useState('');
  const [resourceType, setResourceType] = useState('');
  const [patientId, setPatientId] = useState('');
  const [actorId, setActorId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [items, setItems] = useState<Entry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function load(after: string | null = null) {
    if (busy) return;
    setBusy(true);
    setError(null);
    const patient = patientId.trim();
    const actor = actorId.trim();
    if ((patient && !UUID.test(patient)) || (actor && !UUID.test(actor))) {
      setBusy(false);
      return setError('Give a patient or user by their id, for example 7f0c…-…: the id shown in an entry or on the Users page.');
    }
    try {
      const { data, error: problem } = await api.GET('/api/v1/audit', {
        params: {
          query: {
            limit: 50,
            ...(action && { action: action as Action }),
            ...(resourceType.trim() && { resource_type: resourceType.trim() }),
            ...(patient && { patient_id: patient }),
            ...(actor && { actor_id: actor }),
            ...(from && { from }),
            ...(to && { to }),
            ...(after && { cursor: after }),
          },
        },
      });
      if (!data) return setError(problemText(problem, 'The audit log could not be loaded.'));
      setItems((list) => (after && list ? [...list, ...data.items] : data.items));
      setCursor(data.next_cursor);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }
  useEffect(() => {
    void load();
  }, []);

  function submit(event: Event) {
    event.preventDefault();
    void load();
  }

  return (
    <Page title="Audit log">
      <p class="muted">Every read and change of patient data, newest first. Times are in {timeZone.replace(/_/g, ' ')}.</p>
      <form class="form inline" onSubmit={submit} aria-label="Filter the audit log">
        <div>
          <label for="audit-action">Action</label>
          <select id="audit-action" value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            <option value="">Any</option>
            {ACTIONS.map((a) => (
              <option key={a} value={a}>
                {label(a)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="audit-type">Kind of record</label>
          <input id="audit-type" value={resourceType} onInput={(e) => setResourceType(e.currentTarget.value)} aria-describedby="audit-type-hint" />
          <span id="audit-type-hint" class="hint">
            For example prescription, lab_report, medical_record
          </span>
        </div>
        <div>
          <label for="audit-patient">Patient id</label>
          <input id="audit-patient" value={patientId} spellcheck={false} onInput={(e) => setPatientId(e.currentTarget.value)} />
        </div>
        <div>
          <label for="audit-actor">Done by (user id)</label>
          <input id="audit-actor" value={actorId} spellcheck={false} onInput={(e) => setActorId(e.currentTarget.value)} />
        </div>
        <div>
          <label for="audit-from">From</label>
          <input id="audit-from" type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </div>
        <div>
          <label for="audit-to">Until</label>
          <input id="audit-to" type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={busy}>
          Show entries
        </button>
      </form>
      <Alert message={error} />
      {items === null && !error && <Loading what="the audit log" />}
      {items && items.length === 0 && <p>No entries match.</p>}
      {items && items.length > 0 && (
        <ol class="cards audit" aria-label="Audit entries">
          {items.map((e) => (
            <li key={e.id} class="card">
              <p>
                <strong>{e.actor ? `${e.actor.full_name ?? 'Unnamed user'} (${e.actor.role})` : 'The system'}</strong> · {label(e.action)}{' '}
                {e.resource_type.replace(/_/g, ' ')}
                {e.resource_ids && e.resource_ids.length > 1 ? ` (${e.resource_ids.length} records)` : ''}
              </p>
              <p class="muted">
                <time dateTime={e.at}>{formatDateTime(e.at, timeZone)}</time>
                {e.patient_id ? ` · patient ${e.patient_id}` : ''}
                {e.resource_id ? ` · record ${e.resource_id}` : ''}
                {e.ip ? ` · from ${e.ip}` : ''}
              </p>
            </li>
          ))}
        </ol>
      )}
      {cursor && (
        <button type="button" class="secondary" disabled={busy} onClick={() => void load(cursor)}>
          Show older entries
        </button>
      )}
    </Page>
  );
}
