import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type User } from '../api/client';
import { formatDate, label, validTimeZone } from '../format';
import { Alert, Loading, Page, Status } from '../ui';

/** Admins: doctors and nurses who registered and wait for approval (GET /users?status=pending). */
export function Approvals(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const [items, setItems] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);

  async function load() {
    try {
      const { data, error: problem } = await api.GET('/api/v1/users', { params: { query: { status: 'pending', sort: 'created_at', limit: 100 } } });
      if (!data) return setError(problemText(problem, 'Pending accounts could not be loaded.'));
      setItems(data.items.filter((user) => user.role === 'doctor' || user.role === 'nurse'));
    } catch (err) {
      setError(networkText(err));
    }
  }

  useEffect(() => {
    void load();
  }, []);

  async function approve(user: User) {
    if (busyId) return;
    setBusyId(user.id);
    setError(null);
    setStatus(null);
    try {
      const { error: problem, response } = await api.POST('/api/v1/users/{user}/approve', { params: { path: { user: user.id } } });
      if (!response.ok) setError(problemText(problem, `${user.full_name} could not be approved.`));
      else setStatus(`${user.full_name} is approved and can now work as a ${user.role}.`);
      await load();
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusyId(null);
    }
  }

  return (
    <Page title="Approvals">
      <p class="muted">Doctors and nurses can sign in once registered but can do nothing clinical until approved here.</p>
      <Alert message={error} />
      <Status message={status} />
      {items === null && !error && <Loading what="pending accounts" />}
      {items && items.length === 0 && <p>Nobody is waiting for approval.</p>}
      {items && items.length > 0 && (
        <ul class="cards">
          {items.map((user) => (
            <li key={user.id} class="card">
              <h2 class="h3">{user.full_name}</h2>
              <p>
                {label(user.role)} · {user.email} · registered {formatDate(user.created_at, timeZone)}
              </p>
              <button type="button" disabled={busyId === user.id} onClick={() => void approve(user)} aria-label={`Approve ${user.full_name}`}>
                Approve
              </button>
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}
