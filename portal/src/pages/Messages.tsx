import { useEffect, useRef, useState } from 'preact/hooks';
import { api, networkText, problemText, type Schemas, type User } from '../api/client';
import { formatDateTime, formatTime, dayKey, validTimeZone } from '../format';
import { followRoom, onFrame, onLiveState, sawSeq, sendFrame, type Frame, type LiveState } from '../live';
import { linkClick, navigate } from '../router';
import { Alert, Loading, Page, Status } from '../ui';
import { VisitLink } from './VideoVisit';

type Room = Schemas['ChatRoom'];
type Message = Schemas['ChatMessage'];

/** The people in a room other than me, by name ("Dr Ada Lovelace, Nurse Joy"). */
function others(room: Room, me: User): string {
  const names = room.participants.filter((p) => p.user_id !== me.id).map((p) => p.full_name);
  return room.title ?? (names.length ? names.join(', ') : 'Only you');
}

/** People the user may start a direct conversation with: from their appointments (a care relationship). */
function useContacts(user: User) {
  const [contacts, setContacts] = useState<{ id: string; name: string }[]>([]);
  useEffect(() => {
    if (user.role !== 'patient' && user.role !== 'doctor') return;
    api
      .GET('/api/v1/appointments', { params: { query: { limit: 100 } } })
      .then(({ data }) => {
        const seen = new Map<string, string>();
        for (const a of data?.items ?? []) {
          if (user.role === 'patient') seen.set(a.doctor_id, a.doctor_name);
          else seen.set(a.patient_id, a.patient_name);
        }
        setContacts([...seen].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name)));
      })
      .catch(() => setContacts([]));
  }, [user.id]);
  return contacts;
}

export function Conversations(props: { user: User }) {
  const { user } = props;
  const timeZone = validTimeZone(user.time_zone);
  const [rooms, setRooms] = useState<Room[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [contact, setContact] = useState('');
  const [busy, setBusy] = useState(false);
  const contacts = useContacts(user);

  async function load() {
    try {
      const { data, error: problem } = await api.GET('/api/v1/chat/rooms', { params: { query: { limit: 100 } } });
      if (!data) return setError(problemText(problem, 'Your conversations could not be loaded.'));
      setRooms(data.items.filter((room) => room.kind !== 'assistant'));
    } catch (err) {
      setError(networkText(err));
    }
  }
  useEffect(() => {
    void load();
    // A new message or a new room anywhere: the list (unread counts, last message) is re-read.
    return onFrame((frame) => {
      if (frame.type === 'chat_message' || frame.type === 'room_added' || frame.type === 'ready') void load();
    });
  }, []);

  async function start(event: Event) {
    event.preventDefault();
    if (!contact || busy) return;
    setBusy(true);
    setError(null);
    try {
      const { data, error: problem } = await api.POST('/api/v1/chat/rooms', { body: { kind: 'direct', participant_ids: [contact] } });
      if (!data) return setError(problemText(problem, 'The conversation could not be opened.'));
      navigate(`/messages/${data.id}`);
    } catch (err) {
      setError(networkText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Messages">
      <Alert message={error} />
      {contacts.length > 0 && (
        <form class="form inline" onSubmit={start}>
          <div>
            <label for="contact">{user.role === 'patient' ? 'Write to one of your doctors' : 'Write to one of your patients'}</label>
            <select id="contact" value={contact} onChange={(e) => setContact(e.currentTarget.value)}>
              <option value="">Choose…</option>
              {contacts.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" disabled={busy || !contact}>
            Open conversation
          </button>
        </form>
      )}
      <h2>Conversations</h2>
      {rooms === null && !error && <Loading what="conversations" />}
      {rooms && rooms.length === 0 && <p>No conversations yet.</p>}
      {rooms && rooms.length > 0 && (
        <ul class="cards">
          {rooms.map((room) => (
            <li key={room.id} class={`card${room.unread_count > 0 ? ' unread' : ''}`}>
              <h3>
                <a href={`/messages/${room.id}`} onClick={linkClick}>
                  {others(room, user)}
                </a>
                {room.unread_count > 0 && <span class="badge">{room.unread_count} new</span>}
              </h3>
              {room.last_message ? (
                <p class="muted">
                  {room.last_message.content.slice(0, 120) || 'A file'} · {formatDateTime(room.last_message.created_at, timeZone)}
                </p>
              ) : (
                <p class="muted">No messages yet.</p>
              )}
            </li>
          ))}
        </ul>
      )}
    </Page>
  );
}

function fromFrame(frame: Frame): Message {
  return {
    id: frame.message_id as string,
    room_id: frame.room_id as string,
    seq: frame.seq as number,
    sender_id: (frame.sender_id as string | null) ?? null,
    sender_role: frame.sender_role as Message['sender_role'],
    content: (frame.content as string) ?? '',
    created_at: frame.created_at as string,
    kind: (frame.kind as Message['kind']) ?? 'text',
    file_id: (frame.file_id as string | null) ?? null,
    client_msg_id: (frame.client_msg_id as string | null) ?? null,
  };
}

/** The file name of an RFC 6266 Content-Disposition header (the UTF-8 form when present). */
function filenameOf(header: string | null): string | null {
  if (!header) return null;
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(header)?.[1];
  if (utf8) {
    try {
      return decodeURIComponent(utf8);
    } catch {
      /* fall back to the plain name */
    }
  }
  return /filename="([^"]+)"/i.exec(header)?.[1] ?? null;
}

/** Messages in seq order, each once (a live frame and a REST reply may bring the same one). */
function merge(list: Message[], more: Message[]): Message[] {
  const bySeq = new Map(list.map((m) => [m.seq, m]));
  for (const m of more) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

export function Conversation(props: { user: User; roomId: string }) {
  const { user, roomId } = props;
  const timeZone = validTimeZone(user.time_zone);
  const [room, setRoom] = useState<Room | null>(null);
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [older, setOlder] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [sending, setSending] = useState(false);
  const [typing, setTyping] = useState<Record<string, number>>({});
  const [readUpTo, setReadUpTo] = useState<Record<string, number>>({});
  const [live, setLive] = useState<LiveState>('offline');
  const [status, setStatus] = useState<string | null>(null);
  const lastTypingSent = useRef(0);
  const logRef = useRef<HTMLOListElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  /** The last upload: sending again after a failed message does not upload the same file twice. */
  const uploaded = useRef<{ file: File; id: string } | null>(null);

  const lastSeq = messages?.length ? messages[messages.length - 1]!.seq : 0;

  useEffect(() => {
    let stop = () => {};
    let cancelled = false;
    (async () => {
      try {
        const [roomReply, history] = await Promise.all([
          api.GET('/api/v1/chat/rooms/{id}', { params: { path: { id: roomId } } }),
          api.GET('/api/v1/chat/rooms/{id}/history', { params: { path: { id: roomId }, query: { limit: 50 } } }),
        ]);
        if (cancelled) return;
        if (!roomReply.data || !history.data) return setError(problemText(roomReply.error ?? history.error, 'This conversation could not be opened.'));
        setRoom(roomReply.data);
        setMessages(history.data.items);
        setOlder(history.data.next_before_seq);
        const last = history.data.items.at(-1)?.seq ?? 0;
        stop = followRoom(roomId, last);
        // Receipts of what the others already read, so "Seen" is right from the start.
        const reads: Record<string, number> = {};
        for (const p of roomReply.data.participants) if (p.user_id !== user.id) reads[p.user_id] = 0;
        setReadUpTo(reads);
      } catch (err) {
        if (!cancelled) setError(networkText(err));
      }
    })();
    return () => {
      cancelled = true;
      stop();
    };
  }, [roomId]);

  useEffect(
    () =>
      onFrame((frame) => {
        if (frame.room_id !== roomId) return;
        if (frame.type === 'chat_message') {
          const message = fromFrame(frame);
          sawSeq(roomId, message.seq);
          setMessages((list) => (list ? merge(list, [message]) : list));
          if (message.sender_id) setTyping((t) => ({ ...t, [message.sender_id!]: 0 }));
        } else if (frame.type === 'typing' && frame.user_id !== user.id) {
          setTyping((t) => ({ ...t, [frame.user_id as string]: frame.is_typing ? Date.now() + ((frame.expires_in_ms as number) || 5000) : 0 }));
        } else if (frame.type === 'read_receipt' && frame.user_id !== user.id) {
          setReadUpTo((r) => ({ ...r, [frame.user_id as string]: Math.max(r[frame.user_id as string] ?? 0, frame.up_to_seq as number) }));
        }
      }),
    [roomId],
  );
  useEffect(() => onLiveState(setLive), []);

  // What is on screen is read: tell the server (the unread badge and the sender's "Seen").
  useEffect(() => {
    if (!lastSeq || document.visibilityState === 'hidden') return;
    if (!sendFrame({ type: 'read', room_id: roomId, up_to_seq: lastSeq })) {
      void api.POST('/api/v1/chat/rooms/{id}/read', { params: { path: { id: roomId } }, body: { up_to_seq: lastSeq } }).catch(() => undefined);
    }
    logRef.current?.lastElementChild?.scrollIntoView({ block: 'nearest' });
  }, [lastSeq]);

  // Typing indicators expire on their own (the server also says so after 5 s).
  useEffect(() => {
    const timer = setInterval(() => setTyping((t) => (Object.values(t).some((until) => until && until < Date.now()) ? { ...t } : t)), 1000);
    return () => clearInterval(timer);
  }, []);

  async function send(event: Event) {
    event.preventDefault();
    if ((!draft.trim() && !file) || sending) return;
    setSending(true);
    setError(null);
    // A file goes up first (POST /files); the message then shares it. Its text is the caption, or
    // the file's name so the others see what it is.
    let fileId: string | undefined;
    if (file) {
      if (uploaded.current?.file !== file) {
        const id = await uploadFile(file);
        if (!id) return setSending(false);
        uploaded.current = { file, id };
      }
      fileId = uploaded.current.id;
    }
    const content = draft.trim() || (file?.name ?? '');
    // The same client_msg_id on a retry: the server stores the message once (docs/REALTIME.md).
    const clientMsgId = crypto.randomUUID();
    try {
      let attempt = 0;
      for (;;) {
        try {
          const { data, error: problem } = await api.POST('/api/v1/chat/rooms/{id}/messages', {
            params: { path: { id: roomId } },
            body: { content, client_msg_id: clientMsgId, ...(fileId && { file_id: fileId }) },
          });
          if (!data) return setError(problemText(problem, 'Your message was not sent.'));
          setMessages((list) => merge(list ?? [], [data]));
          sawSeq(roomId, data.seq);
          setDraft('');
          setFile(null);
          if (fileInput.current) fileInput.current.value = '';
          setStatus('Message sent.');
          sendFrame({ type: 'typing', room_id: roomId, is_typing: false });
          lastTypingSent.current = 0;
          return;
        } catch (err) {
          // A network error: the message may or may not have arrived; resending is safe.
          if (++attempt >= 3) return setError(`${networkText(err)} Your message is kept below; send it again when you are back online.`);
          await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
        }
      }
    } finally {
      setSending(false);
    }
  }

  /** Uploads the chosen file; the problem's detail (too big, a type not accepted) is shown and the draft kept. */
  async function uploadFile(chosen: File): Promise<string | null> {
    const form = new FormData();
    form.append('file', chosen, chosen.name);
    try {
      // Multipart: openapi-fetch hands FormData to fetch as is (the browser sets the boundary).
      const { data, error: problem } = await api.POST('/api/v1/files', { body: form as never });
      if (!data) {
        setError(problemText(problem, `${chosen.name} could not be uploaded.`));
        return null;
      }
      return data.id;
    } catch (err) {
      setError(`${networkText(err)} Your file was not sent.`);
      return null;
    }
  }

  /** The download needs the bearer token, so the file is fetched and handed to the browser. */
  async function download(message: Message) {
    if (!message.file_id) return;
    setError(null);
    try {
      const {
        data,
        error: problem,
        response,
      } = await api.GET('/api/v1/files/{id}/download', {
        params: { path: { id: message.file_id } },
        parseAs: 'blob',
      });
      if (!data) return setError(problemText(problem, 'The file could not be downloaded.'));
      const url = URL.createObjectURL(data as Blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = filenameOf(response.headers.get('content-disposition')) ?? (message.content || 'file');
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setStatus(`Downloaded ${link.download}.`);
    } catch (err) {
      setError(networkText(err));
    }
  }

  function onDraft(value: string) {
    setDraft(value);
    const now = Date.now();
    if (value && now - lastTypingSent.current > 3000) {
      lastTypingSent.current = now;
      sendFrame({ type: 'typing', room_id: roomId, is_typing: true });
    }
  }

  async function loadOlder() {
    if (older === null) return;
    try {
      const { data, error: problem } = await api.GET('/api/v1/chat/rooms/{id}/history', {
        params: { path: { id: roomId }, query: { limit: 50, before_seq: older } },
      });
      if (!data) return setError(problemText(problem, 'Older messages could not be loaded.'));
      setMessages((list) => merge(list ?? [], data.items));
      setOlder(data.next_before_seq);
    } catch (err) {
      setError(networkText(err));
    }
  }

  const title = room ? `Conversation with ${others(room, user)}` : 'Conversation';
  // A patient and one of their doctors: their video visit is a click away.
  const otherParty = room?.participants.find((p) => p.user_id !== user.id && (user.role === 'patient' ? p.role === 'doctor' : p.role === 'patient'));
  const nameOf = (id: string | null) => room?.participants.find((p) => p.user_id === id)?.full_name ?? 'CareBridge';
  const typers = Object.entries(typing)
    .filter(([, until]) => until > Date.now())
    .map(([id]) => nameOf(id));
  const mine = messages?.filter((m) => m.sender_id === user.id) ?? [];
  const lastMine = mine.at(-1);
  const seen = lastMine && Object.values(readUpTo).some((seq) => seq >= lastMine.seq);
  let lastDay = '';

  return (
    <Page title={title}>
      <p>
        <a href="/messages" onClick={linkClick}>
          All conversations
        </a>
      </p>
      {room?.kind === 'direct' && (user.role === 'patient' || user.role === 'doctor') && otherParty && <VisitLink user={user} otherId={otherParty.user_id} />}
      <Alert message={error} />
      {live !== 'online' && messages && (
        <p class="notice" role="status">
          {live === 'connecting' ? 'Connecting for live messages…' : 'Live updates are paused; reconnecting. Messages you send are still delivered.'}
        </p>
      )}
      {messages === null && !error && <Loading what="messages" />}
      {messages && (
        <>
          {older !== null && (
            <button type="button" class="secondary" onClick={() => void loadOlder()}>
              Show earlier messages
            </button>
          )}
          {messages.length === 0 && <p>No messages yet. Say hello.</p>}
          <div class="chat-log" role="log" aria-label="Messages" aria-live="polite">
            <ol class="chat" ref={logRef}>
              {messages.map((m) => {
                const day = dayKey(m.created_at, timeZone);
                const newDay = day !== lastDay;
                lastDay = day;
                const own = m.sender_id === user.id;
                return (
                  <li key={m.seq} class={own ? 'own' : m.kind === 'system' || m.sender_role === 'system' ? 'system' : 'theirs'}>
                    {newDay && <span class="day-name">{formatDateTime(m.created_at, timeZone).replace(/,?\s*\d{1,2}:\d{2}.*$/, '')}</span>}
                    <span class="who">{own ? 'You' : m.sender_role === 'assistant' ? 'Assistant' : nameOf(m.sender_id)}</span>
                    {m.kind === 'file' && m.file_id ? (
                      <span class="text">
                        Shared a file{m.content ? `: ${m.content}` : ''}{' '}
                        <button type="button" class="link" onClick={() => void download(m)}>
                          Download<span class="sr-only"> {m.content || 'the file'}</span>
                        </button>
                      </span>
                    ) : (
                      <span class="text">{m.kind === 'file' ? `Shared a file${m.content ? `: ${m.content}` : ''}` : m.content}</span>
                    )}
                    <time dateTime={m.created_at}>{formatTime(m.created_at, timeZone)}</time>
                  </li>
                );
              })}
            </ol>
          </div>
          <p class="muted typing" aria-live="polite">
            {typers.length ? `${typers.join(', ')} ${typers.length > 1 ? 'are' : 'is'} typing…` : seen ? 'Seen' : ''}
          </p>
          <form class="form compose" onSubmit={send}>
            <label for="message">Message</label>
            <textarea
              id="message"
              rows={3}
              maxLength={4000}
              value={draft}
              onInput={(e) => onDraft(e.currentTarget.value)}
              onKeyDown={(e) => {
                // Enter sends, Shift+Enter is a new line (as in every chat app).
                if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                  e.preventDefault();
                  e.currentTarget.form?.requestSubmit();
                }
              }}
            />
            <label for="attachment">Attach a file (optional)</label>
            <input
              id="attachment"
              ref={fileInput}
              type="file"
              accept=".pdf,.csv,.png,.jpg,.jpeg,.webp,application/pdf,text/csv,image/png,image/jpeg,image/webp"
              aria-describedby="attachment-hint"
              onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)}
            />
            <p id="attachment-hint" class="hint">
              PDF, CSV, PNG, JPEG or WEBP. Everyone in this conversation can download it.
            </p>
            <p class="hint">Not for emergencies: if you are in danger or very unwell now, call your local emergency number.</p>
            <button type="submit" disabled={sending || (!draft.trim() && !file)}>
              Send
            </button>
          </form>
          <Status message={status} />
        </>
      )}
    </Page>
  );
}
