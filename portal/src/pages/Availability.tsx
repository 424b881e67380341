import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import { addDays, dayKey, formatDateTime, validTimeZone, zonedInstant } from '../format';
import { Alert, Page, Status } from '../ui';

const WEEKDAYS = [
  { value: 1, name: 'Monday' },
  { value: 2, name: 'Tuesday' },
  { value: 3, name: 'Wednesday' },
  { value: 4, name: 'Thursday' },
  { value: 5, name: 'Friday' },
  { value: 6, name: 'Saturday' },
  { value: 7, name: 'Sunday' },
] as const;

/**
 * Doctors: free slots for a range of days (POST /doctors/me/slots-range; DST-correct on the
 * server), one slot — free or blocked — at a time (POST /doctors/me/slots), and the next two
 * weeks' slots with Remove (DELETE; a booked slot is the API's 409, shown).
 */
export function Availability(props: { user: User }) {
  const [timeZone, setTimeZone] = useState(validTimeZone(props.user.time_zone));
  const today = dayKey(new Date().toISOString(), timeZone);
  const [startDate, setStartDate] = useState(addDays(today, 1));
  const [endDate, setEndDate] = useState(addDays(today, 7));
  const [days, setDays] = useState<number[]>([1, 2, 3, 4, 5]);
  const [dayStart, setDayStart] = useState('09:00');
  const [dayEnd, setDayEnd] = useState('17:00');
  const [slotMinutes, setSlotMinutes] = useState(30);
  const [breakMinutes, setBreakMinutes] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [refresh, setRefresh] = useState(0);

  // The doctor profile's zone, where their slots are defined (the account's until it loads).
  useEffect(() => {
    api
      .GET('/api/v1/doctors/me')
      .then(({ data }) => data && setTimeZone(validTimeZone(data.time_zone)))
      .catch(() => undefined);
  }, []);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const { data, error: problem } = await api.POST('/api/v1/doctors/me/slots-range', {
        body: {
          start_date: startDate,
          end_date: endDate,
          days_of_week: days,
          day_start: dayStart,
          day_end: dayEnd,
          slot_minutes: slotMinutes,
          break_minutes: breakMinutes,
          time_zone: timeZone,
        },
      });
      if (!data) return setError(problemText(problem, 'The slots could not be created.'));
      setStatus(`Created ${data.created} free slot${data.created === 1 ? '' : 's'}${data.skipped ? `; skipped ${data.skipped} (overlapping or past)` : ''}.`);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    if (status) setRefresh((n) => n + 1);
  }, [status]);

  const toggle = (value: number) => setDays(days.includes(value) ? days.filter((d) => d !== value) : [...days, value].sort());

  return (
    <Page title="Availability">
      <p class="muted">Free times patients can book, in {timeZone.replace(/_/g, ' ')}.</p>
      <form class="form" onSubmit={submit}>
        <label for="start-date">First day</label>
        <input id="start-date" type="date" required value={startDate} onInput={(e) => setStartDate(e.currentTarget.value)} />
        <label for="end-date">Last day</label>
        <input id="end-date" type="date" required value={endDate} onInput={(e) => setEndDate(e.currentTarget.value)} />
        <fieldset class="weekdays">
          <legend>Days of the week</legend>
          {WEEKDAYS.map((day) => (
            <label key={day.value} class="check">
              <input type="checkbox" checked={days.includes(day.value)} onChange={() => toggle(day.value)} />
              {day.name}
            </label>
          ))}
        </fieldset>
        <label for="day-start">From</label>
        <input id="day-start" type="time" required value={dayStart} onInput={(e) => setDayStart(e.currentTarget.value)} />
        <label for="day-end">Until</label>
        <input id="day-end" type="time" required value={dayEnd} onInput={(e) => setDayEnd(e.currentTarget.value)} />
        <label for="slot-minutes">Slot length (minutes)</label>
        <input id="slot-minutes" type="number" min={5} max={480} required value={slotMinutes} onInput={(e) => setSlotMinutes(Number(e.currentTarget.value))} />
        <label for="break-minutes">Break after each slot (minutes)</label>
        <input id="break-minutes" type="number" min={0} max={240} value={breakMinutes} onInput={(e) => setBreakMinutes(Number(e.currentTarget.value))} />
        <Alert message={error} />
        <Status message={status} />
        <button type="submit" disabled={busy || days.length === 0}>
          Create slots
        </button>
      </form>
      <OneSlot timeZone={timeZone} today={today} onChange={() => setRefresh((n) => n + 1)} />
      <SlotList timeZone={timeZone} today={today} refresh={refresh} />
    </Page>
  );
}

/** One slot at a wall-clock time in the doctor's zone: free for booking, or blocked (unavailable). */
function OneSlot(props: { timeZone: string; today: string; onChange: () => void }) {
  const [day, setDay] = useState(addDays(props.today, 1));
  const [time, setTime] = useState('09:00');
  const [minutes, setMinutes] = useState(30);
  const [state, setState] = useState<'free' | 'blocked'>('free');
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const { data, error: problem } = await api.POST('/api/v1/doctors/me/slots', {
        body: { start: zonedInstant(day, time, props.timeZone), duration_minutes: minutes, state },
      });
      if (!data) return setError(problemText(problem, 'The slot could not be added.'));
      setStatus(`${state === 'free' ? 'Free slot' : 'Blocked time'} added: ${formatDateTime(data.start, props.timeZone)}.`);
      props.onChange();
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="one-slot">
      <h2 id="one-slot">One slot</h2>
      <form class="form" onSubmit={submit}>
        <label for="one-day">Day of the slot</label>
        <input id="one-day" type="date" required value={day} onInput={(e) => setDay(e.currentTarget.value)} />
        <label for="one-time">Starts at</label>
        <input id="one-time" type="time" required value={time} onInput={(e) => setTime(e.currentTarget.value)} />
        <label for="one-minutes">Length of this slot (minutes)</label>
        <input id="one-minutes" type="number" min={5} max={480} required value={minutes} onInput={(e) => setMinutes(Number(e.currentTarget.value))} />
        <label for="one-state">Kind</label>
        <select id="one-state" value={state} onChange={(e) => setState(e.currentTarget.value as 'free' | 'blocked')}>
          <option value="free">Free for patients to book</option>
          <option value="blocked">Blocked (not available)</option>
        </select>
        <Alert message={error} />
        <Status message={status} />
        <button type="submit" disabled={busy}>
          Add this slot
        </button>
      </form>
    </section>
  );
}

/** The doctor's slots of the next two weeks; free and blocked ones can be removed. */
function SlotList(props: { timeZone: string; today: string; refresh: number }) {
  const [slots, setSlots] = useState<Schemas['Slot'][] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  async function load() {
    try {
      const { data, error: problem } = await api.GET('/api/v1/doctors/me/slots', {
        params: { query: { from: props.today, to: addDays(props.today, 14), tz: props.timeZone, limit: 100 } },
      });
      if (!data) return setError(problemText(problem, 'Your slots could not be loaded.'));
      setSlots(data.items);
    } catch (err) {
      setError(networkText(err));
    }
  }
  useEffect(() => {
    void load();
  }, [props.refresh, props.timeZone]);

  async function remove(slot: Schemas['Slot']) {
    if (busy) return;
    setBusy(slot.id);
    setError(null);
    setStatus(null);
    try {
      const { error: problem, response } = await api.DELETE('/api/v1/doctors/me/slots/{id}', { params: { path: { id: slot.id } } });
      if (!response.ok) return setError(problemText(problem, 'The slot could not be removed.'));
      setStatus(`The slot on ${formatDateTime(slot.start, props.timeZone)} is removed.`);
      await load();
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <section aria-labelledby="slot-list">
      <h2 id="slot-list">Your slots in the next two weeks</h2>
      <Alert message={error} />
      <Status message={status} />
      {slots && slots.length === 0 && <p>No slots in the next two weeks.</p>}
      {slots && slots.length > 0 && (
        <ul class="cards">
          {slots.map((slot) => (
            <li key={slot.id} class="card">
              <p>
                {formatDateTime(slot.start, props.timeZone)} · {Math.round((Date.parse(slot.end) - Date.parse(slot.start)) / 60_000)} min · {slot.state}
              </p>
              {slot.state !== 'booked' && (
                <button type="button" class="secondary" disabled={busy === slot.id} onClick={() => void remove(slot)}>
                  Remove<span class="sr-only"> the slot on {formatDateTime(slot.start, props.timeZone)}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
