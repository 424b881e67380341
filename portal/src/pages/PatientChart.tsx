import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import { formatDate, formatDateTime, label, validTimeZone } from '../format';
import { linkClick } from '../router';
import { TrendChart, type Point } from '../TrendChart';
import { Alert, Loading, Page, Status } from '../ui';
import { Prescribe } from './Prescribe';
import { Diagnose } from './Diagnose';

type PatientRow = { id: string; name: string; last: string | null; next: string | null };

/**
 * Clinicians: the patients they look after — from their appointments (past and coming) and their
 * conversations, the care relationships the API itself recognises (docs/API.md §3). Anyone else's
 * chart answers 404 from the API, so the list offers only these.
 */
export function Patients(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const [rows, setRows] = useState<PatientRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');

  useEffect(() => {
    (async () => {
      try {
        const [appointments, rooms] = await Promise.all([
          api.GET('/api/v1/appointments', { params: { query: { limit: 100 } } }),
          api.GET('/api/v1/chat/rooms', { params: { query: { limit: 100 } } }),
        ]);
        if (!appointments.data) return setError(problemText(appointments.error, 'Your patients could not be loaded.'));
        const now = new Date().toISOString();
        const byId = new Map<string, PatientRow>();
        for (const a of appointments.data.items) {
          const row = byId.get(a.patient_id) ?? { id: a.patient_id, name: a.patient_name, last: null, next: null };
          if (a.status !== 'cancelled') {
            if (a.start < now) row.last = !row.last || a.start > row.last ? a.start : row.last;
            else row.next = !row.next || a.start < row.next ? a.start : row.next;
          }
          byId.set(a.patient_id, row);
        }
        for (const room of rooms.data?.items ?? []) {
          for (const p of room.participants) {
            if (p.role === 'patient' && !byId.has(p.user_id)) byId.set(p.user_id, { id: p.user_id, name: p.full_name, last: null, next: null });
          }
        }
        setRows([...byId.values()].sort((a, b) => a.name.localeCompare(b.name)));
      } catch (err) {
        setError(networkText(err));
      }
    })();
  }, []);

  const shown = rows?.filter((r) => r.name.toLowerCase().includes(filter.trim().toLowerCase())) ?? null;
  return (
    <Page title="Patients">
      <Alert message={error} />
      {rows === null && !error && <Loading what="your patients" />}
      {rows && rows.length === 0 && <p>No patients yet. Patients appear here once they book with you or you share a conversation.</p>}
      {rows && rows.length > 0 && (
        <>
          <div class="form">
            <label for="patient-filter">Filter by name</label>
            <input id="patient-filter" type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
          </div>
          <ul class="cards">
            {shown!.map((r) => (
              <li key={r.id} class="card">
                <h2 class="h3">
                  <a href={`/patients/${r.id}`} onClick={linkClick}>
                    {r.name}
                  </a>
                </h2>
                <p class="muted">
                  {r.next ? `Next visit ${formatDateTime(r.next, timeZone)}` : 'No visit booked'}
                  {r.last ? ` · last ${formatDate(r.last, timeZone)}` : ''}
                </p>
              </li>
            ))}
          </ul>
        </>
      )}
    </Page>
  );
}

type Demographics = {
  full_name: string;
  date_of_birth: string | null;
  sex: string | null;
  allergies: string[];
  chronic_conditions: string[];
  allergy_records: { substance: string; severity: string; reaction?: string | null }[];
};
type Observation = Schemas['Observation'];

/** The chart: details and allergies, records (with versions), prescriptions, lab results with a trend per repeated test. */
export function PatientChart(props: { user: User; patientId: string }) {
  const { patientId } = props;
  const timeZone = validTimeZone(props.user.time_zone);
  const [patient, setPatient] = useState<Demographics | null>(null);
  const [records, setRecords] = useState<Schemas['MedicalRecord'][] | null>(null);
  const [prescriptions, setPrescriptions] = useState<Schemas['Prescription'][] | null>(null);
  const [labs, setLabs] = useState<LabTest[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [recordStatus, setRecordStatus] = useState<string | null>(null);

  useEffect(() => {
    (async () => {
      try {
        const [who, recs, rx, reports] = await Promise.all([
          api.GET('/api/v1/patients/{id}', { params: { path: { id: patientId } } }),
          api.GET('/api/v1/medical/records', { params: { query: { patient_id: patientId, limit: 100, sort: '-created_at' } } }),
          api.GET('/api/v1/prescriptions', { params: { query: { patient_id: patientId, limit: 100 } } }),
          api.GET('/api/v1/reports', { params: { query: { patient_id: patientId, limit: 20 } } }),
        ]);
        if (!who.data) return setError(problemText(who.error, 'This patient could not be found.'));
        setPatient(who.data as Demographics);
        setRecords(recs.data?.items ?? []);
        setPrescriptions(rx.data?.items ?? []);
        // Each test's latest value and how often it was measured in the newest 20 reports; the
        // chart then reads that test's whole series from the trend endpoint.
        const details = await Promise.all((reports.data?.items ?? []).map((r) => api.GET('/api/v1/reports/{id}', { params: { path: { id: r.id } } })));
        setLabs(testsOf(details.flatMap((d) => (d.data ? [d.data] : []))));
      } catch (err) {
        setError(networkText(err));
      }
    })();
  }, [patientId]);

  return (
    <Page title={patient ? `Chart: ${patient.full_name}` : 'Patient chart'}>
      <p>
        <a href="/patients" onClick={linkClick}>
          All patients
        </a>
      </p>
      <Alert message={error} />
      {!patient && !error && <Loading what="the chart" />}
      {patient && (
        <>
          <section aria-labelledby="details">
            <h2 id="details">Details</h2>
            <p>
              {patient.date_of_birth ? `Born ${formatDate(`${patient.date_of_birth}T12:00:00Z`, 'UTC')}` : 'Date of birth not recorded'}
              {patient.sex ? ` · ${label(patient.sex)}` : ''}
            </p>
            <p>
              <strong>Allergies:</strong>{' '}
              {patient.allergy_records.length
                ? patient.allergy_records.map((a) => `${a.substance} (${a.severity}${a.reaction ? `, ${a.reaction}` : ''})`).join('; ')
                : patient.allergies.length
                  ? patient.allergies.join(', ')
                  : 'none recorded'}
            </p>
            {patient.chronic_conditions.length > 0 && (
              <p>
                <strong>Long-term conditions:</strong> {patient.chronic_conditions.join(', ')}
              </p>
            )}
          </section>
          <LabSection patientId={patientId} tests={labs} timeZone={timeZone} />
          <section aria-labelledby="prescriptions">
            <h2 id="prescriptions">Prescriptions</h2>
            <Status message={status} />
            {prescriptions && prescriptions.length === 0 && <p>No prescriptions.</p>}
            {prescriptions && prescriptions.length > 0 && (
              <ul class="cards">
                {prescriptions.map((p) => (
                  <li key={p.id} class="card">
                    <h3>{p.items.map((i) => [i.drug, i.strength].filter(Boolean).join(' ')).join(', ')}</h3>
                    <p class="muted">
                      {label(p.status)} · {formatDate(p.created_at, timeZone)}
                    </p>
                    <p>
                      {p.items
                        .map((i) => [i.dose, i.route, i.frequency, i.duration_days ? `${i.duration_days} days` : null].filter(Boolean).join(' · '))
                        .join('; ')}
                    </p>
                  </li>
                ))}
              </ul>
            )}
          </section>
          {props.user.role === 'doctor' && (
            <Prescribe
              patientId={patientId}
              patientName={patient.full_name}
              onCreated={(p) => {
                setPrescriptions((list) => [p, ...(list ?? [])]);
                setStatus(`Prescribed ${p.items.map((i) => i.drug).join(', ')} for ${patient.full_name}.`);
              }}
            />
          )}
          <section aria-labelledby="records">
            <h2 id="records">Records</h2>
            <Status message={recordStatus} />
            {records && records.length === 0 && <p>No records.</p>}
            {records && records.length > 0 && (
              <ul class="cards">
                {records.map((r) => (
                  <li key={r.id} class="card">
                    <h3>{r.title}</h3>
                    <p class="muted">
                      {label(r.record_type)} · {formatDate(r.created_at, timeZone)}
                      {r.version > 1 ? ` · version ${r.version}` : ''}
                    </p>
                    <p class="pre">{r.content}</p>
                    {r.diagnoses.length > 0 && <p>Diagnoses: {r.diagnoses.map((d) => (d.code ? `${d.text} (${d.code})` : d.text)).join('; ')}</p>}
                  </li>
                ))}
              </ul>
            )}
          </section>
          {props.user.role === 'doctor' && (
            <Diagnose
              patientId={patientId}
              onCreated={(r) => {
                setRecords((list) => [r, ...(list ?? [])]);
                setRecordStatus(`"${r.title}" is added to ${patient.full_name}'s record.`);
              }}
            />
          )}
        </>
      )}
    </Page>
  );
}

export type LabTest = { name: string; unit: string | null; count: number; latest: Observation };

/** Each test's latest value and how often it was measured, from report details. */
export function testsOf(reports: { observations: Observation[] }[]): LabTest[] {
  const tests = new Map<string, LabTest>();
  for (const report of reports) {
    for (const o of report.observations) {
      const t = tests.get(o.name);
      if (!t) tests.set(o.name, { name: o.name, unit: o.unit, count: 1, latest: o });
      else {
        t.count += 1;
        if (o.observed_at > t.latest.observed_at) t.latest = o;
      }
    }
  }
  return [...tests.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** Lab results of a patient (`me`: the signed-in patient's own), with a trend chart of a repeated test. */
export function LabSection(props: { patientId: string | 'me'; tests: LabTest[] | null; timeZone: string; title?: string }) {
  const { tests, timeZone } = props;
  const repeated = tests?.filter((t) => t.count > 1) ?? [];
  const [chosen, setChosen] = useState<string | null>(null);
  const [series, setSeries] = useState<{ name: string; unit: string | null; points: Point[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const name = chosen ?? repeated[0]?.name ?? null;

  useEffect(() => {
    if (!name) return;
    setSeries(null);
    setError(null);
    const query = { name, limit: 100 };
    (props.patientId === 'me'
      ? api.GET('/api/v1/patients/me/observations', { params: { query } })
      : api.GET('/api/v1/patients/{id}/observations', { params: { path: { id: props.patientId }, query } })
    )
      .then(({ data, error: problem }) => {
        if (!data) return setError(problemText(problem, 'The trend could not be loaded.'));
        setSeries({ name: data.name, unit: data.items[0]?.unit ?? null, points: data.items });
      })
      .catch((err) => setError(networkText(err)));
  }, [name, props.patientId]);

  return (
    <section aria-labelledby="labs">
      <h2 id="labs">{props.title ?? 'Lab results'}</h2>
      {tests === null && <Loading what="lab results" />}
      {tests && tests.length === 0 && <p>No lab results.</p>}
      {tests && tests.length > 0 && (
        <table class="table">
          <caption class="muted">Latest result of each test</caption>
          <thead>
            <tr>
              <th scope="col">Test</th>
              <th scope="col">Latest</th>
              <th scope="col">Range</th>
              <th scope="col">Date</th>
            </tr>
          </thead>
          <tbody>
            {tests.map((t) => (
              <tr key={t.name}>
                <th scope="row">{t.name}</th>
                <td class={t.latest.flag && t.latest.flag !== 'normal' ? 'flag' : undefined}>
                  {t.latest.value} {t.unit ?? ''}
                  {t.latest.flag && t.latest.flag !== 'normal' ? ` (${t.latest.flag})` : ''}
                </td>
                <td>{t.latest.reference_range ?? '—'}</td>
                <td>{formatDate(t.latest.observed_at, timeZone)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {repeated.length > 0 && name && (
        <>
          <h3>Trend</h3>
          <div class="form">
            <label for="trend-test">Test to chart</label>
            <select id="trend-test" value={name} onChange={(e) => setChosen(e.currentTarget.value)}>
              {repeated.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name} ({t.count} results)
                </option>
              ))}
            </select>
          </div>
          <Alert message={error} />
          {!series && !error && <Loading what="the trend" />}
          {series && (
            <figure class="chart">
              <TrendChart name={series.name} unit={series.unit} points={series.points} timeZone={timeZone} />
              <figcaption>
                {series.name}
                {series.unit ? ` (${series.unit})` : ''} over time; the shaded band is the reference range, squares are outside it.
              </figcaption>
              <table class="table">
                <caption class="muted">{series.name} results</caption>
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">Value</th>
                    <th scope="col">Flag</th>
                  </tr>
                </thead>
                <tbody>
                  {[...series.points]
                    .sort((a, b) => b.observed_at.localeCompare(a.observed_at))
                    .map((p) => (
                      <tr key={p.observed_at}>
                        <td>{formatDate(p.observed_at, timeZone)}</td>
                        <td>
                          {p.value} {series.unit ?? ''}
                        </td>
                        <td>{p.flag ? label(p.flag) : '—'}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </figure>
          )}
        </>
      )}
    </section>
  );
}
