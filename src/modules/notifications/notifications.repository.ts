import { timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { Channel } from './notifications.tables.js';
import './notifications.tables.js';

export interface NotificationRow {
  id: string;
  user_id: string;
  kind: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  read_at: Date | null;
  created_at: Date;
}

const COLUMNS = ['id', 'user_id', 'kind', 'title', 'body', 'data', 'read_at', 'created_at'] as const;

export class NotificationsRepository {
  /** The in-app row, once per `dedupeKey`: null when it already existed. */
  async insertOnce(
    db: Executor,
    n: { userId: string; kind: string; title: string; body: string; data: Record<string, unknown>; dedupeKey: string },
  ): Promise<NotificationRow | null> {
    const { rows } = await sql<NotificationRow>`
      insert into notifications (user_id, kind, title, body, data, dedupe_key)
      values (${n.userId}, ${n.kind}, ${n.title}, ${n.body}, ${JSON.stringify(n.data)}::jsonb, ${n.dedupeKey})
      on conflict (dedupe_key) where dedupe_key is not null do nothing
      returning id, user_id, kind, title, body, data, read_at, created_at`.execute(db);
    return rows[0] ?? null;
  }

  async findOwn(db: Executor, userId: string, id: string): Promise<NotificationRow | undefined> {
    return (await db.selectFrom('notifications').select(COLUMNS).where('id', '=', id).where('user_id', '=', userId).executeTakeFirst()) as
      NotificationRow | undefined;
  }

  async list(
    db: Executor,
    userId: string,
    opts: { unread: boolean; limit: number; after: { createdAt: Date; id: string } | null },
  ): Promise<NotificationRow[]> {
    let query = db.selectFrom('notifications').select(COLUMNS).where('user_id', '=', userId);
    if (opts.unread) query = query.where('read_at', 'is', null);
    if (opts.after) query = query.where(sql<boolean>`(created_at, id) < (${opts.after.createdAt.toISOString()}::timestamptz, ${opts.after.id}::uuid)`);
    return (await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(opts.limit + 1)
      .execute()) as NotificationRow[];
  }

  async markRead(db: Executor, userId: string, id: string): Promise<NotificationRow | undefined> {
    await db
      .updateTable('notifications')
      .set({ read_at: new Date() })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .execute();
    return this.findOwn(db, userId, id);
  }

  async markAllRead(db: Executor, userId: string): Promise<number> {
    const result = await db
      .updateTable('notifications')
      .set({ read_at: new Date() })
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async unreadCount(db: Executor, userId: string): Promise<number> {
    const row = await db
      .selectFrom('notifications')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  // ---- preferences ----

  async preferences(db: Executor, userId: string) {
    return db.selectFrom('notification_preferences').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  async preferencesOfMany(db: Executor, userIds: readonly string[]) {
    if (!userIds.length) return [];
    return db
      .selectFrom('notification_preferences')
      .selectAll()
      .where('user_id', 'in', [...new Set(userIds)])
      .execute();
  }

  async savePreferences(
    db: Executor,
    userId: string,
    p: { time_zone: string | null; quiet_start: string | null; quiet_end: string | null; channels: Record<string, unknown> },
  ): Promise<void> {
    const channels = JSON.stringify(p.channels);
    await db
      .insertInto('notification_preferences')
      .values({ user_id: userId, time_zone: p.time_zone, quiet_start: p.quiet_start, quiet_end: p.quiet_end, channels })
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet({ time_zone: p.time_zone, quiet_start: p.quiet_start, quiet_end: p.quiet_end, channels, updated_at: new Date() }),
      )
      .execute();
  }

  // ---- delivery ledger ----

  /**
   * Claims the delivery `key`: inserts it as `sending`, or returns the row that exists. A
   * `sent`/`skipped` row means the effect already happened (or was decided against).
   */
  async claimDelivery(db: Executor, d: { key: string; userId: string; channel: Channel; kind: string }): Promise<{ status: string; attempts: number }> {
    const { rows } = await sql<{ status: string; attempts: number }>`
      insert into notification_deliveries (key, user_id, channel, kind, status, attempts)
      values (${d.key}, ${d.userId}, ${d.channel}, ${d.kind}, 'sending', 1)
      on conflict (key) do update set attempts = notification_deliveries.attempts + 1, updated_at = now()
        where notification_deliveries.status in ('sending', 'failed')
      returning status, attempts`.execute(db);
    if (rows[0]) return rows[0];
    const existing = await db.selectFrom('notification_deliveries').select(['status', 'attempts']).where('key', '=', d.key).executeTakeFirstOrThrow();
    return existing;
  }

  /**
   * `claimDelivery` for several keys in one statement. Returns the keys to send now (new, or
   * still `sending`/`failed` from an earlier attempt); a key left out is already `sent` or
   * `skipped`.
   */
  async claimDeliveries(db: Executor, claims: { key: string; userId: string; channel: Channel; kind: string }[]): Promise<Set<string>> {
    const unique = [...new Map(claims.map((c) => [c.key, c])).values()];
    if (!unique.length) return new Set();
    const { rows } = await sql<{ key: string }>`
      insert into notification_deliveries (key, user_id, channel, kind, status, attempts)
      values ${sql.join(unique.map((d) => sql`(${d.key}, ${d.userId}, ${d.channel}, ${d.kind}, 'sending', 1)`))}
      on conflict (key) do update set attempts = notification_deliveries.attempts + 1, updated_at = now()
        where notification_deliveries.status in ('sending', 'failed')
      returning key`.execute(db);
    return new Set(rows.map((row) => row.key));
  }

  /** Records several deliveries `sent` in one UPDATE (the email batch's group commit). */
  async markSent(db: Executor, keys: readonly string[]): Promise<void> {
    if (!keys.length) return;
    const now = new Date();
    await db
      .updateTable('notification_deliveries')
      .set({ status: 'sent', detail: null, updated_at: now, sent_at: now })
      .where('key', 'in', [...keys])
      .execute();
  }

  async finishDelivery(db: Executor, key: string, status: 'sent' | 'skipped' | 'failed', detail: string | null): Promise<void> {
    await db
      .updateTable('notification_deliveries')
      .set({ status, detail: detail?.slice(0, 500) ?? null, updated_at: new Date(), ...(status === 'sent' && { sent_at: new Date() }) })
      .where('key', '=', key)
      .execute();
  }

  // ---- push subscriptions ----

  /**
   * Registers an endpoint for `userId` (call it in a transaction). An endpoint belongs to one
   * user (review L5):
   * - new endpoint → `created`;
   * - the same user again → its keys are refreshed (`updated`);
   * - another user's endpoint → `moved` only when the request carries that subscription's own
   *   keys (the browser's P-256 key and 16-byte auth secret, which only that browser and this
   *   server know: the device really is in the new user's hands, e.g. a shared computer after
   *   a sign-out). It is moved as a new row, so no job of the first user still holding the old
   *   id can send to it. Without the keys → `refused`: a user who learnt someone's endpoint URL
   *   can neither take over nor share their notifications.
   */
  async registerSubscription(
    trx: Executor,
    s: { userId: string; endpoint: string; p256dh: string; auth: string },
  ): Promise<{ outcome: 'created' | 'updated' | 'moved'; row: { id: string; created_at: Date } } | { outcome: 'refused' }> {
    const inserted = await trx
      .insertInto('push_subscriptions')
      .values({ user_id: s.userId, endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth })
      .onConflict((oc) => oc.column('endpoint').doNothing())
      .returning(['id', 'created_at'])
      .executeTakeFirst();
    if (inserted) return { outcome: 'created', row: inserted };
    const existing = await trx.selectFrom('push_subscriptions').selectAll().where('endpoint', '=', s.endpoint).forUpdate().executeTakeFirstOrThrow();
    if (existing.user_id === s.userId) {
      const row = await trx
        .updateTable('push_subscriptions')
        .set({ p256dh: s.p256dh, auth: s.auth })
        .where('id', '=', existing.id)
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
      return { outcome: 'updated', row };
    }
    if (!sameSecret(existing.p256dh, s.p256dh) || !sameSecret(existing.auth, s.auth)) return { outcome: 'refused' };
    await trx.deleteFrom('push_subscriptions').where('id', '=', existing.id).execute();
    const row = await trx
      .insertInto('push_subscriptions')
      .values({ user_id: s.userId, endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
    return { outcome: 'moved', row };
  }

  /** Whether subscription `id` still belongs to `userId` (checked again right before a push is sent). */
  async subscriptionOwnedBy(db: Executor, id: string, userId: string): Promise<boolean> {
    return Boolean(await db.selectFrom('push_subscriptions').select('id').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst());
  }

  async subscriptionsOf(db: Executor, userId: string) {
    return db.selectFrom('push_subscriptions').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
  }

  async deleteSubscription(db: Executor, id: string, userId?: string): Promise<boolean> {
    let query = db.deleteFrom('push_subscriptions').where('id', '=', id);
    if (userId) query = query.where('user_id', '=', userId);
    return Number((await query.executeTakeFirst()).numDeletedRows) > 0;
  }
}

/** Constant-time comparison of two base64url key strings (the auth secret is a secret). */
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64url');
  const y = Buffer.from(b, 'base64url');
  return x.length === y.length && timingSafeEqual(x, y);
}
