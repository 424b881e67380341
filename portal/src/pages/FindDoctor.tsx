import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import type { paths } from '../api/schema';
import { formatDateTime, label, validTimeZone } from '../format';
import { Alert, Page } from '../ui';
import { SlotPicker } from './SlotPicker';

type Doctor = Schemas['Doctor'];
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
  const [order, setOrder] = useState<'soonest' | 'name'>('soonest');

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
        <div>
          <label for="doctor-order">Order</label>
          <select id="doctor-order" value={order} onChange={(e) => setOrder(e.currentTarget.value as 'soonest' | 'name')}>
            <option value="soonest">Soonest free time first</option>
            <option value="name">By name</option>
          </select>
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
            {ordered(doctors, order).map((doctor) => (
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

/** The directory's page in the chosen order: by next free time (none last, then by name), or by name. */
function ordered(doctors: Doctor[], order: 'soonest' | 'name'): Doctor[] {
  const byName = (a: Doctor, b: Doctor) => a.full_name.localeCompare(b.full_name);
  if (order === 'name') return [...doctors].sort(byName);
  const next = (d: Doctor) => (d.next_available ? Date.parse(d.next_available) : Infinity);
  return [...doctors].sort((a, b) => next(a) - next(b) || byName(a, b));
}
