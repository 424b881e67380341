import { useEffect, useRef, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas } from '../api/client';
import { dayKey, formatDateTime, formatDay, formatTime } from '../format';
import { linkClick } from '../router';
import { Alert, Status } from '../ui';

type Slot = Schemas['Slot'];
type Appointment = Schemas['Appointment'];

/**
 * A doctor's free times for the next two weeks, grouped by day in the patient's time zone, and
 * the action on the chosen one: book a new appointment, or move an existing one (reschedule).
 * One request per choice even if the button is pressed twice: it is disabled while the request
 * runs, a ref guards the gap before the re-render, and a booking carries an Idempotency-Key so a
 * retried request replays the first reply instead of booking again (docs/API.md §0). A time
 * taken by someone else meanwhile (409) gives a clear message and the refreshed free times.
 */
export function SlotPicker(props: {
  doctor: { id: string; full_name: string };
  timeZone: string;
  reschedule?: { appointment: Appointment; onDone: (moved: Appointment) => void };
}) {
  const { doctor, timeZone, reschedule } = props;
  const [slots, setSlots] = useState<Slot[] | null>(null);
  const [slotId, setSlotId] = useState<string | null>(null);
  const [type, setType] = useState<'video' | 'in_person'>('video');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [booked, setBooked] = useState<Appointment | null>(null);
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  const idempotencyKey = useRef<string>(crypto.randomUUID());
  const region = useRef<HTMLElement>(null);
  const key = reschedule ? `${doctor.id}-${reschedule.appointment.id}` : doctor.id;

  async function load(): Promise<void> {
    try {
      const { data, error: problem } = await api.GET('/api/v1/doctors/{id}/slots', {
        params: { path: { id: doctor.id }, query: { limit: 100, tz: timeZone } },
      });
      if (!data) return setError(problemText(problem, 'Free times could not be loaded.'));
      setSlots(data.items.filter((slot) => slot.state === 'free'));
    } catch (err) {
      setError(networkText(err));
    }
  }

  useEffect(() => {
    void load();
  }, [doctor.id]);

  function choose(id: string) {
    setSlotId(id);
    idempotencyKey.current = crypto.randomUUID();
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (!slotId || inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(null);
    setStatus(reschedule ? 'Moving…' : 'Booking…');
    try {
      let result;
      if (reschedule) {
        result = await api.POST('/api/v1/appointments/{id}/reschedule', { params: { path: { id: reschedule.appointment.id } }, body: { slot_id: slotId } });
      } else {
        const body: { slot_id: string; type: 'video' | 'in_person'; reason?: string } = { slot_id: slotId, type };
        if (reason.trim()) body.reason = reason.trim();
        result = await api.POST('/api/v1/appointments', { body, headers: { 'idempotency-key': idempotencyKey.current } });
      }
      const { data, error: problem, response } = result;
      setStatus(null);
      if (data) {
        if (reschedule) reschedule.onDone(data);
        else setBooked(data);
        return;
      }
      if (response.status === 409) {
        setError(
          `${problemText(problem, 'That time is no longer free.')} Someone else may have just booked it: the free times below are up to date, please choose another.`,
        );
        setSlotId(null);
        await load();
      } else {
        setError(problemText(problem, reschedule ? 'The appointment could not be moved.' : 'The appointment could not be booked.'));
      }
    } catch (err) {
      setStatus(null);
      setError(networkText(err));
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  }

  useEffect(() => {
    if (booked) region.current?.focus();
  }, [booked]);

  if (booked) {
    return (
      <section class="booked" tabIndex={-1} ref={region} aria-labelledby={`booked-${key}`}>
        <h4 id={`booked-${key}`}>Booked</h4>
        <p role="status">
          Your {booked.type === 'video' ? 'video visit' : 'visit'} with {doctor.full_name} is booked for {formatDateTime(booked.start, timeZone)}.
        </p>
        <p>
          <a href="/appointments" onClick={linkClick}>
            See your appointments
          </a>
        </p>
      </section>
    );
  }

  const days = new Map<string, Slot[]>();
  for (const slot of slots ?? []) {
    const day = dayKey(slot.start, timeZone);
    days.set(day, [...(days.get(day) ?? []), slot]);
  }

  return (
    <form class="slots" onSubmit={submit}>
      <Alert message={error} />
      {slots === null && !error && <p class="muted">Loading free times…</p>}
      {slots !== null && slots.length === 0 && <p>No free times in the next two weeks.</p>}
      {slots !== null && slots.length > 0 && (
        <fieldset>
          <legend>
            Free times with {doctor.full_name} (times in {timeZone.replace(/_/g, ' ')})
          </legend>
          {[...days.entries()].map(([day, daySlots]) => (
            <div key={day} class="day" role="group" aria-label={formatDay(daySlots[0]!.start, timeZone)}>
              <p class="day-name" aria-hidden="true">
                {formatDay(daySlots[0]!.start, timeZone)}
              </p>
              <div class="times">
                {daySlots.map((slot) => (
                  <label key={slot.id} class={slotId === slot.id ? 'time chosen' : 'time'}>
                    <input type="radio" name={`slot-${key}`} value={slot.id} checked={slotId === slot.id} onChange={() => choose(slot.id)} />
                    {formatTime(slot.start, timeZone)}
                  </label>
                ))}
              </div>
            </div>
          ))}
        </fieldset>
      )}
      {slots !== null && slots.length > 0 && (
        <>
          {!reschedule && (
            <>
              <label for={`type-${key}`}>Visit type</label>
              <select id={`type-${key}`} value={type} onChange={(e) => setType(e.currentTarget.value as 'video' | 'in_person')}>
                <option value="video">Video visit</option>
                <option value="in_person">In person</option>
              </select>
              <label for={`reason-${key}`}>Reason for the visit (optional)</label>
              <input id={`reason-${key}`} value={reason} maxLength={500} onInput={(e) => setReason(e.currentTarget.value)} />
            </>
          )}
          <Status message={status} />
          <button type="submit" disabled={!slotId || busy}>
            {reschedule ? 'Move to this time' : 'Book'}
          </button>
        </>
      )}
    </form>
  );
}
