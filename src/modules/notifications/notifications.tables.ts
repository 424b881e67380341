import type { Generated, JSONColumnType } from 'kysely';

export type Channel = 'email' | 'push';

/**
 * In-app notifications. The table was first created by scheduling's first migration (for
 * waitlist offers) and adopted by this area's migration (202612071710_notifications.ts), which
 * added `dedupe_key`; only this area reads or writes it (scheduling publishes events instead).
 */
export interface NotificationsTable {
  id: Generated<string>;
  user_id: string;
  kind: string;
  title: string;
  body: string;
  data: JSONColumnType<Record<string, unknown>, string, string>;
  /** One in-app row per event, recipient and kind (the delivery ledger's key); null for rows written before it. */
  dedupe_key: string | null;
  read_at: Date | null;
  created_at: Generated<Date>;
}

export interface NotificationDeliveriesTable {
  key: string;
  user_id: string;
  channel: Channel;
  kind: string;
  status: 'sending' | 'sent' | 'skipped' | 'failed';
  attempts: Generated<number>;
  detail: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  sent_at: Date | null;
}

export interface NotificationPreferencesTable {
  user_id: string;
  time_zone: string | null;
  quiet_start: string | null;
  quiet_end: string | null;
  channels: JSONColumnType<Record<string, { in_app?: boolean; email?: boolean; push?: boolean }>, string, string>;
  updated_at: Generated<Date>;
}

export interface PushSubscriptionsTable {
  id: Generated<string>;
  user_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  created_at: Generated<Date>;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    notifications: NotificationsTable;
    notification_deliveries: NotificationDeliveriesTable;
    notification_preferences: NotificationPreferencesTable;
    push_subscriptions: PushSubscriptionsTable;
  }
}
