import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table chat_rooms (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('direct', 'care_team', 'assistant')),
      title text,
      direct_key text,
      created_by uuid references users (id),
      last_seq bigint not null default 0,
      last_message_at timestamptz,
      created_at timestamptz not null default now(),
      constraint chat_rooms_direct_key_kind check ((kind = 'direct') = (direct_key is not null))
    )`.execute(db);
  await sql`create unique index chat_rooms_direct_key on chat_rooms (direct_key) where direct_key is not null`.execute(db);

  await sql`
    create table chat_participants (
      room_id uuid not null references chat_rooms (id),
      user_id uuid not null references users (id),
      joined_at timestamptz not null default now(),
      left_at timestamptz,
      last_read_seq bigint not null default 0,
      primary key (room_id, user_id)
    )`.execute(db);
  await sql`create index chat_participants_user on chat_participants (user_id, room_id) where left_at is null`.execute(db);

  await sql`
    create table chat_messages (
      id uuid primary key default gen_random_uuid(),
      room_id uuid not null references chat_rooms (id),
      seq bigint not null,
      sender_id uuid references users (id),
      sender_role text not null check (sender_role in ('patient', 'doctor', 'nurse', 'admin', 'assistant', 'system')),
      kind text not null check (kind in ('text', 'file', 'system')),
      content text not null,
      file_id uuid,
      client_msg_id text,
      created_at timestamptz not null default now(),
      constraint chat_messages_room_seq unique (room_id, seq)
    )`.execute(db);
  await sql`create unique index chat_messages_client_msg on chat_messages (room_id, sender_id, client_msg_id) where client_msg_id is not null`.execute(db);
  await sql`create index chat_messages_file on chat_messages (file_id) where file_id is not null`.execute(db);

  await sql`
    create table chat_broadcasts (
      id uuid primary key default gen_random_uuid(),
      sender_id uuid not null references users (id),
      role text,
      content text not null,
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table chat_broadcasts`.execute(db);
  await sql`drop table chat_messages`.execute(db);
  await sql`drop table chat_participants`.execute(db);
  await sql`drop table chat_rooms`.execute(db);
}
