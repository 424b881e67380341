import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { PubSub } from '../../platform/pubsub.js';
import type { Role } from '../../platform/auth/tokens.js';
import type { PresenceStatus, PresenceStore } from '../../platform/ws/presence.js';

/** What the hub needs from a socket. */
export interface Outlet {
  send(text: string): void;
}

export type Frame = { type: string } & Record<string, unknown>;
/** Loads persisted chat_message frames of a room after a seq, oldest first (gap fill and resume). */
export type FrameLoader = (roomId: string, afterSeq: number, limit: number) => Promise<{ seq: number; frame: Frame }[]>;

const REPLAY_BATCH = 200;

/**
 * One authenticated socket. Per room it remembers the last seq delivered, so chat messages
 * reach it exactly once and in order: duplicates are dropped, a gap (a later seq overtaking
 * an earlier one across instances) is filled from the database before the later one is sent,
 * and `resume` replays from the database while live messages wait behind it.
 */
export class Connection {
  readonly id = randomUUID();
  status: Exclude<PresenceStatus, 'offline'> = 'online';
  /** Set when the user chose `away`; the automatic idle `away` is not sticky. */
  manualAway = false;
  lastActivity = Date.now();
  alive = true;
  private readonly cursors = new Map<string, { lastSeq: number; busy: boolean; chain: Promise<void> }>();
  private readonly presenceSeen = new Map<string, PresenceStatus>();

  constructor(
    readonly userId: string,
    readonly role: Role,
    private readonly outlet: Outlet,
    private readonly loader: FrameLoader,
    private readonly log: FastifyBaseLogger,
  ) {}

  send(frame: Frame | string): void {
    this.outlet.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  get roomIds(): string[] {
    return [...this.cursors.keys()];
  }

  inRoom(roomId: string): boolean {
    return this.cursors.has(roomId);
  }

  track(roomId: string, lastSeq: number): void {
    if (!this.cursors.has(roomId)) this.cursors.set(roomId, { lastSeq, busy: false, chain: Promise.resolve() });
  }

  untrack(roomId: string): void {
    this.cursors.delete(roomId);
  }

  lastSeq(roomId: string): number | undefined {
    return this.cursors.get(roomId)?.lastSeq;
  }

  /** A live chat message (already serialised once for every recipient). */
  deliver(roomId: string, seq: number, text: string): void {
    const cursor = this.cursors.get(roomId);
    if (!cursor) return;
    if (!cursor.busy && seq === cursor.lastSeq + 1) {
      cursor.lastSeq = seq;
      this.send(text);
      return;
    }
    if (!cursor.busy && seq <= cursor.lastSeq) return;
    this.enqueue(roomId, async (c) => {
      if (seq <= c.lastSeq) return;
      if (seq > c.lastSeq + 1) await this.replay(roomId, c, seq - 1);
      if (seq <= c.lastSeq) return;
      c.lastSeq = seq;
      this.send(text);
    });
  }

  /** Replays everything after `afterSeq`, then tells the client where the room stands. */
  resume(roomId: string, afterSeq: number): Promise<void> {
    return this.enqueue(roomId, async (c) => {
      c.lastSeq = afterSeq;
      await this.replay(roomId, c, Number.MAX_SAFE_INTEGER);
      this.send({ type: 'resumed', room_id: roomId, last_seq: c.lastSeq });
    });
  }

  private enqueue(roomId: string, work: (cursor: { lastSeq: number; busy: boolean; chain: Promise<void> }) => Promise<void>): Promise<void> {
    const cursor = this.cursors.get(roomId);
    if (!cursor) return Promise.resolve();
    cursor.busy = true;
    const run = cursor.chain.then(() => work(cursor)).catch((err) => this.log.warn({ err, roomId }, 'chat replay failed'));
    cursor.chain = run.then(() => {
      if (cursor.chain === next) cursor.busy = false;
    });
    const next = cursor.chain;
    return run;
  }

  private async replay(roomId: string, cursor: { lastSeq: number }, upTo: number): Promise<void> {
    for (;;) {
      const want = Math.min(REPLAY_BATCH, upTo - cursor.lastSeq);
      if (want <= 0) return;
      const rows = await this.loader(roomId, cursor.lastSeq, want);
      for (const row of rows) {
        if (row.seq <= cursor.lastSeq) continue;
        cursor.lastSeq = row.seq;
        this.send(row.frame);
      }
      if (rows.length < want) return;
    }
  }

  /** Presence frames are deduplicated per watched user (one user can share several rooms). */
  presence(userId: string, status: PresenceStatus, text: string): void {
    if (userId === this.userId || this.presenceSeen.get(userId) === status) return;
    this.presenceSeen.set(userId, status);
    this.send(text);
  }
}

type RoomEnvelope = { f: Frame; x?: string; seq?: number; p?: { u: string; s: PresenceStatus } };
type UserEnvelope = { f?: Frame; c?: 'room_added' | 'room_removed'; room_id?: string; last_seq?: number };
type AllEnvelope = { f: Frame; role?: Role | null };

/**
 * The per-instance side of real-time delivery. Every instance subscribes (once) to the
 * pub/sub channel of each room and user it has sockets for, so a message published by any
 * instance reaches each local socket exactly once. `ctx.pubsub` is in-process by default
 * and Redis PUBLISH/SUBSCRIBE with REDIS_URL; presence has the same pair (presence.ts).
 */
export class Hub {
  private readonly byUser = new Map<string, Set<Connection>>();
  private readonly byRoom = new Map<string, Set<Connection>>();
  private readonly subscriptions = new Map<string, Promise<() => Promise<void>>>();
  private allSubscription: Promise<() => Promise<void>> | null = null;

  constructor(
    private readonly pubsub: PubSub,
    readonly presenceStore: PresenceStore,
    private readonly log: FastifyBaseLogger,
    /** Current rooms of a user (from the database), to announce a swept user to the right rooms only. */
    private readonly roomsOf: (userId: string) => Promise<string[]>,
  ) {}

  get connectionCount(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  connections(): Connection[] {
    return [...this.byUser.values()].flatMap((set) => [...set]);
  }

  /** Registers a socket with its rooms and announces presence when the user was offline. */
  async attach(conn: Connection, rooms: { id: string; last_seq: number }[]): Promise<void> {
    if (!this.allSubscription) this.allSubscription = this.pubsub.subscribe('chat:all', (m) => this.onAll(m as AllEnvelope));
    let conns = this.byUser.get(conn.userId);
    if (!conns) this.byUser.set(conn.userId, (conns = new Set()));
    conns.add(conn);
    const subs: Promise<unknown>[] = [this.subscribe(`chat:user:${conn.userId}`, (m) => this.onUser(conn.userId, m as UserEnvelope)), this.allSubscription];
    for (const room of rooms) subs.push(this.join(conn, room.id, room.last_seq));
    await Promise.all(subs);
    const before = (await this.presenceStore.status([conn.userId])).get(conn.userId);
    await this.presenceStore.put([{ userId: conn.userId, connId: conn.id, status: conn.status }]);
    if (before !== conn.status && (before !== 'online' || conn.status === 'online')) await this.announcePresence(conn.userId, conn.status, conn.roomIds);
  }

  async detach(conn: Connection): Promise<void> {
    const conns = this.byUser.get(conn.userId);
    const rooms = conn.roomIds;
    if (conns) {
      conns.delete(conn);
      if (conns.size === 0) {
        this.byUser.delete(conn.userId);
        await this.unsubscribe(`chat:user:${conn.userId}`);
      }
    }
    for (const roomId of rooms) await this.leaveLocal(conn, roomId);
    const status = await this.presenceStore.remove(conn.userId, conn.id);
    if (status !== 'online') await this.announcePresence(conn.userId, status, rooms);
  }

  async join(conn: Connection, roomId: string, lastSeq: number): Promise<void> {
    conn.track(roomId, lastSeq);
    let set = this.byRoom.get(roomId);
    if (!set) this.byRoom.set(roomId, (set = new Set()));
    set.add(conn);
    await this.subscribe(`chat:room:${roomId}`, (m) => this.onRoom(roomId, m as RoomEnvelope));
  }

  private async leaveLocal(conn: Connection, roomId: string): Promise<void> {
    conn.untrack(roomId);
    const set = this.byRoom.get(roomId);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) {
      this.byRoom.delete(roomId);
      await this.unsubscribe(`chat:room:${roomId}`);
    }
  }

  private subscribe(channel: string, handler: (message: unknown) => void): Promise<unknown> {
    let sub = this.subscriptions.get(channel);
    if (!sub) {
      sub = this.pubsub.subscribe(channel, handler);
      this.subscriptions.set(channel, sub);
    }
    return sub;
  }

  private async unsubscribe(channel: string): Promise<void> {
    const sub = this.subscriptions.get(channel);
    if (!sub) return;
    this.subscriptions.delete(channel);
    await (await sub)().catch(() => {});
  }

  // ---- publishing (any instance) ----

  publishChat(roomId: string, seq: number, frame: Frame): Promise<void> {
    return this.pubsub.publish(`chat:room:${roomId}`, { f: frame, seq } satisfies RoomEnvelope);
  }

  /** Typing, read receipts, room events: to every socket in the room except the author's. */
  publishRoom(roomId: string, frame: Frame, exceptUserId?: string): Promise<void> {
    return this.pubsub.publish(`chat:room:${roomId}`, { f: frame, x: exceptUserId } satisfies RoomEnvelope);
  }

  publishUser(userId: string, frame: Frame): Promise<void> {
    return this.pubsub.publish(`chat:user:${userId}`, { f: frame } satisfies UserEnvelope);
  }

  roomAdded(userId: string, roomId: string, lastSeq: number): Promise<void> {
    return this.pubsub.publish(`chat:user:${userId}`, { c: 'room_added', room_id: roomId, last_seq: lastSeq } satisfies UserEnvelope);
  }

  roomRemoved(userId: string, roomId: string): Promise<void> {
    return this.pubsub.publish(`chat:user:${userId}`, { c: 'room_removed', room_id: roomId } satisfies UserEnvelope);
  }

  broadcast(frame: Frame, role: Role | null): Promise<void> {
    return this.pubsub.publish('chat:all', { f: frame, role } satisfies AllEnvelope);
  }

  async announcePresence(userId: string, status: PresenceStatus, roomIds: string[]): Promise<void> {
    const frame: Frame = { type: 'presence', user_id: userId, status };
    await Promise.all(roomIds.map((roomId) => this.pubsub.publish(`chat:room:${roomId}`, { f: frame, p: { u: userId, s: status } } satisfies RoomEnvelope)));
  }

  // ---- receiving (this instance) ----

  private onRoom(roomId: string, envelope: RoomEnvelope): void {
    const set = this.byRoom.get(roomId);
    if (!set || set.size === 0) return;
    const text = JSON.stringify(envelope.f);
    if (envelope.seq !== undefined) {
      for (const conn of set) conn.deliver(roomId, envelope.seq, text);
    } else if (envelope.p) {
      for (const conn of set) conn.presence(envelope.p.u, envelope.p.s, text);
    } else {
      for (const conn of set) if (conn.userId !== envelope.x) conn.send(text);
    }
  }

  private onUser(userId: string, envelope: UserEnvelope): void {
    const conns = this.byUser.get(userId);
    if (!conns) return;
    if (envelope.f) {
      const text = JSON.stringify(envelope.f);
      for (const conn of conns) conn.send(text);
      return;
    }
    const roomId = envelope.room_id;
    if (!roomId) return;
    for (const conn of [...conns]) {
      if (envelope.c === 'room_added' && !conn.inRoom(roomId)) {
        this.join(conn, roomId, envelope.last_seq ?? 0).catch((err) => this.log.warn({ err }, 'room subscribe failed'));
        conn.send({ type: 'room_added', room_id: roomId, last_seq: envelope.last_seq ?? 0 });
      } else if (envelope.c === 'room_removed' && conn.inRoom(roomId)) {
        this.leaveLocal(conn, roomId).catch(() => {});
        conn.send({ type: 'room_removed', room_id: roomId });
      }
    }
  }

  private onAll(envelope: AllEnvelope): void {
    const text = JSON.stringify(envelope.f);
    for (const conns of this.byUser.values()) {
      for (const conn of conns) if (!envelope.role || conn.role === envelope.role) conn.send(text);
    }
  }

  /**
   * Heartbeat bookkeeping: refreshes every local entry, marks idle sockets away, and
   * announces users whose entries expired anywhere in the cluster.
   */
  async refreshPresence(awayAfterMs: number): Promise<void> {
    const now = Date.now();
    const changed: Connection[] = [];
    for (const conn of this.connections()) {
      if (conn.status === 'online' && now - conn.lastActivity > awayAfterMs) {
        conn.status = 'away';
        changed.push(conn);
      }
    }
    await this.presenceStore.put(this.connections().map((c) => ({ userId: c.userId, connId: c.id, status: c.status })));
    for (const conn of changed) await this.announceUserStatus(conn);
    for (const userId of await this.presenceStore.sweep()) {
      await this.announcePresence(userId, 'offline', await this.roomsOf(userId));
    }
  }

  /** Re-reads the user's cluster-wide status after one of their sockets changed and announces it. */
  async announceUserStatus(conn: Connection): Promise<void> {
    await this.presenceStore.put([{ userId: conn.userId, connId: conn.id, status: conn.status }]);
    const status = (await this.presenceStore.status([conn.userId])).get(conn.userId) ?? 'offline';
    await this.announcePresence(conn.userId, status, conn.roomIds);
  }

  async close(): Promise<void> {
    for (const channel of [...this.subscriptions.keys()]) await this.unsubscribe(channel);
    if (this.allSubscription) await (await this.allSubscription)().catch(() => {});
    this.byUser.clear();
    this.byRoom.clear();
  }
}
