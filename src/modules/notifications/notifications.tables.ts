import type { Generated, JSONColumnType } from 'kysely';

export type Channel = 'email' | 'push';

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
    notification_deliveries: NotificationDeliveriesTable;
    notification_preferences: NotificationPreferencesTable;
    push_subscriptions: PushSubscriptionsTable;
  }
}
