import { useEffect, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import { formatDateTime, validTimeZone } from '../format';
import { onFrame } from '../live';
import { Alert, Loading, Page, Status } from '../ui';
import { setUnread, useUnread } from '../unread';

type Notification = Schemas['Notification'];

/** In-app notifications (docs/API.md §6): newest first, new ones arrive live; mark one or all read. */
export function Notifications(props: { user: User }) {
  const timeZone = validTimeZone(props.user.time_zone);
  const [items, setItems] = useState<Notification[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const unread = useUnread();

  async function load(after: string | null = null) {
    try {
      const { data, error: problem } = await api.GET('/api/v1/notifications', { params: { query: { limit: 50, ...(after && { cursor: after }) } } });
      if (!data) return setError(problemText(problem, 'Your notifications could not be loaded.'));
      setItems((list) => (after && list ? [...list, ...data.items] : data.items));
      setCursor(data.next_cursor);
    } catch (err) {
      setError(networkText(err));
    }
  }

  useEffect(() => {
    void load();
    return onFrame((frame) => {
      const n = frame.type === 'notification' ? (frame.notification as Notification | undefined) : undefined;
      if (n?.id) setItems((list) => (list && !list.some((x) => x.id === n.id) ? [n, ...list] : list));
    });
  }, []);

  async function markRead(n: Notification) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const { data, error: problem } = await api.POST('/api/v1/notifications/{id}/read', { params: { path: { id: n.id } } });
      if (!data) return setError(problemText(problem, 'The notification could not be marked read.'));
      setItems((list) => list?.map((x) => (x.id === n.id ? data : x)) ?? list);
      setUnread(unread - (n.read ? 0 : 1));
      setStatus(`"${n.title}" marked as read.`);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  async function markAll() {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const { data, error: problem } = await api.POST('/api/v1/notifications/read-all');
      if (!data) return setError(problemText(problem, 'The notifications could not be marked read.'));
      const now = new Date().toISOString();
      setItems((list) => list?.map((x) => (x.read ? x : { ...x, read: true, read_at: now })) ?? list);
      setUnread(0);
      setStatus(data.updated === 1 ? '1 notification marked as read.' : `${data.updated} notifications marked as read.`);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  const anyUnread = items?.some((n) => !n.read) ?? false;
  return (
    <Page title="Notifications">
      <Alert message={error} />
      <Status message={status} />
      {items === null && !error && <Loading what="notifications" />}
      {items && items.length === 0 && <p>No notifications yet.</p>}
      {items && items.length > 0 && (
        <>
          <p>
            {unread === 0 ? 'Everything is read.' : `${unread} unread.`}{' '}
            {anyUnread && (
              <button type="button" class="secondary" disabled={busy} onClick={() => void markAll()}>
                Mark all as read
              </button>
            )}
          </p>
          <ul class="cards">
            {items.map((n) => (
              <li key={n.id} class={`card${n.read ? '' : ' unread'}`}>
                <h2 class="h3">
                  {!n.read && <span class="badge">New</span>} {n.title}
                </h2>
                <p>{n.body}</p>
                <p class="muted">{formatDateTime(n.created_at, timeZone)}</p>
                {!n.read && (
                  <button type="button" class="secondary" disabled={busy} onClick={() => void markRead(n)} aria-label={`Mark "${n.title}" as read`}>
                    Mark as read
                  </button>
                )}
              </li>
            ))}
          </ul>
          {cursor && (
            <button type="button" class="secondary" onClick={() => void load(cursor)}>
              Show older notifications
            </button>
          )}
        </>
      )}
    </Page>
  );
}
