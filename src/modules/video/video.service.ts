import { createHash, createHmac } from 'node:crypto';
import type { Actor } from '../../platform/access.js';
import type { Config } from '../../platform/config.js';
import { AppError, ConflictError, NotFoundError, ServiceUnavailableError } from '../../platform/errors.js';
import type { AppointmentsService } from '../scheduling/index.js';

/** The video room opens this long before the appointment starts (docs/API.md §5). */
export const EARLY_JOIN_MS = 15 * 60 * 1000;
const CHANNEL_RE = /^(?:appt-)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

export interface VideoAppointment {
  id: string;
  doctor_id: string;
  patient_id: string;
  start_at: Date;
  end_at: Date;
  status: string;
}

export class OutsideWindowError extends AppError {
  constructor(detail: string) {
    super(409, 'Conflict', detail, undefined, 'outside-video-window');
  }
}

/** Agora wants a non-zero 32-bit uid; derive a stable one from the user id. */
export function agoraUid(userId: string): number {
  return (createHash('sha256').update(userId).digest().readUInt32BE(0) % 0xfffffffe) + 1;
}

export function channelFor(appointmentId: string): string {
  return `appt-${appointmentId}`;
}

/**
 * Video rules: only the appointment's two parties (not staff, not anyone with access to the
 * record) may join its call or get credentials for it; the signalling room is open from
 * 15 minutes before the start to the end of the slot; cancelled or finished visits are closed.
 */
export class VideoService {
  constructor(
    private readonly config: Config,
    private readonly appointments: AppointmentsService,
  ) {}

  /** The appointment when `actor` is one of its parties; 404 otherwise (existence is private). */
  async appointmentFor(actor: Actor, appointmentId: string): Promise<VideoAppointment> {
    const row = await this.appointments.getVisible(actor, appointmentId);
    if (row.doctor_id !== actor.id && row.patient_id !== actor.id) throw new NotFoundError('Appointment');
    return row;
  }

  assertOpen(appointment: VideoAppointment, now = Date.now()): void {
    if (appointment.status === 'cancelled' || appointment.status === 'no_show' || appointment.status === 'completed') {
      throw new ConflictError(`The appointment is ${appointment.status.replace('_', '-')}; its video room is closed.`, 'video-room-closed');
    }
    if (now < appointment.start_at.getTime() - EARLY_JOIN_MS) {
      throw new OutsideWindowError(
        `The video room opens 15 minutes before the appointment (${new Date(appointment.start_at.getTime() - EARLY_JOIN_MS).toISOString()}).`,
      );
    }
    if (now > appointment.end_at.getTime()) throw new OutsideWindowError('The appointment has ended; its video room is closed.');
  }

  /** STUN/TURN servers; TURN credentials per the TURN REST API (username `expiry:user`, HMAC-SHA1). */
  iceServers(userId: string, now = Date.now()) {
    const { stunUrls, turnUrls, turnSecret, turnTtlSeconds } = this.config.video;
    const servers: { urls: string[]; username?: string; credential?: string }[] = [];
    if (stunUrls.length) servers.push({ urls: stunUrls });
    let expiresAt: string | null = null;
    if (turnUrls.length && turnSecret) {
      const expiry = Math.floor(now / 1000) + turnTtlSeconds;
      const username = `${expiry}:${userId}`;
      const credential = createHmac('sha1', turnSecret).update(username).digest('base64');
      servers.push({ urls: turnUrls, username, credential });
      expiresAt = new Date(expiry * 1000).toISOString();
    }
    return { ice_servers: servers, ttl_seconds: turnUrls.length && turnSecret ? turnTtlSeconds : null, expires_at: expiresAt };
  }

  /** Resolves `?channel=` (an appointment id, or `appt-<id>`) to an appointment of the caller. */
  async appointmentForChannel(actor: Actor, channel: string): Promise<VideoAppointment> {
    const match = CHANNEL_RE.exec(channel);
    if (!match) throw new NotFoundError('Video channel', 'Video channels are appointments: use appt-<appointment id>.');
    return this.appointmentFor(actor, match[1]!.toLowerCase());
  }

  /** Provider credentials for the appointment's call. Authorisation is checked by the caller first. */
  async token(actor: Actor, appointment: VideoAppointment, now = Date.now()) {
    if (appointment.status === 'cancelled' || appointment.status === 'no_show' || appointment.status === 'completed' || now > appointment.end_at.getTime()) {
      throw new ConflictError('The appointment is over or cancelled; no video credentials are issued for it.', 'video-room-closed');
    }
    const channel = channelFor(appointment.id);
    // Valid until 15 minutes after the slot ends, at least 5 minutes, at most 24 hours.
    const ttl = Math.max(300, Math.min(24 * 3600, Math.ceil((appointment.end_at.getTime() + EARLY_JOIN_MS - now) / 1000)));
    const expiresAt = new Date(now + ttl * 1000).toISOString();
    const { agora: agoraConfig, livekit } = this.config.video;
    if (agoraConfig) {
      // Provider SDKs load on first use: most servers configure one or none, and together
      // they cost ~25 MB of resident memory and a second of start-up (docs/BENCHMARKS.md, Footprint).
      const { default: agora } = await import('agora-token');
      const uid = agoraUid(actor.id);
      const token = agora.RtcTokenBuilder.buildTokenWithUid(agoraConfig.appId, agoraConfig.appCertificate, channel, uid, agora.RtcRole.PUBLISHER, ttl, ttl);
      return { provider: 'agora' as const, token, app_id: agoraConfig.appId, channel, uid, url: null, identity: actor.id, expires_at: expiresAt };
    }
    if (livekit) {
      const { AccessToken } = await import('livekit-server-sdk');
      const at = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity: actor.id, ttl });
      at.addGrant({ roomJoin: true, room: channel, canPublish: true, canSubscribe: true });
      return {
        provider: 'livekit' as const,
        token: await at.toJwt(),
        app_id: null,
        channel,
        uid: null,
        url: livekit.url,
        identity: actor.id,
        expires_at: expiresAt,
      };
    }
    throw new ServiceUnavailableError(
      'Video provider not configured',
      'No video provider is configured on this server: set AGORA_APP_ID and AGORA_APP_CERTIFICATE, or LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET. WebRTC signalling (/ws/video/{appointment id}) works without one.',
    );
  }
}
