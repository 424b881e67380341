import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db, Executor } from '../../platform/database/index.js';
import { enqueueJobs, PermanentJobError, type JobQueue, type JobSpec } from '../../platform/jobs/index.js';
import { isAllowedPushHost } from '../../platform/jobs/config.js';
import type { Mailer } from '../../platform/mail.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { NotificationsRepository, NotificationRow } from './notifications.repository.js';
import { effectiveChannels, isValidZone, quietUntil, type ChannelSwitches, type Preferences } from './preferences.js';
import { render, type NotificationType, type OutsideDetail, type Recipient } from './templates.js';

/** What the area needs to know about a user (identity's, read through its public API). */
export interface UserContact {
  id: string;
  email: string;
  full_name: string;
  time_zone: string;
  status: string;
  role: string;
}
export type UserLookup = (db: Executor, userId: string) => Promise<UserContact | undefined>;
/** Several users in one read (identity's `findByIds`); unknown ids are absent from the map. */
export type UsersLookup = (db: Executor, userIds: readonly string[]) => Promise<Map<string, UserContact>>;
/** Sends a live frame to every socket of a user on every instance (chat's hub, through pub/sub). */
export type FramePublisher = (userId: string, frame: Record<string, unknown>) => Promise<void>;

export interface NotifyInput {
  type: NotificationType;
  userId: string;
  /**
   * What happened, once: an event id or an appointment version ("reminder:<id>:<start>:60").
   * With the type, channel and recipient it is the delivery-ledger key, so the same event
   * never produces two notifications or two emails.
   */
  eventKey: string;
  data: Record<string, unknown>;
  /** Emergencies: every channel, whatever the preferences and quiet hours say. */
  urgent?: boolean;
  /** The in-app row exists already (written by its publisher): deliver the other channels only. */
  skipInApp?: boolean;
}

export const NOTIFY_QUEUES = { live: 'notify.live', email: 'notify.email', push: 'notify.push' } as const;

export interface PushConfig {
  publicKey: string;
  privateKey: string;
  subject: string;
}

export interface NotificationDto {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  read: boolean;
  read_at: string | null;
  created_at: string;
}

export function toDto(row: NotificationRow): NotificationDto {
  return {
    id: row.id,
    type: row.kind,
    title: row.title,
    body: row.body,
    data: typeof row.data === 'string' ? JSON.parse(row.data) : row.data,
    read: row.read_at !== null,
    read_at: row.read_at ? iso(row.read_at) : null,
    created_at: iso(row.created_at),
  };
}

const ledgerHash = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 32);

/**
 * Decides who gets what on which channel, and delivers it exactly once per
 * (event, type, channel, recipient) — docs/NOTIFICATIONS.md.
 *
 * `notify` runs in the caller's transaction when it has one: the in-app row and the jobs for
 * the live frame, the email and the push are written with the change that caused them. The
 * jobs then deliver after commit; each claims its ledger key first and records the outcome,
 * so a job that runs twice (a stalled worker, a crash, two instances) sends nothing twice.
 */
export class Notifier {
  constructor(
    private readonly repo: NotificationsRepository,
    private readonly users: UserLookup,
    private readonly publicBaseUrl: string,
    private readonly log: FastifyBaseLogger,
    /** How much email and push may say about another person (NOTIFICATION_EMAIL_DETAIL, templates.ts). */
    private readonly outsideDetail: OutsideDetail = 'minimal',
    /** Batch reads of recipients (one statement for a batch of jobs); by default one `users` call each. */
    private readonly usersMany: UsersLookup = async (db, ids) => {
      const found = await Promise.all([...new Set(ids)].map((id) => users(db, id)));
      return new Map(found.filter((u): u is UserContact => Boolean(u)).map((u) => [u.id, u]));
    },
  ) {}

  async preferencesOf(db: Executor, userId: string, accountZone: string): Promise<Preferences & { zone: string }> {
    return toPreferences(await this.repo.preferences(db, userId), accountZone);
  }

  /** Preferences of several users in one read (the account's zone from `users`). */
  private async preferencesOfMany(db: Executor, users: Map<string, UserContact>): Promise<Map<string, Preferences & { zone: string }>> {
    const rows = new Map((await this.repo.preferencesOfMany(db, [...users.keys()])).map((row) => [row.user_id, row]));
    return new Map([...users.values()].map((user) => [user.id, toPreferences(rows.get(user.id), user.time_zone)]));
  }

  async notify(db: Executor, input: NotifyInput): Promise<void> {
    await this.notifyMany(db, [input]);
  }

  /**
   * `notify` for several notifications at once (a batch of reminders): recipients and their
   * preferences are read once, and the email, push and live jobs are written in one INSERT per
   * kind. Each input is handled exactly as `notify` alone would handle it.
   */
  async notifyMany(db: Executor, inputs: NotifyInput[]): Promise<void> {
    if (!inputs.length) return;
    const users = await this.usersMany(
      db,
      inputs.map((input) => input.userId),
    );
    const preferences = await this.preferencesOfMany(db, users);
    const jobs: JobSpec[] = [];
    for (const input of inputs) {
      const user = users.get(input.userId);
      if (!user || user.status === 'deleted' || user.status === 'deactivated') continue;
      const prefs = preferences.get(user.id)!;
      const on: ChannelSwitches = input.urgent ? { in_app: true, email: true, push: true } : prefs.channels[input.type];
      const base = `${input.eventKey}|${input.type}|${user.id}`;
      if (on.in_app && !input.skipInApp) {
        const text = render(input.type, input.data, { name: user.full_name, timeZone: prefs.zone }, this.publicBaseUrl);
        const row = await this.repo.insertOnce(db, {
          userId: user.id,
          kind: input.type,
          title: text.title,
          body: text.body,
          data: { ...input.data, path: text.path },
          dedupeKey: base,
        });
        if (!row) continue; // this event was already notified (and its deliveries queued) — exactly once
        jobs.push({ queue: NOTIFY_QUEUES.live, payload: { notification_id: row.id, user_id: user.id }, maxAttempts: 3 });
      }
      // Quiet hours hold email and push (not the in-app row) until they end; emergencies go now.
      const runAt = input.urgent ? undefined : quietUntil(new Date(), prefs.quiet_hours, prefs.zone);
      const payload = { type: input.type, user_id: user.id, data: input.data, base, urgent: Boolean(input.urgent) };
      if (on.email) jobs.push({ queue: NOTIFY_QUEUES.email, payload, runAt, key: `email|${base}`, onKey: 'keep', maxAttempts: 8 });
      if (on.push) jobs.push({ queue: NOTIFY_QUEUES.push, payload, runAt, key: `push|${base}`, onKey: 'keep', maxAttempts: 6 });
    }
    await enqueueJobs(db, jobs);
  }

  /** Registers the delivery jobs on this instance's queue. */
  define(
    queue: JobQueue,
    db: Db,
    deps: {
      mailer: Mailer;
      publishFrame: FramePublisher;
      push: PushConfig | null;
      mailDomain: string;
      pushAllowedHosts?: readonly string[];
      pushTimeoutMs?: number;
    },
  ): void {
    queue.define(NOTIFY_QUEUES.live, async (payload) => {
      const row = await this.repo.findOwn(db, String(payload.user_id), String(payload.notification_id));
      if (!row) return; // deleted with its user: nothing to show
      const unread = await this.repo.unreadCount(db, row.user_id);
      await deps.publishFrame(row.user_id, { type: 'notification', notification: toDto(row), unread_count: unread });
    });

    // Email runs in batches (JobQueue.defineBatch): the ledger claims, the recipients and their
    // preferences are one read each for every email a claim picked up; each message is still
    // sent and recorded `sent` on its own, so the crash window stays one reply plus one UPDATE.
    queue.defineBatch(NOTIFY_QUEUES.email, async (jobs) => {
      const parsed = jobs.map(({ payload }) => {
        try {
          const p = parse(payload);
          return { ...p, key: `${p.base}|email` };
        } catch (err) {
          return err as Error;
        }
      });
      const valid = parsed.filter((p): p is Exclude<typeof p, Error> => !(p instanceof Error));
      const claimed = await this.repo.claimDeliveries(
        db,
        valid.map((p) => ({ key: p.key, userId: p.userId, channel: 'email' as const, kind: p.type })),
      );
      const pending = valid.filter((p) => claimed.has(p.key)); // the others are already sent or skipped
      const users = await this.usersMany(
        db,
        pending.map((p) => p.userId),
      );
      const preferences = await this.preferencesOfMany(db, users);
      // Group commit of `sent`: a message's key is written with whichever others were accepted
      // while the previous UPDATE ran, instead of each waiting its turn behind 31 others (on
      // PGlite, one session): the window between "accepted" and "recorded" stays short.
      const recordSent = groupCommit((keys) => this.repo.markSent(db, keys));
      return Promise.all(
        parsed.map(async (p) => {
          if (p instanceof Error) return p;
          if (!claimed.has(p.key)) return undefined;
          try {
            const user = users.get(p.userId);
            if (!user || !user.email) return await this.repo.finishDelivery(db, p.key, 'skipped', 'no such user or no email');
            if (!deps.mailer.configured) return await this.repo.finishDelivery(db, p.key, 'skipped', 'SMTP is not configured');
            const recipient: Recipient = { name: user.full_name, timeZone: preferences.get(user.id)!.zone, role: user.role };
            const text = render(p.type, p.data, recipient, this.publicBaseUrl, this.outsideDetail);
            // The one unavoidable window: a crash after the server accepted the message and before
            // `sent` is recorded sends it again on retry. The Message-ID is derived from the ledger
            // key, so the retry carries the same id and a receiver that de-duplicates drops it.
            await deps.mailer.send({
              to: user.email,
              subject: text.email.subject,
              text: text.email.text,
              html: text.email.html,
              messageId: `<n-${ledgerHash(p.key)}@${deps.mailDomain}>`,
            });
            await recordSent(p.key);
            return undefined;
          } catch (err) {
            return err;
          }
        }),
      );
    });

    queue.define(NOTIFY_QUEUES.push, async (payload) => {
      const p = parse(payload);
      if (!deps.push) return;
      const user = await this.users(db, p.userId);
      if (!user) return;
      const prefs = await this.preferencesOf(db, user.id, user.time_zone);
      const text = render(p.type, p.data, { name: user.full_name, timeZone: prefs.zone, role: user.role }, this.publicBaseUrl, this.outsideDetail);
      // A push shows on a lock screen: the same minimum-necessary text as the email.
      const body = JSON.stringify({
        type: p.type,
        title: text.outside.title,
        body: text.outside.body,
        url: `${this.publicBaseUrl.replace(/\/$/, '')}${text.path}`,
      });
      let transient: Error | null = null;
      for (const sub of await this.repo.subscriptionsOf(db, user.id)) {
        const key = `${p.base}|push|${sub.id}`;
        const claim = await this.repo.claimDelivery(db, { key, userId: user.id, channel: 'push', kind: p.type });
        if (claim.status === 'sent' || claim.status === 'skipped') continue;
        // Moved to another account (review L5) since the list was read: never send this user's notification there.
        if (!(await this.repo.subscriptionOwnedBy(db, sub.id, user.id))) {
          await this.repo.finishDelivery(db, key, 'skipped', 'subscription no longer this user’s');
          continue;
        }
        if (deps.pushAllowedHosts && !isAllowedPushHost(new URL(sub.endpoint).hostname, deps.pushAllowedHosts)) {
          // Stored before the allow-list (or the list changed): never sent, and said so.
          await this.repo.finishDelivery(db, key, 'skipped', 'push endpoint host not allowed');
          continue;
        }
        try {
          // Loaded on the first push sent, not at start-up (~10 MB; docs/BENCHMARKS.md "Footprint").
          const { default: webpush } = await import('web-push');
          await webpush.sendNotification({ endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } }, body, {
            vapidDetails: { subject: deps.push.subject, publicKey: deps.push.publicKey, privateKey: deps.push.privateKey },
            TTL: p.urgent ? 3600 : 24 * 3600,
            urgency: p.urgent ? 'high' : 'normal',
            // The push service's own de-duplication handle: a retry replaces, not adds.
            topic: ledgerHash(key).slice(0, 32),
            timeout: deps.pushTimeoutMs ?? 10_000,
          });
          await this.repo.finishDelivery(db, key, 'sent', null);
        } catch (err) {
          const status = (err as { statusCode?: number }).statusCode;
          if (status === 404 || status === 410) {
            // The browser dropped the subscription: forget it for good.
            await this.repo.deleteSubscription(db, sub.id);
            await this.repo.finishDelivery(db, key, 'skipped', `subscription gone (${status})`).catch(() => {});
            this.log.info({ user_id: user.id, status }, 'push subscription removed (gone at the push service)');
          } else {
            transient = err as Error;
          }
        }
      }
      if (transient) throw transient;
    });
  }
}

/**
 * Calls `write` with every key handed in while the previous call ran (the first at once), and
 * resolves each caller once its own key is written.
 */
function groupCommit(write: (keys: string[]) => Promise<void>): (key: string) => Promise<void> {
  let waiting: { key: string; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let running = false;
  const pump = async () => {
    running = true;
    while (waiting.length) {
      const batch = waiting;
      waiting = [];
      try {
        await write(batch.map((w) => w.key));
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    running = false;
  };
  return (key) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (!running) void pump();
    });
}

function toPreferences(
  row: { time_zone: string | null; quiet_start: string | null; quiet_end: string | null; channels: unknown } | undefined,
  accountZone: string,
): Preferences & { zone: string } {
  const channels = effectiveChannels(row ? (typeof row.channels === 'string' ? JSON.parse(row.channels) : row.channels) : null);
  const quiet = row?.quiet_start && row.quiet_end ? { start: row.quiet_start, end: row.quiet_end } : null;
  return { time_zone: row?.time_zone ?? null, quiet_hours: quiet, channels, zone: row?.time_zone ?? accountZone };
}

function parse(payload: Record<string, unknown>): { type: NotificationType; userId: string; data: Record<string, unknown>; base: string; urgent: boolean } {
  if (typeof payload.type !== 'string' || typeof payload.user_id !== 'string' || typeof payload.base !== 'string')
    throw new PermanentJobError('malformed notification job');
  return {
    type: payload.type as NotificationType,
    userId: payload.user_id,
    data: (payload.data as Record<string, unknown>) ?? {},
    base: payload.base,
    urgent: payload.urgent === true,
  };
}

/** The user-facing side: the in-app list, read marks, preferences and push subscriptions. */
export class NotificationsService {
  constructor(
    private readonly db: Db,
    private readonly repo: NotificationsRepository,
    private readonly notifier: Notifier,
    private readonly users: UserLookup,
    private readonly pushAllowedHosts: readonly string[],
  ) {}

  async list(userId: string, query: { unread?: boolean; limit?: number; cursor?: string }) {
    const limit = query.limit ?? 20;
    const position = decodeCursor(query.cursor, 'timestamp');
    const rows = await this.repo.list(this.db, userId, {
      unread: query.unread === true,
      limit,
      after: position ? { createdAt: new Date(position.v as string), id: position.id } : null,
    });
    return toPage(rows, limit, (row) => iso(row.created_at), toDto);
  }

  async read(userId: string, id: string): Promise<NotificationDto> {
    const row = await this.repo.markRead(this.db, userId, id);
    if (!row) throw new NotFoundError('Notification');
    return toDto(row);
  }

  async readAll(userId: string): Promise<{ updated: number }> {
    return { updated: await this.repo.markAllRead(this.db, userId) };
  }

  async unreadCount(userId: string): Promise<{ unread: number }> {
    return { unread: await this.repo.unreadCount(this.db, userId) };
  }

  async preferences(userId: string): Promise<Preferences> {
    const user = await this.users(this.db, userId);
    const p = await this.notifier.preferencesOf(this.db, userId, user?.time_zone ?? 'UTC');
    return { time_zone: p.time_zone, quiet_hours: p.quiet_hours, channels: p.channels };
  }

  /** Partial update: absent fields keep their value; `channels` merges per type and channel. */
  async putPreferences(
    userId: string,
    body: { time_zone?: string | null; quiet_hours?: { start: string; end: string } | null; channels?: Record<string, Partial<ChannelSwitches>> },
  ): Promise<Preferences> {
    if (body.time_zone && !isValidZone(body.time_zone))
      throw new ValidationError('Unknown time zone.', [{ path: '/time_zone', message: 'must be an IANA time zone such as Europe/Paris' }]);
    const current = await this.preferences(userId);
    const channels = { ...current.channels };
    for (const [type, switches] of Object.entries(body.channels ?? {}))
      channels[type as NotificationType] = { ...channels[type as NotificationType], ...switches };
    const timeZone = body.time_zone === undefined ? current.time_zone : body.time_zone;
    const quiet = body.quiet_hours === undefined ? current.quiet_hours : body.quiet_hours;
    await this.repo.savePreferences(this.db, userId, { time_zone: timeZone, quiet_start: quiet?.start ?? null, quiet_end: quiet?.end ?? null, channels });
    return this.preferences(userId);
  }

  async subscribe(
    userId: string,
    body: { endpoint: string; keys: { p256dh: string; auth: string } },
  ): Promise<{ id: string; endpoint: string; created_at: string }> {
    let url: URL;
    try {
      url = new URL(body.endpoint);
    } catch {
      throw new ValidationError('The push endpoint is not a URL.', [{ path: '/endpoint', message: 'must be an https URL' }]);
    }
    // Push services are https (web-push speaks nothing else); anything else is refused here.
    if (url.protocol !== 'https:')
      throw new ValidationError('The push endpoint must be an https URL.', [{ path: '/endpoint', message: 'must be an https URL' }]);
    // Only the browsers' push services: any other host would have the server POST wherever a
    // user says, internal addresses included (PUSH_ALLOWED_HOSTS, docs/NOTIFICATIONS.md).
    if (!isAllowedPushHost(url.hostname, this.pushAllowedHosts))
      throw new ValidationError('The push endpoint is not a known push service.', [{ path: '/endpoint', message: 'must be a browser push service URL' }]);
    // The browser's P-256 public key (65 bytes, uncompressed) and 16-byte auth secret, base64url.
    const p256dh = decodeBase64Url(body.keys.p256dh);
    if (!p256dh || p256dh.length !== 65 || p256dh[0] !== 4)
      throw new ValidationError('keys.p256dh is not a P-256 public key.', [
        { path: '/keys/p256dh', message: 'must be the 65-byte uncompressed P-256 key, base64url' },
      ]);
    const auth = decodeBase64Url(body.keys.auth);
    if (!auth || auth.length !== 16)
      throw new ValidationError('keys.auth is not a 16-byte secret.', [{ path: '/keys/auth', message: 'must be 16 bytes, base64url' }]);
    const endpoint = url.toString();
    const result = await this.db
      .transaction()
      .execute((trx) => this.repo.registerSubscription(trx, { userId, endpoint, p256dh: body.keys.p256dh, auth: body.keys.auth }));
    // Another account's endpoint, without that subscription's keys: neither taken over nor shared (review L5).
    if (result.outcome === 'refused')
      throw new ConflictError('This push endpoint is registered to another account; subscribe this browser again to get a new one.', 'push-endpoint-taken');
    return { id: result.row.id, endpoint, created_at: iso(result.row.created_at) };
  }

  async unsubscribe(userId: string, id: string): Promise<void> {
    if (!(await this.repo.deleteSubscription(this.db, id, userId))) throw new NotFoundError('Push subscription');
  }
}

function decodeBase64Url(value: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(value)) return null;
  return Buffer.from(value, 'base64url');
}
