import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import { addDays, dayKey, formatPlainDay, formatTime, label, mondayOf, validTimeZone } from '../format';
import { linkClick } from '../router';
import { Alert, Loading, Page } from '../ui';

type Appointment = Schemas['Appointment'];
const OPEN = new Set<Appointment['status']>(['scheduled', 'confirmed', 'in_progress']);

/**
 * A clinician's day or week (GET /appointments is their own schedule), in the time zone of their
 * doctor profile, where their slots are defined (else their account's).
 */
export function Schedule(props: { user: User }) {
  const [zone, setZone] = useState<string | null>(props.user.role === 'doctor' ? null : props.user.time_zone);
  useEffect(() => {
    if (zone !== null) return;
    api
      .GET('/api/v1/doctors/me')
      .then(({ data }) => setZone(data?.time_zone ?? props.user.time_zone))
      .catch(() => setZone(props.user.time_zone));
  }, []);
  if (zone === null) return <Loading what="your schedule" />;
  return <Week user={props.user} timeZone={validTimeZone(zone)} />;
}

function Week(props: { user: User; timeZone: string }) {
  const { timeZone } = props;
  const today = dayKey(new Date().toISOString(), timeZone);
  const [view, setView] = useState<'day' | 'week'>('week');
  const [anchor, setAnchor] = useState(today);
  const [items, setItems] = useState<Appointment[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const first = view === 'week' ? mondayOf(anchor) : anchor;
  const days = Array.from({ length: view === 'week' ? 7 : 1 }, (_, i) => addDays(first, i));
  const last = days[days.length - 1]!;

  useEffect(() => {
    setItems(null);
    setError(null);
    // Plain dates are days in `tz`; one day of margin on each side, then grouped by local day here.
    api
      .GET('/api/v1/appointments', { params: { query: { from: addDays(first, -1), to: addDays(last, 1), tz: timeZone, sort: 'start', limit: 100 } } })
      .then(({ data, error: problem }) => (data ? setItems(data.items) : setError(problemText(problem, 'Your schedule could not be loaded.'))))
      .catch((err) => setError(networkText(err)));
  }, [first, last, timeZone]);

  const step = view === 'week' ? 7 : 1;
  const range = view === 'week' ? `${formatPlainDay(first)} – ${formatPlainDay(last)}` : formatPlainDay(first);

  return (
    <Page title="Schedule">
      <div class="toolbar" role="group" aria-label="Schedule view">
        <button type="button" class="secondary" aria-pressed={view === 'day'} onClick={() => setView('day')}>
          Day
        </button>
        <button type="button" class="secondary" aria-pressed={view === 'week'} onClick={() => setView('week')}>
          Week
        </button>
        <button type="button" class="secondary" onClick={() => setAnchor(addDays(anchor, -step))}>
          Previous {view}
        </button>
        <button type="button" class="secondary" onClick={() => setAnchor(today)}>
          Today
        </button>
        <button type="button" class="secondary" onClick={() => setAnchor(addDays(anchor, step))}>
          Next {view}
        </button>
      </div>
      <h2 aria-live="polite">{range}</h2>
      <p class="muted">Times in {timeZone.replace(/_/g, ' ')}.</p>
      <Alert message={error} />
      {items === null && !error && <Loading what="your schedule" />}
      {items !== null &&
        days.map((day) => {
          const booked = items.filter((a) => dayKey(a.start, timeZone) === day);
          return (
            <section key={day} aria-labelledby={`day-${day}`} class="schedule-day">
              <h3 id={`day-${day}`}>
                {formatPlainDay(day)}
                {day === today ? ' (today)' : ''}
              </h3>
              {booked.length === 0 ? (
                <p class="muted">No appointments.</p>
              ) : (
                <ul class="cards">
                  {booked.map((a) => (
                    <li key={a.id} class={a.status === 'cancelled' ? 'card cancelled' : 'card'}>
                      <p>
                        <strong>
                          {formatTime(a.start, timeZone)}–{formatTime(a.end, timeZone)}
                        </strong>{' '}
                        {a.patient_name}
                      </p>
                      <p class="muted">
                        {label(a.type)} · {label(a.status)}
                        {a.reason ? ` · ${a.reason}` : ''}
                      </p>
                      {props.user.role === 'doctor' && a.type === 'video' && OPEN.has(a.status) && Date.parse(a.end) > Date.now() && (
                        <p>
                          <a
                            href={`/visits/${a.id}`}
                            onClick={linkClick}
                            aria-label={`Start the video visit with ${a.patient_name} at ${formatTime(a.start, timeZone)}`}
                          >
                            Start video visit
                          </a>
                        </p>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          );
        })}
    </Page>
  );
}
