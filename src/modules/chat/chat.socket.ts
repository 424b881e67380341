import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket, RawData } from 'ws';
import { Compile } from 'typebox/compile';
import type { Actor } from '../../platform/access.js';
import type { AccessTokens } from '../../platform/auth/tokens.js';
import type { Authenticator } from '../../platform/http/auth.js';
import type { RequestMeta } from '../../platform/http/request-meta.js';
import { AppError, UnauthorizedError } from '../../platform/errors.js';
import { ClientFrames, type ClientFrame } from './chat.schemas.js';
import { frameErrorCode } from './chat.errors.js';
import { CLOSE, parseFrame } from '../../platform/ws/frames.js';
import { messageFrame, type ChatService } from './chat.service.js';
import { Connection, type Frame, type Hub } from './hub.js';

export interface SocketSettings {
  heartbeatMs: number;
  typingTtlMs: number;
  awayAfterMs: number;
  authTimeoutMs: number;
  /** Largest text frame handled; the message body itself is limited to 8 KB by the service. */
  maxFrameBytes: number;
  /** Token bucket per socket: burst and sustained frames per second. Exceeding it closes with 4429. */
  burst: number;
  perSecond: number;
}

const validators = Object.fromEntries(Object.entries(ClientFrames).map(([type, schema]) => [type, Compile(schema)])) as Record<
  string,
  ReturnType<typeof Compile>
>;

interface SocketState {
  ws: WebSocket;
  conn: Connection | null;
  actor: Actor | null;
  /** The access token the socket authenticated with, re-checked when the user's sessions change. */
  token: string | null;
  alive: boolean;
  tokens: number;
  refilledAt: number;
  inbox: Promise<void>;
  queued: number;
  timers: Set<NodeJS.Timeout>;
  expiry: NodeJS.Timeout | null;
  typing: Map<string, NodeJS.Timeout>;
  closed: boolean;
  /** The upgrade request's origin, for the audit rows of the messages this socket sends. */
  origin: Omit<RequestMeta, 'actor'> | null;
}

/**
 * The chat socket protocol (docs/API.md §4): authentication (query token or first `auth` frame),
 * validation of every frame, per-socket flood control, heartbeats, token expiry (4401), and
 * the mapping of frames onto ChatService calls. Frames of one socket are handled in order.
 */
export class ChatSockets {
  private readonly sockets = new Set<SocketState>();
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly authenticator: Authenticator,
    private readonly tokens: AccessTokens,
    private readonly service: ChatService,
    private readonly hub: Hub,
    private readonly log: FastifyBaseLogger,
    private readonly settings: SocketSettings,
  ) {}

  get count(): number {
    return this.sockets.size;
  }

  private ensureHeartbeat(): void {
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => void this.beat(), this.settings.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Pings every socket; one that did not answer the previous ping is terminated (dead). */
  private async beat(): Promise<void> {
    for (const state of this.sockets) {
      if (!state.alive) {
        state.ws.terminate();
        continue;
      }
      state.alive = false;
      try {
        state.ws.ping();
      } catch {
        /* closing */
      }
    }
    await this.hub.refreshPresence(this.settings.awayAfterMs).catch((err) => this.log.warn({ err }, 'presence refresh failed'));
  }

  /**
   * A user's sessions changed (logout, password change, deactivation…): every socket of that
   * user re-checks its token's session, and one whose session has ended is closed with 4401
   * at once instead of living on until the token expires.
   */
  async revalidateUser(userId: string): Promise<void> {
    for (const state of this.sockets) {
      if (state.closed || state.actor?.id !== userId || !state.token) continue;
      const token = state.token;
      this.enqueue(state, async () => {
        try {
          await this.authenticator.authenticate(token);
        } catch {
          this.send(state, { type: 'error', code: 'session_ended', detail: 'This session has ended; sign in again.' });
          this.close(state, CLOSE.unauthenticated, 'session ended');
        }
      });
    }
  }

  handle(ws: WebSocket, options: { token?: string; expectUserId?: string; origin?: Omit<RequestMeta, 'actor'> }): void {
    this.ensureHeartbeat();
    const state: SocketState = {
      ws,
      conn: null,
      actor: null,
      token: null,
      alive: true,
      tokens: this.settings.burst,
      refilledAt: Date.now(),
      inbox: Promise.resolve(),
      queued: 0,
      timers: new Set(),
      expiry: null,
      typing: new Map(),
      closed: false,
      origin: options.origin ?? null,
    };
    this.sockets.add(state);
    ws.on('pong', () => {
      state.alive = true;
    });
    ws.on('error', () => {});
    ws.on('close', () => void this.cleanup(state));
    ws.on('message', (data, isBinary) => this.onMessage(state, data, isBinary, options.expectUserId));

    if (options.token) {
      this.enqueue(state, () => this.authenticate(state, options.token!, options.expectUserId));
    } else {
      const timer = setTimeout(() => {
        if (!state.actor) this.close(state, CLOSE.unauthenticated, 'authentication timeout: send {"type":"auth","token":...} first');
      }, this.settings.authTimeoutMs);
      state.timers.add(timer);
    }
  }

  private send(state: SocketState, frame: Frame): void {
    if (state.ws.readyState === state.ws.OPEN) state.ws.send(JSON.stringify(frame));
  }

  private close(state: SocketState, code: number, reason: string): void {
    if (state.closed) return;
    state.closed = true;
    state.ws.close(code, reason.slice(0, 120));
  }

  private onMessage(state: SocketState, data: RawData, isBinary: boolean, expectUserId?: string): void {
    if (state.closed) return;
    // Flood control: a token bucket per socket, checked before any parsing.
    const now = Date.now();
    state.tokens = Math.min(this.settings.burst, state.tokens + ((now - state.refilledAt) / 1000) * this.settings.perSecond);
    state.refilledAt = now;
    if (state.tokens < 1 || state.queued > 2 * this.settings.burst) {
      this.send(state, { type: 'error', code: 'rate_limited', detail: 'Too many frames; the connection is closed. Reconnect and resume.' });
      this.close(state, CLOSE.flood, 'too many frames');
      return;
    }
    state.tokens -= 1;
    state.alive = true;
    const parsed = parseFrame<ClientFrame>(data, isBinary, this.settings.maxFrameBytes, validators);
    if ('error' in parsed) {
      this.send(state, { type: 'error', ...parsed.error });
      return;
    }
    const frame = parsed.frame;
    if (!state.actor && frame.type !== 'auth' && frame.type !== 'ping') {
      // Frames sent right after a query-token connect wait for that authentication.
      if (state.queued === 0) {
        this.send(state, { type: 'error', code: 'unauthenticated', detail: 'Authenticate first: {"type":"auth","token":"<access token>"}.', ref: frame.type });
        return;
      }
    }
    this.enqueue(state, () => this.dispatch(state, frame, expectUserId));
  }

  private enqueue(state: SocketState, work: () => Promise<void>): void {
    state.queued += 1;
    state.inbox = state.inbox
      .then(async () => {
        if (!state.closed) await work();
      })
      .catch((err) => this.log.error({ err }, 'chat socket handler failed'))
      .finally(() => {
        state.queued -= 1;
      });
  }

  private async authenticate(state: SocketState, token: string, expectUserId?: string): Promise<void> {
    let actor: Actor;
    let exp: number;
    try {
      actor = await this.authenticator.authenticate(token);
      exp = this.tokens.verify(token).exp;
    } catch (err) {
      const detail = err instanceof AppError ? err.detail : 'The access token is invalid.';
      this.send(state, { type: 'error', code: 'unauthenticated', detail });
      this.close(state, CLOSE.unauthenticated, detail);
      return;
    }
    if (actor.status !== 'active') {
      this.close(state, CLOSE.forbidden, 'account awaiting approval');
      return;
    }
    if ((expectUserId && expectUserId !== actor.id) || (state.actor && state.actor.id !== actor.id)) {
      this.send(state, { type: 'error', code: 'forbidden', detail: 'The token belongs to another user.' });
      this.close(state, CLOSE.forbidden, 'token does not match the user');
      return;
    }
    if (state.expiry) clearTimeout(state.expiry);
    const ms = Math.min(exp * 1000 - Date.now(), 2 ** 31 - 1);
    state.expiry = setTimeout(
      () => {
        this.send(state, {
          type: 'error',
          code: 'token_expired',
          detail: 'The access token expired; reconnect with a fresh one (or send a new auth frame before expiry).',
        });
        this.close(state, CLOSE.unauthenticated, 'access token expired');
      },
      Math.max(0, ms),
    );
    const first = !state.actor;
    state.actor = actor;
    state.token = token;
    for (const timer of state.timers) clearTimeout(timer);
    state.timers.clear();
    if (!first) {
      this.send(state, { type: 'auth_ok', user_id: actor.id, expires_at: new Date(exp * 1000).toISOString() });
      return;
    }
    const conn = new Connection(
      actor.id,
      actor.role,
      { send: (text) => state.ws.readyState === state.ws.OPEN && state.ws.send(text) },
      async (roomId, afterSeq, limit) => {
        const rows = await this.service.messagesAfter(roomId, afterSeq, limit);
        return rows.map((row) => ({ seq: row.seq, frame: messageFrame(row) }));
      },
      this.log,
    );
    const rooms = await this.service.roomsForSocket(actor.id);
    state.conn = conn;
    await this.hub.attach(conn, rooms);
    if (state.closed) {
      await this.hub.detach(conn);
      return;
    }
    const peers = await this.service.peersOf(actor.id);
    const statuses = await this.hub.presenceStore.status(peers);
    this.send(state, {
      type: 'ready',
      user_id: actor.id,
      role: actor.role,
      expires_at: new Date(exp * 1000).toISOString(),
      rooms: rooms.map((r) => ({ room_id: r.id, last_seq: r.last_seq })),
      presence: peers.map((id) => ({ user_id: id, status: statuses.get(id) ?? 'offline' })),
      heartbeat_ms: this.settings.heartbeatMs,
    });
  }

  private async dispatch(state: SocketState, frame: ClientFrame, expectUserId?: string): Promise<void> {
    if (frame.type === 'ping') {
      this.send(state, { type: 'pong', ts: frame.ts ?? Date.now() });
      return;
    }
    if (frame.type === 'auth') {
      await this.authenticate(state, frame.token, expectUserId);
      return;
    }
    const actor = state.actor;
    const conn = state.conn;
    if (!actor || !conn) {
      this.send(state, { type: 'error', code: 'unauthenticated', detail: 'Authenticate first: {"type":"auth","token":"<access token>"}.', ref: frame.type });
      return;
    }
    conn.lastActivity = Date.now();
    if (conn.status === 'away' && !conn.manualAway) {
      conn.status = 'online';
      await this.hub.announceUserStatus(conn);
    }
    try {
      await this.handleFrame(state, actor, conn, frame);
    } catch (err) {
      if (err instanceof AppError) {
        const ref: Frame = { type: 'error', code: frameErrorCode(err), detail: err.detail, ref: frame.type };
        if ('room_id' in frame) ref.room_id = frame.room_id;
        if ('client_msg_id' in frame && frame.client_msg_id) ref.client_msg_id = frame.client_msg_id;
        if (err instanceof UnauthorizedError) {
          this.send(state, ref);
          this.close(state, CLOSE.unauthenticated, err.detail);
          return;
        }
        this.send(state, ref);
        return;
      }
      this.log.error({ err, frame: frame.type }, 'chat frame failed');
      this.send(state, {
        type: 'error',
        code: 'internal',
        detail: 'The frame could not be processed; nothing was stored unless acknowledged. Try again.',
        ref: frame.type,
      });
    }
  }

  private async ensureTracked(actor: Actor, conn: Connection, roomId: string): Promise<void> {
    if (conn.inRoom(roomId)) return;
    const room = await this.service.joinCheck(actor, roomId);
    await this.hub.join(conn, roomId, room.last_seq);
  }

  private async handleFrame(state: SocketState, actor: Actor, conn: Connection, frame: ClientFrame): Promise<void> {
    switch (frame.type) {
      case 'chat_message':
      case 'file_share': {
        const isFile = frame.type === 'file_share';
        const { message, duplicate } = await this.service.send(actor, {
          roomId: frame.room_id,
          content: isFile ? (frame.caption ?? '') : frame.content,
          clientMsgId: frame.client_msg_id ?? null,
          fileId: isFile ? frame.file_id : null,
          origin: state.origin,
        });
        if (!conn.inRoom(frame.room_id)) await this.hub.join(conn, frame.room_id, message.seq - 1);
        this.stopTyping(state, actor, frame.room_id, false);
        this.send(state, {
          type: 'ack',
          client_msg_id: frame.client_msg_id ?? null,
          message_id: message.id,
          room_id: message.room_id,
          seq: message.seq,
          duplicate,
          created_at: message.created_at.toISOString(),
        });
        return;
      }
      case 'typing':
      case 'typing_indicator': {
        await this.ensureTracked(actor, conn, frame.room_id);
        if (frame.is_typing) {
          const key = frame.room_id;
          const previous = state.typing.get(key);
          if (previous) clearTimeout(previous);
          // Typing expires after 5 s unless renewed: the server announces the stop itself.
          state.typing.set(
            key,
            setTimeout(() => this.stopTyping(state, actor, key, true), this.settings.typingTtlMs),
          );
          await this.service.typing(actor, frame.room_id, true, this.settings.typingTtlMs);
        } else {
          this.stopTyping(state, actor, frame.room_id, true);
        }
        return;
      }
      case 'read': {
        const result = await this.service.markRead(actor, frame.room_id, frame.up_to_seq);
        this.send(state, { type: 'read_ok', ...result });
        return;
      }
      case 'join': {
        const room = await this.service.joinCheck(actor, frame.room_id);
        await this.hub.join(conn, frame.room_id, conn.lastSeq(frame.room_id) ?? room.last_seq);
        this.send(state, { type: 'joined', room_id: frame.room_id, last_seq: room.last_seq });
        return;
      }
      case 'leave': {
        await this.service.leave(actor, frame.room_id);
        this.stopTyping(state, actor, frame.room_id, false);
        this.send(state, { type: 'left', room_id: frame.room_id });
        return;
      }
      case 'resume': {
        await this.ensureTracked(actor, conn, frame.room_id);
        await conn.resume(frame.room_id, frame.after_seq);
        return;
      }
      case 'presence': {
        conn.status = frame.status;
        conn.manualAway = frame.status === 'away';
        await this.hub.announceUserStatus(conn);
        return;
      }
    }
  }

  private stopTyping(state: SocketState, actor: Actor, roomId: string, announce: boolean): void {
    const timer = state.typing.get(roomId);
    if (!timer && !announce) return;
    if (timer) clearTimeout(timer);
    state.typing.delete(roomId);
    if (timer || announce) void this.service.typing(actor, roomId, false, 0).catch(() => {});
  }

  private async cleanup(state: SocketState): Promise<void> {
    state.closed = true;
    this.sockets.delete(state);
    for (const timer of state.timers) clearTimeout(timer);
    if (state.expiry) clearTimeout(state.expiry);
    for (const [roomId, timer] of state.typing) {
      clearTimeout(timer);
      if (state.actor) void this.service.typing(state.actor, roomId, false, 0).catch(() => {});
    }
    state.typing.clear();
    // Wait for in-flight frames (an ack being written) before unregistering.
    await state.inbox.catch(() => {});
    if (state.conn) await this.hub.detach(state.conn).catch((err) => this.log.warn({ err }, 'presence cleanup failed'));
  }

  /** Graceful shutdown: tell every client to reconnect (elsewhere) and resume. */
  async closeAll(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const state of this.sockets) {
      this.send(state, { type: 'error', code: 'server_shutdown', detail: 'The server is restarting; reconnect and resume.' });
      this.close(state, CLOSE.goingAway, 'server shutting down; reconnect and resume');
    }
    const pending = [...this.sockets].map((s) => s.inbox.catch(() => {}));
    await Promise.all(pending);
  }
}
