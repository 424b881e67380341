import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type User } from '../api/client';
import { addDays, dayKey, validTimeZone } from '../format';
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

/** Doctors: free slots for a range of days (POST /doctors/me/slots-range; DST-correct on the server). */
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
    </Page>
  );
}
