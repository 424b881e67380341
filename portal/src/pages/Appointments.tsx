import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import { formatDateTime, label, validTimeZone } from '../format';
import { linkClick } from '../router';
import { Alert, Loading, Page, Status } from '../ui';
import { SlotPicker } from './SlotPicker';

type Appointment = Schemas['Appointment'];
const OPEN = new Set<Appointment['status']>(['scheduled', 'confirmed', 'in_progress']);

export function Appointments(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const [items, setItems] = useState<Appointment[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [moving, setMoving] = useState<string | null>(null);

  async function load() {
    try {
      const { data, error: problem } = await api.GET('/api/v1/appointments', { params: { query: { limit: 100, sort: '-start' } } });
      if (!data) return setError(problemText(problem, 'Your appointments could not be loaded.'));
      setItems(data.items);
    } catch (err) {
      setError(networkText(err));
    }
  }

  useEffect(() => {
    void load();
  }, []);

  async function cancel(appointment: Appointment) {
    if (busyId) return;
    setBusyId(appointment.id);
    setError(null);
    setStatus(null);
    try {
      const { data, error: problem } = await api.PATCH('/api/v1/appointments/{id}/status', {
        params: { path: { id: appointment.id } },
        body: { status: 'cancelled', reason: 'Cancelled by the patient in the portal' },
      });
      if (!data) setError(problemText(problem, 'The appointment could not be cancelled.'));
      else setStatus(`Your appointment with ${appointment.doctor_name} on ${formatDateTime(appointment.start, timeZone)} is cancelled.`);
      await load();
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusyId(null);
    }
  }

  /** The .ics needs the bearer token, so it is fetched and handed to the browser as a file. */
  async function addToCalendar(appointment: Appointment) {
    setError(null);
    try {
      const { data, error: problem } = await api.GET('/api/v1/appointments/{id}.ics', { params: { path: { id: appointment.id } }, parseAs: 'text' });
      if (data === undefined) return setError(problemText(problem, 'The calendar file could not be made.'));
      const url = URL.createObjectURL(new Blob([data], { type: 'text/calendar' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `carebridge-appointment-${appointment.id}.ics`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(networkText(err));
    }
  }

  function moved(appointment: Appointment) {
    setMoving(null);
    setStatus(`Your appointment with ${appointment.doctor_name} is now on ${formatDateTime(appointment.start, timeZone)}.`);
    void load();
  }

  const now = Date.now();
  const upcoming = (items ?? []).filter((a) => OPEN.has(a.status) && Date.parse(a.end) > now).reverse();
  const past = (items ?? []).filter((a) => !upcoming.includes(a));

  return (
    <Page title="Appointments">
      <p class="muted">Times are shown in {timeZone.replace(/_/g, ' ')}.</p>
      <Alert message={error} />
      <Status message={status} />
      {items === null && !error && <Loading what="appointments" />}
      {items !== null && (
        <>
          <section aria-labelledby="upcoming-heading">
            <h2 id="upcoming-heading">Upcoming</h2>
            {upcoming.length === 0 ? (
              <p>
                No upcoming appointments.{' '}
                <a href="/doctors" onClick={linkClick}>
                  Find a doctor
                </a>
              </p>
            ) : (
              <ul class="cards">
                {upcoming.map((a) => (
                  <li key={a.id} class="card">
                    <h3>{formatDateTime(a.start, timeZone)}</h3>
                    <p>
                      {a.doctor_name} · {label(a.type)} · {label(a.status)}
                    </p>
                    {a.reason && <p class="muted">{a.reason}</p>}
                    <div class="actions">
                      {a.type === 'video' && (
                        <a
                          class="button"
                          href={`/visits/${a.id}`}
                          onClick={linkClick}
                          aria-label={`Join the video visit with ${a.doctor_name} on ${formatDateTime(a.start, timeZone)}`}
                        >
                          Join video visit
                        </a>
                      )}
                      <button
                        type="button"
                        class="secondary"
                        onClick={() => void addToCalendar(a)}
                        aria-label={`Add the appointment with ${a.doctor_name} on ${formatDateTime(a.start, timeZone)} to your calendar`}
                      >
                        Add to calendar
                      </button>
                      {a.status !== 'in_progress' && Date.parse(a.start) > now && (
                        <>
                          <button
                            type="button"
                            class="secondary"
                            aria-expanded={moving === a.id}
                            onClick={() => setMoving(moving === a.id ? null : a.id)}
                            aria-label={`Reschedule the appointment with ${a.doctor_name} on ${formatDateTime(a.start, timeZone)}`}
                          >
                            Reschedule
                          </button>
                          <button
                            type="button"
                            class="secondary"
                            disabled={busyId === a.id}
                            onClick={() => void cancel(a)}
                            aria-label={`Cancel the appointment with ${a.doctor_name} on ${formatDateTime(a.start, timeZone)}`}
                          >
                            Cancel
                          </button>
                        </>
                      )}
                    </div>
                    {moving === a.id && (
                      <SlotPicker doctor={{ id: a.doctor_id, full_name: a.doctor_name }} timeZone={timeZone} reschedule={{ appointment: a, onDone: moved }} />
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section aria-labelledby="past-heading">
            <h2 id="past-heading">Past and cancelled</h2>
            {past.length === 0 ? (
              <p>None yet.</p>
            ) : (
              <ul class="cards">
                {past.map((a) => (
                  <li key={a.id} class="card">
                    <h3>{formatDateTime(a.start, timeZone)}</h3>
                    <p>
                      {a.doctor_name} · {label(a.type)} · {label(a.status)}
                    </p>
                    {a.cancel_reason && <p class="muted">{a.cancel_reason}</p>}
                  </li>
                ))}
              </ul>
            )}
          </section>
        </>
      )}
    </Page>
  );
}
