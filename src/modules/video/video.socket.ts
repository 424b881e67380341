import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Actor } from '../../platform/access.js';
import type { Authenticator } from '../../platform/http/auth.js';
import type { PubSub } from '../../platform/pubsub.js';
import { AppError, ConflictError, NotFoundError } from '../../platform/errors.js';
import { CLOSE, parseFrame } from '../../platform/ws/frames.js';
import { OutsideWindowError, type VideoService } from './video.service.js';

const PeerId = Type.String({ format: 'uuid' });
const Sdp = Type.String({ minLength: 1, maxLength: 32 * 1024 });
const Frames = {
  offer: Type.Object({ type: Type.Literal('offer'), sdp: Sdp, to: Type.Optional(PeerId) }, { additionalProperties: false }),
  answer: Type.Object({ type: Type.Literal('answer'), sdp: Sdp, to: Type.Optional(PeerId) }, { additionalProperties: false }),
  ice_candidate: Type.Object(
    {
      type: Type.Literal('ice_candidate'),
      candidate: Type.Union([
        Type.Object(
          {
            candidate: Type.String({ maxLength: 2048 }),
            sdpMid: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
            sdpMLineIndex: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
            usernameFragment: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
      to: Type.Optional(PeerId),
    },
    { additionalProperties: false },
  ),
  // `to` as for the others: a "busy" answer to one tab must not end the call another tab is in.
  hangup: Type.Object(
    { type: Type.Literal('hangup'), reason: Type.Optional(Type.String({ maxLength: 200 })), to: Type.Optional(PeerId) },
    { additionalProperties: false },
  ),
  ping: Type.Object({ type: Type.Literal('ping'), ts: Type.Optional(Type.Number()) }, { additionalProperties: false }),
};
const validators = Object.fromEntries(Object.entries(Frames).map(([k, v]) => [k, Compile(v)]));

interface Peer {
  peerId: string;
  userId: string;
  role: string;
  ws: WebSocket;
  tokens: number;
  refilledAt: number;
  /** The access token the peer joined with, re-checked when the user's sessions change. */
  token: string;
}

type Envelope =
  | { k: 'join'; peer: PeerInfo }
  | { k: 'here'; to: string; peer: PeerInfo }
  | { k: 'left'; peer: PeerInfo }
  | { k: 'signal'; from: PeerInfo; to?: string; frame: Record<string, unknown> };
type PeerInfo = { peer_id: string; user_id: string; role: string };

/**
 * WebRTC signalling per appointment (docs/API.md §5). Peers of one appointment may sit on
 * different instances: every event goes through `ctx.pubsub` channel `video:<appointment id>`.
 * The server relays offer/answer/ice_candidate/hangup verbatim (it never inspects SDP beyond
 * size), adds the sender, and announces peer_joined/peer_left.
 */
export class VideoSockets {
  private readonly rooms = new Map<string, Set<Peer>>();
  private readonly subs = new Map<string, Promise<() => Promise<void>>>();

  constructor(
    private readonly authenticator: Authenticator,
    private readonly video: VideoService,
    private readonly pubsub: PubSub,
    private readonly log: FastifyBaseLogger,
  ) {}

  async handle(ws: WebSocket, appointmentId: string, token: string | undefined): Promise<void> {
    // Frames that arrive while we authenticate are ignored: the client waits for `joined`.
    ws.on('error', () => {});
    let actor: Actor;
    let endsAt: number;
    try {
      if (!token) throw new NotFoundError('Token', 'Pass the access token as ?token=.');
      actor = await this.authenticator.authenticate(token).catch(() => {
        throw Object.assign(new Error('unauthenticated'), { closeCode: CLOSE.unauthenticated });
      });
      const appointment = await this.video.appointmentFor(actor, appointmentId);
      this.video.assertOpen(appointment);
      endsAt = appointment.end_at.getTime();
    } catch (err) {
      const code =
        (err as { closeCode?: number }).closeCode ??
        (err instanceof OutsideWindowError || err instanceof ConflictError ? CLOSE.outsideWindow : err instanceof NotFoundError ? CLOSE.notFound : 1011);
      const detail =
        err instanceof AppError ? err.detail : code === CLOSE.unauthenticated ? 'The access token is invalid or expired.' : 'The video room is unavailable.';
      if (!(err instanceof AppError) && code === 1011) this.log.error({ err }, 'video join failed');
      if (ws.readyState === ws.OPEN) {
        ws.send(
          JSON.stringify({
            type: 'error',
            code: code === CLOSE.notFound ? 'not_found' : code === CLOSE.outsideWindow ? 'outside_window' : 'unauthenticated',
            detail,
          }),
        );
        ws.close(code, detail.slice(0, 120));
      }
      return;
    }
    if (ws.readyState !== ws.OPEN) return;
    const peer: Peer = { peerId: randomUUID(), userId: actor.id, role: actor.role, ws, tokens: 200, refilledAt: Date.now(), token: token! };
    const info: PeerInfo = { peer_id: peer.peerId, user_id: peer.userId, role: peer.role };
    let room = this.rooms.get(appointmentId);
    if (!room) this.rooms.set(appointmentId, (room = new Set()));
    room.add(peer);
    await this.subscribe(appointmentId);
    const endTimer = setTimeout(
      () => {
        this.send(peer, { type: 'hangup', from: null, reason: 'The appointment has ended.' });
        ws.close(1000, 'appointment ended');
      },
      Math.min(Math.max(0, endsAt - Date.now()), 2 ** 31 - 1),
    );
    ws.on('close', () => {
      clearTimeout(endTimer);
      room!.delete(peer);
      if (room!.size === 0) {
        this.rooms.delete(appointmentId);
        this.unsubscribe(appointmentId).catch(() => {});
      }
      this.pubsub.publish(`video:${appointmentId}`, { k: 'left', peer: info } satisfies Envelope).catch(() => {});
    });
    ws.on('message', (data, isBinary) => this.onMessage(appointmentId, peer, info, data as Buffer, isBinary));
    this.send(peer, { type: 'joined', room_id: appointmentId, peer_id: peer.peerId, user_id: peer.userId, ice: this.video.iceServers(actor.id).ice_servers });
    await this.pubsub.publish(`video:${appointmentId}`, { k: 'join', peer: info } satisfies Envelope);
  }

  private send(peer: Peer, frame: Record<string, unknown>): void {
    if (peer.ws.readyState === peer.ws.OPEN) peer.ws.send(JSON.stringify(frame));
  }

  private onMessage(appointmentId: string, peer: Peer, info: PeerInfo, data: Buffer, isBinary: boolean): void {
    const now = Date.now();
    peer.tokens = Math.min(200, peer.tokens + ((now - peer.refilledAt) / 1000) * 100);
    peer.refilledAt = now;
    if (peer.tokens < 1) {
      this.send(peer, { type: 'error', code: 'rate_limited', detail: 'Too many frames.' });
      peer.ws.close(CLOSE.flood, 'too many frames');
      return;
    }
    peer.tokens -= 1;
    const parsed = parseFrame<{ type: string } & Record<string, unknown>>(data, isBinary, 48 * 1024, validators);
    if ('error' in parsed) return this.send(peer, { type: 'error', ...parsed.error });
    const frame = parsed.frame;
    if (frame.type === 'ping') return this.send(peer, { type: 'pong', ts: frame.ts ?? now });
    const { to, ...body } = frame;
    void this.pubsub
      .publish(`video:${appointmentId}`, { k: 'signal', from: info, ...(typeof to === 'string' ? { to } : {}), frame: body } satisfies Envelope)
      .catch((err) => this.log.warn({ err }, 'video relay failed'));
  }

  private async subscribe(appointmentId: string): Promise<void> {
    if (!this.subs.has(appointmentId))
      this.subs.set(
        appointmentId,
        this.pubsub.subscribe(`video:${appointmentId}`, (m) => this.onEnvelope(appointmentId, m as Envelope)),
      );
    await this.subs.get(appointmentId);
  }

  private async unsubscribe(appointmentId: string): Promise<void> {
    const sub = this.subs.get(appointmentId);
    this.subs.delete(appointmentId);
    if (sub) await (await sub)().catch(() => {});
  }

  private onEnvelope(appointmentId: string, envelope: Envelope): void {
    const room = this.rooms.get(appointmentId);
    if (!room) return;
    for (const peer of room) {
      switch (envelope.k) {
        case 'join':
          if (envelope.peer.peer_id === peer.peerId) break;
          this.send(peer, { type: 'peer_joined', ...envelope.peer });
          // Tell the newcomer about us (it may be on another instance).
          this.pubsub
            .publish(`video:${appointmentId}`, {
              k: 'here',
              to: envelope.peer.peer_id,
              peer: { peer_id: peer.peerId, user_id: peer.userId, role: peer.role },
            } satisfies Envelope)
            .catch(() => {});
          break;
        case 'here':
          if (envelope.to === peer.peerId) this.send(peer, { type: 'peer_joined', ...envelope.peer });
          break;
        case 'left':
          if (envelope.peer.peer_id !== peer.peerId) this.send(peer, { type: 'peer_left', ...envelope.peer });
          break;
        case 'signal':
          if (envelope.from.peer_id === peer.peerId) break;
          if (envelope.to && envelope.to !== peer.peerId) break;
          this.send(peer, { ...envelope.frame, from: envelope.from.peer_id, from_user_id: envelope.from.user_id });
          break;
      }
    }
  }

  /**
   * Logout, password change or deactivation of `userId` (on any instance): every signalling
   * socket of that user whose session no longer verifies is closed with 4401, like chat sockets.
   */
  async revalidateUser(userId: string): Promise<void> {
    for (const room of this.rooms.values()) {
      for (const peer of room) {
        if (peer.userId !== userId || peer.ws.readyState !== peer.ws.OPEN) continue;
        try {
          await this.authenticator.authenticate(peer.token);
        } catch {
          this.send(peer, { type: 'error', code: 'session_ended', detail: 'This session has ended; sign in again.' });
          peer.ws.close(CLOSE.unauthenticated, 'session ended');
        }
      }
    }
  }

  closeAll(): void {
    for (const room of this.rooms.values()) {
      for (const peer of room) {
        this.send(peer, { type: 'error', code: 'server_shutdown', detail: 'The server is restarting; reconnect.' });
        peer.ws.close(CLOSE.goingAway, 'server shutting down; reconnect');
      }
    }
  }
}
