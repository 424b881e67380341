import { useEffect, useState } from 'preact/hooks';
import { api } from './api/client';
import { onFrame } from './live';

/**
 * The unread-notification count behind the badge in the navigation: read once at sign-in, then
 * kept current by the socket's `notification` frames (each carries `unread_count`) and by the
 * Notifications page when the user marks something read.
 */
let unread = 0;
const listeners = new Set<(n: number) => void>();

export function setUnread(n: number) {
  unread = Math.max(0, n);
  listeners.forEach((listener) => listener(unread));
}

export async function refreshUnread() {
  try {
    const { data } = await api.GET('/api/v1/notifications/unread-count');
    if (data) setUnread(data.unread);
  } catch {
    // Offline: the badge keeps its last value; the socket's next frame or a reload corrects it.
  }
}

onFrame((frame) => {
  if (frame.type === 'notification' && typeof frame.unread_count === 'number') setUnread(frame.unread_count);
  // After a reconnect the count may have moved while the socket was down.
  if (frame.type === 'ready') void refreshUnread();
});

export function useUnread(): number {
  const [n, setN] = useState(unread);
  useEffect(() => {
    listeners.add(setN);
    setN(unread);
    return () => listeners.delete(setN);
  }, []);
  return n;
}
