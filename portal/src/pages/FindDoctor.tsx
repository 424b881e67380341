import { useEffect, useRef, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import type { paths } from '../api/schema';
import { dayKey, formatDateTime, formatDay, formatTime, label, validTimeZone } from '../format';
import { linkClick } from '../router';
import { Alert, Page, Status } from '../ui';

type Doctor = Schemas['Doctor'];
type Slot = Schemas['Slot'];
type Specialty = NonNullable<NonNullable<paths['/api/v1/doctors']['get']['parameters']['query']>['specialty']>;

// Typed against the OpenAPI enum: a specialty the API drops breaks the build.
const SPECIALTIES = [
  'general_practice',
  'internal_medicine',
  'dermatology',
  'cardiology',
  'pediatrics',
  'neurology',
  'psychiatry',
  'orthopedics',
  'gynecology',
  'ophthalmology',
  'ent',
  'endocrinology',
  'gastroenterology',
  'pulmonology',
  'urology',
  'oncology',
] as const satisfies readonly Specialty[];

export function FindDoctor(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const [specialty, setSpecialty] = useState<Specialty | ''>('');
  const [name, setName] = useState('');
  const [doctors, setDoctors] = useState<Doctor[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const [chosen, setChosen] = useState<Doctor | null>(null);

  async function search(event?: Event) {
    event?.preventDefault();
    setSearching(true);
    setError(null);
    try {
      const query: { limit: number; specialty?: Specialty; q?: string } = { limit: 50 };
      if (specialty) query.specialty = specialty;
      if (name.trim()) query.q = name.trim();
      const { data, error: problem } = await api.GET('/api/v1/doctors', { params: { query } });
      if (!data) return setError(problemText(problem, 'The doctor directory could not be loaded.'));
      setDoctors(data.items);
      setChosen(null);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setSearching(false);
    }
  }

  useEffect(() => {
    void search();
  }, []);

  return (
    <Page title="Find a doctor">
      <form class="form inline" role="search" aria-label="Doctors" onSubmit={search}>
        <div>
          <label for="specialty">Specialty</label>
          <select id="specialty" value={specialty} onChange={(e) => setSpecialty(e.currentTarget.value as Specialty | '')}>
            <option value="">Any specialty</option>
            {SPECIALTIES.map((value) => (
              <option key={value} value={value}>
                {value === 'ent' ? 'Ear, nose and throat' : label(value)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="doctor-name">Name</label>
          <input id="doctor-name" type="search" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <button type="submit" disabled={searching}>
          Search
        </button>
      </form>
      <Alert message={error} />
      {doctors && (
        <section aria-labelledby="results-heading">
          <h2 id="results-heading">{doctors.length === 0 ? 'No doctors match' : `${doctors.length} doctor${doctors.length === 1 ? '' : 's'}`}</h2>
          <ul class="cards">
            {doctors.map((doctor) => (
              <li key={doctor.id} class="card">
                <h3>{doctor.full_name}</h3>
                <p>{doctor.specialty ? label(doctor.specialty) : 'Specialty not given'}</p>
                <p class="muted">
                  {doctor.next_available ? `Next free: ${formatDateTime(doctor.next_available, timeZone)}` : 'No free times in the next days'}
                </p>
                <button
                  type="button"
                  onClick={() => setChosen(doctor)}
                  aria-expanded={chosen?.id === doctor.id}
                  aria-label={`See free times with ${doctor.full_name}`}
                >
                  See free times
                </button>
                {chosen?.id === doctor.id && <SlotPicker doctor={doctor} timeZone={timeZone} />}
              </li>
            ))}
          </ul>
        </section>
      )}
    </Page>
  );
}

function SlotPicker(props: { doctor: Doctor; timeZone: string }) {
  const { doctor, timeZone } = props;
  const [slots, setSlots] = useState<Slot[] | null>(null);
  const [slotId, setSlotId] = useState<string | null>(null);
  const [type, setType] = useState<'video' | 'in_person'>('video');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [booked, setBooked] = useState<Schemas['Appointment'] | null>(null);
  const [busy, setBusy] = useState(false);
  // One booking per choice even if "Book" is pressed twice: the button is disabled while the
  // request runs, a ref guards the gap before the re-render, and the Idempotency-Key makes a
  // retried request replay the first reply instead of booking again (docs/API.md §0).
  const inFlight = useRef(false);
  const idempotencyKey = useRef<string>(crypto.randomUUID());
  const region = useRef<HTMLElement>(null);

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

  async function book(event: Event) {
    event.preventDefault();
    if (!slotId || inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(null);
    setStatus('Booking…');
    try {
      const body: { slot_id: string; type: 'video' | 'in_person'; reason?: string } = { slot_id: slotId, type };
      if (reason.trim()) body.reason = reason.trim();
      const { data, error: problem, response } = await api.POST('/api/v1/appointments', { body, headers: { 'idempotency-key': idempotencyKey.current } });
      if (data) {
        setBooked(data);
        setStatus(null);
        return;
      }
      setStatus(null);
      if (response.status === 409) {
        setError(
          `${problemText(problem, 'That time is no longer free.')} Someone else may have just booked it: the free times below are up to date, please choose another.`,
        );
        setSlotId(null);
        await load();
      } else {
        setError(problemText(problem, 'The appointment could not be booked.'));
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
      <section class="booked" tabIndex={-1} ref={region} aria-labelledby={`booked-${doctor.id}`}>
        <h4 id={`booked-${doctor.id}`}>Booked</h4>
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
    const key = dayKey(slot.start, timeZone);
    days.set(key, [...(days.get(key) ?? []), slot]);
  }

  return (
    <form class="slots" onSubmit={book}>
      <Alert message={error} />
      {slots === null && !error && <p class="muted">Loading free times…</p>}
      {slots !== null && slots.length === 0 && <p>No free times in the next two weeks.</p>}
      {slots !== null && slots.length > 0 && (
        <fieldset>
          <legend>
            Free times with {doctor.full_name} (times in {timeZone.replace(/_/g, ' ')})
          </legend>
          {[...days.entries()].map(([key, daySlots]) => (
            <div key={key} class="day" role="group" aria-label={formatDay(daySlots[0]!.start, timeZone)}>
              <p class="day-name" aria-hidden="true">
                {formatDay(daySlots[0]!.start, timeZone)}
              </p>
              <div class="times">
                {daySlots.map((slot) => (
                  <label key={slot.id} class={slotId === slot.id ? 'time chosen' : 'time'}>
                    <input type="radio" name={`slot-${doctor.id}`} value={slot.id} checked={slotId === slot.id} onChange={() => choose(slot.id)} />
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
          <label for={`type-${doctor.id}`}>Visit type</label>
          <select id={`type-${doctor.id}`} value={type} onChange={(e) => setType(e.currentTarget.value as 'video' | 'in_person')}>
            <option value="video">Video visit</option>
            <option value="in_person">In person</option>
          </select>
          <label for={`reason-${doctor.id}`}>Reason for the visit (optional)</label>
          <input id={`reason-${doctor.id}`} value={reason} maxLength={500} onInput={(e) => setReason(e.currentTarget.value)} />
          <Status message={status} />
          <button type="submit" disabled={!slotId || busy}>
            Book
          </button>
        </>
      )}
    </form>
  );
}
