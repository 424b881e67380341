import { sql, type Kysely } from 'kysely';

/**
 * Notifications (docs/NOTIFICATIONS.md). The `notifications` table was created by
 * scheduling's first migration for waitlist offers ("the notifications area adopts this
 * table"); this adds the de-duplication key that makes an event's in-app notification
 * exactly-once, the delivery ledger, preferences and push subscriptions.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table if not exists notifications (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      kind text not null,
      title text not null,
      body text not null,
      data jsonb not null default '{}',
      read_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`alter table notifications add column if not exists dedupe_key text`.execute(db);
  await sql`create unique index notifications_dedupe on notifications (dedupe_key) where dedupe_key is not null`.execute(db);
  await sql`create index notifications_user_page on notifications (user_id, created_at desc, id desc)`.execute(db);
  await sql`create index notifications_user_unread on notifications (user_id, created_at desc, id desc) where read_at is null`.execute(db);

  // One row per (event, kind, channel, recipient): the unique key makes every external
  // effect exactly-once whatever the job queue does (runs twice, crashes, several instances).
  await sql`
    create table notification_deliveries (
      key text primary key,
      user_id uuid not null references users (id) on delete cascade,
      channel text not null check (channel in ('email', 'push')),
      kind text not null,
      status text not null check (status in ('sending', 'sent', 'skipped', 'failed')),
      attempts integer not null default 0,
      detail text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      sent_at timestamptz
    )`.execute(db);

  await sql`
    create table notification_preferences (
      user_id uuid primary key references users (id) on delete cascade,
      time_zone text,
      quiet_start text,
      quiet_end text,
      channels jsonb not null default '{}',
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table push_subscriptions (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      endpoint text not null unique,
      p256dh text not null,
      auth text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index push_subscriptions_user on push_subscriptions (user_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table push_subscriptions`.execute(db);
  await sql`drop table notification_preferences`.execute(db);
  await sql`drop table notification_deliveries`.execute(db);
  await sql`drop index notifications_user_unread`.execute(db);
  await sql`drop index notifications_user_page`.execute(db);
  await sql`drop index notifications_dedupe`.execute(db);
  await sql`alter table notifications drop column dedupe_key`.execute(db);
}
