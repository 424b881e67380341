import { useEffect, useState } from 'preact/hooks';
import { api, needsStepUp, networkText, problemText, type User } from '../api/client';
import { formatDate, label, validTimeZone } from '../format';
import { StepUp } from '../StepUp';
import { Alert, Loading, Page, Status } from '../ui';

type Role = User['role'];
const ROLES: Role[] = ['patient', 'doctor', 'nurse', 'admin'];

/**
 * Admins: find users (name or email, role, status), change a role (the API asks for a recent
 * second factor: the step-up form appears and the change is repeated after it), suspend and
 * reactivate an account. A role change and a suspension end the user's sessions server-side.
 */
export function Users(props: { user: User }) {
  const me = props.user;
  const timeZone = validTimeZone(me.time_zone);
  const [q, setQ] = useState('');
  const [role, setRole] = useState('');
  const [status, setStatusFilter] = useState('');
  const [items, setItems] = useState<User[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [roles, setRoles] = useState<Record<string, Role>>({});
  const [pending, setPending] = useState<{ action: string; run: () => Promise<void> } | null>(null);

  async function load(after: string | null = null) {
    setError(null);
    try {
      const { data, error: problem } = await api.GET('/api/v1/users', {
        params: {
          query: {
            limit: 50,
            sort: 'full_name',
            ...(q.trim() && { q: q.trim() }),
            ...(role && { role: role as Role }),
            ...(status && { status: status as User['status'] }),
            ...(after && { cursor: after }),
          },
        },
      });
      if (!data) return setError(problemText(problem, 'Users could not be loaded.'));
      setItems((list) => (after && list ? [...list, ...data.items] : data.items));
      setCursor(data.next_cursor);
    } catch (err) {
      setError(networkText(err));
    }
  }
  useEffect(() => {
    void load();
  }, []);

  function replace(updated: User) {
    setItems((list) => list?.map((u) => (u.id === updated.id ? updated : u)) ?? list);
  }

  /** Runs a change; a step-up-required reply shows the step-up form, which repeats it on success. */
  async function change(user: User, action: string, call: () => Promise<{ data?: User; error?: unknown; response: Response }>, done: string) {
    if (busyId) return;
    setBusyId(user.id);
    setError(null);
    setMessage(null);
    try {
      const { data, error: problem, response } = await call();
      if (data) {
        replace(data);
        setMessage(done);
        setPending(null);
      } else if (needsStepUp(response)) {
        setPending({ action, run: () => change(user, action, call, done) });
      } else setError(problemText(problem, `Could not ${action}.`));
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusyId(null);
    }
  }

  const changeRole = (user: User) => {
    const next = roles[user.id] ?? user.role;
    if (next === user.role) return setMessage(`${user.full_name} is already ${article(next)} ${next}.`);
    void change(
      user,
      `make ${user.full_name} ${article(next)} ${next}`,
      () => api.PUT('/api/v1/users/{user}/role', { params: { path: { user: user.id } }, body: { role: next } }),
      `${user.full_name} is now ${article(next)} ${next}. Their sessions were ended; they sign in again with the new role.`,
    );
  };
  const setActive = (user: User, active: boolean) =>
    void change(
      user,
      `${active ? 'reactivate' : 'suspend'} ${user.full_name}`,
      () => api.PATCH('/api/v1/users/{user}', { params: { path: { user: user.id } }, body: { status: active ? 'active' : 'deactivated' } }),
      active ? `${user.full_name} is active again.` : `${user.full_name} is suspended and signed out everywhere.`,
    );

  return (
    <Page title="Users">
      <form
        class="form inline"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <div>
          <label for="user-q">Name or email</label>
          <input id="user-q" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
        <div>
          <label for="user-role">Role</label>
          <select id="user-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            <option value="">Any role</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {label(r)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="user-status">Status</label>
          <select id="user-status" value={status} onChange={(e) => setStatusFilter(e.currentTarget.value)}>
            <option value="">Any status</option>
            <option value="active">Active</option>
            <option value="pending">Pending</option>
            <option value="deactivated">Suspended</option>
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      {pending && <StepUp action={pending.action} onDone={() => void pending.run()} onCancel={() => setPending(null)} />}
      <Alert message={error} />
      <Status message={message} />
      {items === null && !error && <Loading what="users" />}
      {items && items.length === 0 && <p>No users match.</p>}
      {items && items.length > 0 && (
        <ul class="cards">
          {items.map((user) => (
            <li key={user.id} class="card">
              <h2 class="h3">{user.full_name}</h2>
              <p>
                {user.email} · {label(user.role)} · {user.status === 'deactivated' ? 'Suspended' : label(user.status)} · since{' '}
                {formatDate(user.created_at, timeZone)}
              </p>
              {user.id === me.id ? (
                <p class="muted">This is you.</p>
              ) : (
                user.status !== 'deleted' && (
                  <div class="actions">
                    <label for={`role-${user.id}`} class="sr-only">
                      Role of {user.full_name}
                    </label>
                    <select
                      id={`role-${user.id}`}
                      value={roles[user.id] ?? user.role}
                      onChange={(e) => setRoles({ ...roles, [user.id]: e.currentTarget.value as Role })}
                    >
                      {ROLES.map((r) => (
                        <option key={r} value={r}>
                          {label(r)}
                        </option>
                      ))}
                    </select>
                    <button
                      type="button"
                      class="secondary"
                      disabled={busyId === user.id}
                      onClick={() => changeRole(user)}
                      aria-label={`Change role of ${user.full_name}`}
                    >
                      Change role
                    </button>
                    {user.status === 'deactivated' ? (
                      <button
                        type="button"
                        class="secondary"
                        disabled={busyId === user.id}
                        onClick={() => setActive(user, true)}
                        aria-label={`Reactivate ${user.full_name}`}
                      >
                        Reactivate
                      </button>
                    ) : (
                      <button
                        type="button"
                        class="secondary danger"
                        disabled={busyId === user.id}
                        onClick={() => setActive(user, false)}
                        aria-label={`Suspend ${user.full_name}`}
                      >
                        Suspend
                      </button>
                    )}
                  </div>
                )
              )}
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" class="secondary" onClick={() => void load(cursor)}>
          Show more users
        </button>
      )}
    </Page>
  );
}

const article = (role: Role) => (role === 'admin' ? 'an' : 'a');
