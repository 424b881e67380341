import { refreshSession, session } from './api/client';

/**
 * The live socket (docs/REALTIME.md): one per tab while signed in, shared by Messages and the
 * notification badge. It authenticates with its first frame (the access token never goes into
 * the URL, where proxies log it), reconnects with backoff after any drop (close 4401 — an expired
 * access token — refreshes the session first), and after each reconnect `resume`s every room a
 * page listens to from the last seq it saw, so nothing said meanwhile is lost or shown twice.
 */
export type Frame = { type: string; [key: string]: unknown };
export type LiveState = 'connecting' | 'online' | 'offline';

const frameListeners = new Set<(frame: Frame) => void>();
const stateListeners = new Set<(state: LiveState) => void>();
/** Rooms pages follow, with the last seq each has shown: replayed after a reconnect. */
const followed = new Map<string, number>();

let socket: WebSocket | null = null;
let state: LiveState = 'offline';
let attempt = 0;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let wanted = false;

function setState(next: LiveState) {
  state = next;
  stateListeners.forEach((listener) => listener(next));
}

function connect() {
  const token = session.accessToken();
  if (!wanted || !token) return;
  setState('connecting');
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws`);
  socket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token }));
  ws.onmessage = (event) => {
    if (socket !== ws) return;
    let frame: Frame;
    try {
      frame = JSON.parse(String(event.data)) as Frame;
    } catch {
      return;
    }
    if (frame.type === 'ready') {
      attempt = 0;
      setState('online');
      for (const [roomId, afterSeq] of followed) ws.send(JSON.stringify({ type: 'resume', room_id: roomId, after_seq: afterSeq }));
    }
    frameListeners.forEach((listener) => listener(frame));
  };
  ws.onclose = (event) => {
    if (socket !== ws) return;
    socket = null;
    setState('offline');
    if (!wanted) return;
    // 1s, 2s, 4s … up to 30 s, with jitter so a restarted server is not hit by every tab at once.
    const delay = Math.min(30_000, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt += 1;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (event.code === 4401) void refreshSession().then((ok) => (ok ? connect() : session.end('expired')));
      else connect();
    }, delay);
  };
}

/** Called when the session starts or ends (main.tsx). */
export function liveSession(signedIn: boolean) {
  wanted = signedIn;
  if (signedIn && !socket && !retryTimer) connect();
  if (!signedIn) {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    followed.clear();
    const ws = socket;
    socket = null;
    // Closing a socket that is still connecting makes the browser log an error: close it once open.
    if (ws?.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close(1000, 'signed out');
    else ws?.close(1000, 'signed out');
    setState('offline');
  }
}

// The browser says it is back online: try at once instead of waiting out the backoff.
window.addEventListener('online', () => {
  if (wanted && !socket) {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    attempt = 0;
    connect();
  }
});

export function onFrame(listener: (frame: Frame) => void): () => void {
  frameListeners.add(listener);
  return () => frameListeners.delete(listener);
}

export function onLiveState(listener: (state: LiveState) => void): () => void {
  stateListeners.add(listener);
  listener(state);
  return () => stateListeners.delete(listener);
}

/** Sends a frame if the socket is up; false otherwise (the caller falls back to REST). */
export function sendFrame(frame: Frame): boolean {
  if (!socket || socket.readyState !== WebSocket.OPEN || state !== 'online') return false;
  socket.send(JSON.stringify(frame));
  return true;
}

/** A page shows this room: after a reconnect it is resumed from `lastSeq`. */
export function followRoom(roomId: string, lastSeq: number): () => void {
  followed.set(roomId, Math.max(lastSeq, followed.get(roomId) ?? 0));
  return () => followed.delete(roomId);
}

export function sawSeq(roomId: string, seq: number) {
  if (followed.has(roomId)) followed.set(roomId, Math.max(seq, followed.get(roomId) ?? 0));
}
