import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import { formatDate, label, validTimeZone } from '../format';
import { Alert, Loading, Page } from '../ui';
import { LabSection, testsOf, type LabTest } from './PatientChart';

type Loaded<T> = { items: T[] | null; error: string | null };

/** Loads one list once (the first page of up to 100 items, newest first). */
function useList<T>(load: () => Promise<{ data?: { items: T[] }; error?: unknown }>, what: string): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ items: null, error: null });
  useEffect(() => {
    load()
      .then(({ data, error }) =>
        setState(data ? { items: data.items, error: null } : { items: null, error: problemText(error, `${what} could not be loaded.`) }),
      )
      .catch((err) => setState({ items: null, error: networkText(err) }));
  }, []);
  return state;
}

export function Records(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const { items, error } = useList<Schemas['MedicalRecord']>(
    () => api.GET('/api/v1/medical/records', { params: { query: { limit: 100, sort: '-created_at' } } }),
    'Your records',
  );
  return (
    <Page title="Records">
      <Alert message={error} />
      {!items && !error && <Loading what="records" />}
      {items && items.length === 0 && <p>No records yet. Your doctors' notes and diagnoses appear here.</p>}
      {items && items.length > 0 && (
        <ul class="cards">
          {items.map((record) => (
            <li key={record.id} class="card">
              <h2 class="h3">{record.title}</h2>
              <p class="muted">
                {label(record.record_type)} · {formatDate(record.created_at, timeZone)}
                {record.version > 1 ? ` · version ${record.version}` : ''}
              </p>
              <p class="pre">{record.content}</p>
              {record.diagnoses.length > 0 && <p>Diagnoses: {record.diagnoses.map((d) => (d.code ? `${d.text} (${d.code})` : d.text)).join('; ')}</p>}
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}

export function Prescriptions(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const { items, error } = useList<Schemas['Prescription']>(
    () => api.GET('/api/v1/prescriptions', { params: { query: { limit: 100 } } }),
    'Your prescriptions',
  );
  return (
    <Page title="Prescriptions">
      <Alert message={error} />
      {!items && !error && <Loading what="prescriptions" />}
      {items && items.length === 0 && <p>No prescriptions yet.</p>}
      {items && items.length > 0 && (
        <ul class="cards">
          {items.map((prescription) => (
            <li key={prescription.id} class="card">
              <h2 class="h3">{prescription.items.map((item) => item.drug).join(', ')}</h2>
              <p class="muted">
                {label(prescription.status)} · {formatDate(prescription.created_at, timeZone)}
              </p>
              <ul>
                {prescription.items.map((item, i) => (
                  <li key={i}>
                    {[item.drug, item.strength, item.dose, item.route, item.frequency, item.duration_days ? `${item.duration_days} days` : null]
                      .filter(Boolean)
                      .join(' · ')}
                    {item.instructions ? ` — ${item.instructions}` : ''}
                  </li>
                ))}
              </ul>
              {prescription.notes && <p>{prescription.notes}</p>}
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}

export function LabReports(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const { items, error } = useList<Schemas['LabReportSummary']>(() => api.GET('/api/v1/reports', { params: { query: { limit: 100 } } }), 'Your lab reports');
  const [tests, setTests] = useState<LabTest[] | null>(null);
  useEffect(() => {
    if (!items) return;
    // The newest 20 reports' results: each test's latest value, and a trend for a repeated one.
    Promise.all(items.slice(0, 20).map((r) => api.GET('/api/v1/reports/{id}', { params: { path: { id: r.id } } })))
      .then((details) => setTests(testsOf(details.flatMap((d) => (d.data ? [d.data] : [])))))
      .catch(() => setTests([]));
  }, [items]);
  return (
    <Page title="Lab reports">
      <Alert message={error} />
      {!items && !error && <Loading what="lab reports" />}
      {items && items.length === 0 && <p>No lab reports yet.</p>}
      {items && items.length > 0 && (
        <>
          <ul class="cards">
            {items.map((report) => (
              <li key={report.id} class="card">
                <h2 class="h3">Collected {formatDate(report.collected_at, timeZone)}</h2>
                <p>
                  {report.observation_count} results{report.abnormal_count > 0 ? `, ${report.abnormal_count} outside the reference range` : ''} ·{' '}
                  {label(report.status)}
                </p>
              </li>
            ))}
          </ul>
          <LabSection patientId="me" tests={tests} timeZone={timeZone} title="Your results" />
        </>
      )}
    </Page>
  );
}
