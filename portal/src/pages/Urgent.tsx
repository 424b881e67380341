import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import { formatDate, formatDateTime, validTimeZone } from '../format';
import { linkClick } from '../router';
import { refreshUnread } from '../unread';
import { Alert, Loading, Page, Status } from '../ui';

/** Emergencies older than this are no longer "urgent" here (the assistant's list uses the same week). */
const EMERGENCY_DAYS = 7;
/** How many of the newest lab reports are looked through for abnormal values. */
const REPORTS_SCANNED = 50;
/** Abnormal reports whose values are listed (each is one more request). */
const REPORTS_DETAILED = 15;

type Emergency = { patientId: string; name: string; latest: string; count: number; unread: string[]; roomId: string | null };
type AbnormalReport = { id: string; patientId: string; collectedAt: string; abnormal: Schemas['Observation'][]; critical: boolean };

/**
 * Clinicians: patients needing attention — emergencies flagged in the last week (a patient's
 * chat message, symptom-checker interview or assistant turn: the API alerts each doctor in the
 * patient's care team with an `emergency_alert` notification, docs/API.md §5) and lab reports
 * with abnormal values, critical first. Built from what the API already gives this clinician
 * (their notifications, the reports they may see), so it shows nothing they could not open.
 * "Mark as seen" marks that patient's alerts read; the patient stays listed for the week.
 */
export function Urgent(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const [emergencies, setEmergencies] = useState<Emergency[] | null>(null);
  const [labs, setLabs] = useState<AbnormalReport[] | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function loadEmergencies(): Promise<Record<string, string>> {
    const since = new Date(Date.now() - EMERGENCY_DAYS * 86_400_000).toISOString();
    const byPatient = new Map<string, Emergency>();
    let cursor: string | null = null;
    // Notifications come newest first: page until the week is covered (or 10 pages at most).
    for (let page = 0; page < 10; page++) {
      const { data, error: problem }: { data?: { items: Schemas['Notification'][]; next_cursor: string | null }; error?: unknown } = await api.GET(
        '/api/v1/notifications',
        { params: { query: { limit: 100, ...(cursor === null ? {} : { cursor }) } } },
      );
      if (!data) throw new Error(problemText(problem, 'Emergency alerts could not be loaded.'));
      for (const n of data.items) {
        if (n.type !== 'emergency_alert' || n.created_at < since || typeof n.data.patient_id !== 'string') continue;
        const id = n.data.patient_id;
        const row = byPatient.get(id) ?? {
          patientId: id,
          name: typeof n.data.patient_name === 'string' ? n.data.patient_name : 'A patient',
          latest: n.created_at,
          count: 0,
          unread: [],
          roomId: typeof n.data.room_id === 'string' ? n.data.room_id : null,
        };
        row.count += 1;
        if (!n.read) row.unread.push(n.id);
        byPatient.set(id, row);
      }
      cursor = data.next_cursor;
      if (!cursor || (data.items.at(-1)?.created_at ?? '') < since) break;
    }
    const rows = [...byPatient.values()].sort((a, b) => Number(b.unread.length > 0) - Number(a.unread.length > 0) || b.latest.localeCompare(a.latest));
    setEmergencies(rows);
    return Object.fromEntries(rows.map((r) => [r.patientId, r.name]));
  }

  async function loadLabs(known: Record<string, string>) {
    const { data, error: problem } = await api.GET('/api/v1/reports', { params: { query: { limit: REPORTS_SCANNED } } });
    if (!data) throw new Error(problemText(problem, 'Lab reports could not be loaded.'));
    const abnormal = data.items
      .filter((r) => r.abnormal_count > 0)
      .sort((a, b) => b.collected_at.localeCompare(a.collected_at))
      .slice(0, REPORTS_DETAILED);
    const details = await Promise.all(abnormal.map((r) => api.GET('/api/v1/reports/{id}', { params: { path: { id: r.id } } })));
    const rows: AbnormalReport[] = [];
    for (const d of details) {
      if (!d.data) continue;
      const values = d.data.observations.filter((o) => o.flag && o.flag !== 'normal');
      rows.push({
        id: d.data.id,
        patientId: d.data.patient_id,
        collectedAt: d.data.collected_at,
        abnormal: values,
        critical: values.some((o) => o.flag === 'critical'),
      });
    }
    rows.sort((a, b) => Number(b.critical) - Number(a.critical) || b.collectedAt.localeCompare(a.collectedAt));
    // Names of patients not already named by an alert: from the chart (an audited read, as opening it).
    const missing = [...new Set(rows.map((r) => r.patientId))].filter((id) => !known[id]);
    const charts = await Promise.all(missing.map((id) => api.GET('/api/v1/patients/{id}', { params: { path: { id } } })));
    const more: Record<string, string> = {};
    charts.forEach((c, i) => {
      if (c.data) more[missing[i]!] = c.data.full_name;
    });
    setNames({ ...known, ...more });
    setLabs(rows);
  }

  useEffect(() => {
    (async () => {
      try {
        const known = props.user.role === 'doctor' ? await loadEmergencies() : {};
        await loadLabs(known);
      } catch (err) {
        setError(err instanceof TypeError ? networkText(err) : (err as Error).message);
      }
    })();
  }, []);

  async function markSeen(row: Emergency) {
    if (busy) return;
    setBusy(row.patientId);
    setError(null);
    setStatus(null);
    try {
      for (const id of row.unread) {
        const { error: problem, response } = await api.POST('/api/v1/notifications/{id}/read', { params: { path: { id } } });
        if (!response.ok) return setError(problemText(problem, 'The alert could not be marked as seen.'));
      }
      setEmergencies((list) => list?.map((r) => (r.patientId === row.patientId ? { ...r, unread: [] } : r)) ?? list);
      setStatus(`The emergency alerts about ${row.name} are marked as seen.`);
      void refreshUnread();
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(null);
    }
  }

  const loading = (labs === null || (props.user.role === 'doctor' && emergencies === null)) && !error;
  return (
    <Page title="Urgent">
      <p class="muted">
        Patients in your care who may need attention now. Call the patient or open their chart; this list does not replace clinical judgement.
      </p>
      <Alert message={error} />
      <Status message={status} />
      {loading && <Loading what="patients needing attention" />}
      {props.user.role === 'doctor' && emergencies && (
        <section aria-labelledby="emergencies">
          <h2 id="emergencies">Emergencies in the last {EMERGENCY_DAYS} days</h2>
          {emergencies.length === 0 && <p>No emergencies reported.</p>}
          {emergencies.length > 0 && (
            <ul class="cards">
              {emergencies.map((row) => (
                <li key={row.patientId} class={`card${row.unread.length ? ' urgent' : ''}`}>
                  <h3>
                    <a href={`/patients/${row.patientId}`} onClick={linkClick}>
                      {row.name}
                    </a>
                    {row.unread.length > 0 && <span class="badge">new</span>}
                  </h3>
                  <p>
                    {row.count === 1 ? 'A possible emergency' : `${row.count} possible emergencies`}, last {formatDateTime(row.latest, timeZone)}
                  </p>
                  <div class="actions">
                    {row.roomId && (
                      <a href={`/messages/${row.roomId}`} onClick={linkClick}>
                        Open the conversation with {row.name}
                      </a>
                    )}
                    {row.unread.length > 0 && (
                      <button type="button" class="secondary" disabled={busy === row.patientId} onClick={() => void markSeen(row)}>
                        Mark as seen<span class="sr-only"> (alerts about {row.name})</span>
                      </button>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      {labs && (
        <section aria-labelledby="abnormal-labs">
          <h2 id="abnormal-labs">Abnormal lab results</h2>
          {labs.length === 0 && <p>No abnormal lab results in the latest reports.</p>}
          {labs.length > 0 && (
            <ul class="cards">
              {labs.map((r) => (
                <li key={r.id} class={`card${r.critical ? ' urgent' : ''}`}>
                  <h3>
                    <a href={`/patients/${r.patientId}`} onClick={linkClick}>
                      {names[r.patientId] ?? 'A patient'}
                    </a>
                    {r.critical && <span class="badge">critical</span>}
                  </h3>
                  <p class="muted">Collected {formatDate(r.collectedAt, timeZone)}</p>
                  <p>
                    {r.abnormal
                      .map((o) => `${o.name} ${o.value}${o.unit ? ` ${o.unit}` : ''} (${o.flag}${o.reference_range ? `, range ${o.reference_range}` : ''})`)
                      .join('; ')}
                  </p>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </Page>
  );
}
