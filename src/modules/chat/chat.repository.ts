import { CompiledQuery, sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { Role } from '../../platform/auth/tokens.js';
import type { ChatMessagesTable, ChatRoomsTable, MessageKind, RoomKind, SenderRole } from './chat.tables.js';

export type RoomRow = Selectable<ChatRoomsTable>;
export type MessageRow = Selectable<ChatMessagesTable>;

export interface ParticipantInfo {
  user_id: string;
  role: Role;
  full_name: string;
  left_at: Date | null;
  last_read_seq: number;
}

export interface RoomListRow extends RoomRow {
  last_read_seq: number;
  unread_count: number;
  activity_at: Date;
}

export interface UserRef {
  id: string;
  role: Role;
  status: string;
  full_name: string;
}

/** All SQL of the chat area. Methods take the executor so they run inside or outside a transaction. */
export class ChatRepository {
  async findUsers(db: Executor, ids: string[]): Promise<UserRef[]> {
    if (ids.length === 0) return [];
    return db.selectFrom('users').select(['id', 'role', 'status', 'full_name']).where('id', 'in', ids).execute();
  }

  async findRoom(db: Executor, roomId: string): Promise<RoomRow | undefined> {
    return db.selectFrom('chat_rooms').selectAll().where('id', '=', roomId).executeTakeFirst();
  }

  /** The room, if `userId` is a current (not departed) participant: one round trip for the check every room read makes. */
  async findRoomOfMember(db: Executor, roomId: string, userId: string): Promise<RoomRow | undefined> {
    return db
      .selectFrom('chat_rooms as r')
      .innerJoin('chat_participants as p', (join) => join.onRef('p.room_id', '=', 'r.id').on('p.user_id', '=', userId).on('p.left_at', 'is', null))
      .selectAll('r')
      .where('r.id', '=', roomId)
      .executeTakeFirst();
  }

  async findDirect(db: Executor, directKey: string): Promise<RoomRow | undefined> {
    return db.selectFrom('chat_rooms').selectAll().where('direct_key', '=', directKey).executeTakeFirst();
  }

  async insertRoom(db: Executor, values: { kind: RoomKind; title: string | null; direct_key: string | null; created_by: string | null }): Promise<RoomRow> {
    return db
      .insertInto('chat_rooms')
      .values({ ...values, last_message_at: null })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Adds participants, or brings back ones who had left. */
  async setCreator(db: Executor, roomId: string, userId: string): Promise<RoomRow> {
    return db.updateTable('chat_rooms').set({ created_by: userId }).where('id', '=', roomId).returningAll().executeTakeFirstOrThrow();
  }

  async upsertParticipants(db: Executor, roomId: string, userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    await db
      .insertInto('chat_participants')
      .values(userIds.map((user_id) => ({ room_id: roomId, user_id, left_at: null })))
      .onConflict((oc) => oc.columns(['room_id', 'user_id']).doUpdateSet({ left_at: null }))
      .execute();
  }

  async participants(db: Executor, roomId: string): Promise<ParticipantInfo[]> {
    return db
      .selectFrom('chat_participants as p')
      .innerJoin('users as u', 'u.id', 'p.user_id')
      .select(['p.user_id', 'u.role', 'u.full_name', 'p.left_at', 'p.last_read_seq'])
      .where('p.room_id', '=', roomId)
      .orderBy('p.joined_at')
      .execute();
  }

  async participantsOfRooms(db: Executor, roomIds: string[]): Promise<(ParticipantInfo & { room_id: string })[]> {
    if (roomIds.length === 0) return [];
    return db
      .selectFrom('chat_participants as p')
      .innerJoin('users as u', 'u.id', 'p.user_id')
      .select(['p.room_id', 'p.user_id', 'u.role', 'u.full_name', 'p.left_at', 'p.last_read_seq'])
      .where('p.room_id', 'in', roomIds)
      .where('p.left_at', 'is', null)
      .orderBy('p.joined_at')
      .execute();
  }

  async membership(db: Executor, roomId: string, userId: string): Promise<{ left_at: Date | null; last_read_seq: number } | undefined> {
    return db
      .selectFrom('chat_participants')
      .select(['left_at', 'last_read_seq'])
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  async activeParticipantIds(db: Executor, roomId: string): Promise<string[]> {
    const rows = await db.selectFrom('chat_participants').select('user_id').where('room_id', '=', roomId).where('left_at', 'is', null).execute();
    return rows.map((r) => r.user_id);
  }

  /** The rooms a user currently belongs to, with their last seq (socket baselines). */
  async roomsOfUser(db: Executor, userId: string): Promise<{ id: string; last_seq: number }[]> {
    return db
      .selectFrom('chat_participants as p')
      .innerJoin('chat_rooms as r', 'r.id', 'p.room_id')
      .select(['r.id', 'r.last_seq'])
      .where('p.user_id', '=', userId)
      .where('p.left_at', 'is', null)
      .execute();
  }

  /** Own rooms, most recently active first, keyset-paged on (activity_at, id). */
  async listRooms(db: Executor, userId: string, limit: number, after: { v: string; id: string } | null): Promise<RoomListRow[]> {
    const activity = sql<Date>`coalesce(r.last_message_at, r.created_at)`;
    let query = db
      .selectFrom('chat_participants as p')
      .innerJoin('chat_rooms as r', 'r.id', 'p.room_id')
      .selectAll('r')
      .select([
        'p.last_read_seq',
        activity.as('activity_at'),
        sql<number>`(select count(*) from chat_messages m where m.room_id = r.id and m.seq > p.last_read_seq and m.sender_id is distinct from ${userId})`.as(
          'unread_count',
        ),
      ])
      .where('p.user_id', '=', userId)
      .where('p.left_at', 'is', null);
    if (after) {
      query = query.where(sql<boolean>`(coalesce(r.last_message_at, r.created_at), r.id) < (${new Date(after.v)}::timestamptz, ${after.id}::uuid)`);
    }
    return query
      .orderBy(activity, 'desc')
      .orderBy('r.id', 'desc')
      .limit(limit + 1)
      .execute() as Promise<RoomListRow[]>;
  }

  async unread(db: Executor, roomId: string, userId: string): Promise<{ last_read_seq: number; unread_count: number } | undefined> {
    return db
      .selectFrom('chat_participants as p')
      .select([
        'p.last_read_seq',
        sql<number>`(select count(*) from chat_messages m where m.room_id = p.room_id and m.seq > p.last_read_seq and m.sender_id is distinct from ${userId})`.as(
          'unread_count',
        ),
      ])
      .where('p.room_id', '=', roomId)
      .where('p.user_id', '=', userId)
      .executeTakeFirst();
  }

  async lastMessages(db: Executor, rooms: { id: string; last_seq: number }[]): Promise<MessageRow[]> {
    const withMessages = rooms.filter((r) => r.last_seq > 0);
    if (withMessages.length === 0) return [];
    return db
      .selectFrom('chat_messages')
      .selectAll()
      .where((eb) => eb.or(withMessages.map((r) => eb.and([eb('room_id', '=', r.id), eb('seq', '=', r.last_seq)]))))
      .execute();
  }

  /**
   * GET /chat/rooms/{id}/history in one round trip: the membership check, the room's current
   * patients (whose audit rows the read writes) and the page of messages, newest first. Fixed SQL
   * text (two shapes, with and without `before_seq`), so it is one prepared statement and no
   * query is built per request (docs/BENCHMARKS.md, "Read paths"). `undefined` when `userId` is
   * not a current participant; otherwise the messages (up to `limit + 1`) and the patients.
   */
  async historyOfMember(
    db: Executor,
    roomId: string,
    userId: string,
    beforeSeq: number | null,
    limit: number,
  ): Promise<{ messages: MessageRow[]; patientIds: string[] } | undefined> {
    const values: unknown[] = [roomId, userId, limit + 1];
    if (beforeSeq !== null) values.push(beforeSeq);
    const result = await db.executeQuery<MessageRow & { patient_ids: string }>(
      CompiledQuery.raw(beforeSeq === null ? HISTORY_OF_MEMBER : HISTORY_OF_MEMBER_BEFORE, values),
    );
    const rows = result.rows;
    if (rows.length === 0) return undefined;
    // A uuid[] as text: `{a,b}` (uuids need no quoting), `{}` when the room has no patient.
    const list = rows[0]!.patient_ids;
    const patientIds = list.length > 2 ? list.slice(1, -1).split(',') : [];
    const messages: MessageRow[] = [];
    // A member of a room without messages gets one row whose message columns are null.
    for (const row of rows) {
      if (row.id === null) continue;
      messages.push({
        id: row.id,
        room_id: row.room_id,
        seq: row.seq,
        sender_id: row.sender_id,
        sender_role: row.sender_role,
        kind: row.kind,
        content: row.content,
        file_id: row.file_id,
        client_msg_id: row.client_msg_id,
        created_at: row.created_at,
      });
    }
    return { messages, patientIds };
  }

  /** Messages after `afterSeq`, oldest first (resume and gap fill). */
  async messagesAfter(db: Executor, roomId: string, afterSeq: number, limit: number): Promise<MessageRow[]> {
    return db.selectFrom('chat_messages').selectAll().where('room_id', '=', roomId).where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(limit).execute();
  }

  async findByClientMsgId(db: Executor, roomId: string, senderId: string, clientMsgId: string): Promise<MessageRow | undefined> {
    return db
      .selectFrom('chat_messages')
      .selectAll()
      .where('room_id', '=', roomId)
      .where('sender_id', '=', senderId)
      .where('client_msg_id', '=', clientMsgId)
      .executeTakeFirst();
  }

  /** Locks the room row until the transaction ends, so seq allocation and the idempotency check are serial per room. */
  async lockRoom(db: Executor, roomId: string): Promise<RoomRow | undefined> {
    return db.selectFrom('chat_rooms').selectAll().where('id', '=', roomId).forUpdate().executeTakeFirst();
  }

  async allocateSeq(db: Executor, roomId: string, at: Date): Promise<number> {
    const row = await db
      .updateTable('chat_rooms')
      .set({ last_seq: sql`last_seq + 1`, last_message_at: at })
      .where('id', '=', roomId)
      .returning('last_seq')
      .executeTakeFirstOrThrow();
    return row.last_seq;
  }

  /**
   * `allocateSeq` for a participant's own message, with the room's current patients in the same
   * statement: their audit rows are written with the message (chat.service.ts `send`).
   */
  async allocateSeqForSend(db: Executor, roomId: string, at: Date): Promise<{ seq: number; patientIds: string[] }> {
    const row = await db
      .updateTable('chat_rooms as r')
      .set({ last_seq: sql`last_seq + 1`, last_message_at: at })
      .where('r.id', '=', roomId)
      .returning(['r.last_seq', sql<string[]>`${sql.raw(roomPatientsSql('r.id'))}::text[]`.as('patient_ids')])
      .executeTakeFirstOrThrow();
    return { seq: row.last_seq, patientIds: row.patient_ids ?? [] };
  }

  /** Reserves `count` consecutive seqs; returns the last (the first is last - count + 1). */
  async allocateSeqs(db: Executor, roomId: string, count: number, at: Date): Promise<number> {
    const row = await db
      .updateTable('chat_rooms')
      .set({ last_seq: sql`last_seq + ${count}::bigint`, last_message_at: at })
      .where('id', '=', roomId)
      .returning('last_seq')
      .executeTakeFirstOrThrow();
    return row.last_seq;
  }

  async insertMessages(db: Executor, values: Parameters<ChatRepository['insertMessage']>[1][]): Promise<MessageRow[]> {
    return db.insertInto('chat_messages').values(values).returningAll().execute();
  }

  async insertMessage(
    db: Executor,
    values: {
      room_id: string;
      seq: number;
      sender_id: string | null;
      sender_role: SenderRole;
      kind: MessageKind;
      content: string;
      file_id: string | null;
      client_msg_id: string | null;
      created_at: Date;
    },
  ): Promise<MessageRow> {
    return db.insertInto('chat_messages').values(values).returningAll().executeTakeFirstOrThrow();
  }

  /** Moves the read pointer forward only, capped at the room's last seq. Returns the new value. */
  async markRead(db: Executor, roomId: string, userId: string, upToSeq: number): Promise<number | undefined> {
    const row = await db
      .updateTable('chat_participants as p')
      .from('chat_rooms as r')
      .set({ last_read_seq: sql`greatest(p.last_read_seq, least(${upToSeq}::bigint, r.last_seq))` })
      .whereRef('r.id', '=', 'p.room_id')
      .where('p.room_id', '=', roomId)
      .where('p.user_id', '=', userId)
      .where('p.left_at', 'is', null)
      .returning('p.last_read_seq')
      .executeTakeFirst();
    return row?.last_read_seq;
  }

  async leave(db: Executor, roomId: string, userId: string): Promise<boolean> {
    const res = await db
      .updateTable('chat_participants')
      .set({ left_at: new Date() })
      .where('room_id', '=', roomId)
      .where('user_id', '=', userId)
      .where('left_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Everyone who shares a current room with the user (whose presence they may see). */
  async peersOf(db: Executor, userId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('chat_participants as a')
      .innerJoin('chat_participants as b', 'b.room_id', 'a.room_id')
      .select('b.user_id')
      .distinct()
      .where('a.user_id', '=', userId)
      .where('a.left_at', 'is', null)
      .where('b.left_at', 'is', null)
      .where('b.user_id', '<>', userId)
      .limit(1000)
      .execute();
    return rows.map((r) => r.user_id);
  }

  /**
   * Care link: the doctor and the patient are both current participants of a room the
   * patient joined of their own accord or the clinic set up — one the patient opened, or
   * one a nurse or admin opened (a referral). A room a doctor opened rests on the care
   * relationship that allowed it and does not outlive it (issue 11: no doctor-made link
   * may sustain itself). Leaving the room ends the link.
   */
  async shareRoom(db: Executor, doctorId: string, patientId: string): Promise<boolean> {
    const row = await db
      .selectFrom('chat_participants as a')
      .innerJoin('chat_participants as b', 'b.room_id', 'a.room_id')
      .innerJoin('chat_rooms as r', 'r.id', 'a.room_id')
      .leftJoin('users as c', 'c.id', 'r.created_by')
      .select('a.room_id')
      .where('a.user_id', '=', doctorId)
      .where('b.user_id', '=', patientId)
      .where('a.left_at', 'is', null)
      .where('b.left_at', 'is', null)
      .where((eb) => eb.or([eb('r.created_by', '=', patientId), eb('c.role', 'in', ['nurse', 'admin'])]))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** `shareRoom` as a SQL condition (CareRelationships.sqlCondition). */
  shareRoomSql(doctor: string, patient: string): string {
    return (
      'exists (select 1 from chat_participants care_p join chat_participants care_q on care_q.room_id = care_p.room_id ' +
      'join chat_rooms care_r on care_r.id = care_p.room_id left join users care_u on care_u.id = care_r.created_by ' +
      `where care_p.user_id = ${doctor} and care_q.user_id = ${patient} and care_p.left_at is null and care_q.left_at is null ` +
      `and (care_r.created_by = ${patient} or care_u.role in ('nurse', 'admin')))`
    );
  }

  /** Everyone `shareRoom` is true for (with doctorId); non-patients in the list are harmless to callers. */
  async roomCareLinkPatients(db: Executor, doctorId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('chat_participants as a')
      .innerJoin('chat_participants as b', 'b.room_id', 'a.room_id')
      .innerJoin('chat_rooms as r', 'r.id', 'a.room_id')
      .leftJoin('users as c', 'c.id', 'r.created_by')
      .select('b.user_id')
      .distinct()
      .where('a.user_id', '=', doctorId)
      .where('b.user_id', '<>', doctorId)
      .where('a.left_at', 'is', null)
      .where('b.left_at', 'is', null)
      .where((eb) => eb.or([eb('r.created_by', '=', eb.ref('b.user_id')), eb('c.role', 'in', ['nurse', 'admin'])]))
      .execute();
    return rows.map((r) => r.user_id);
  }

  /** Was `fileId` shared in a room where `userId` is a current participant? */
  async fileSharedWith(db: Executor, fileId: string, userId: string): Promise<boolean> {
    const row = await db
      .selectFrom('chat_messages as m')
      .innerJoin('chat_participants as p', 'p.room_id', 'm.room_id')
      .select('m.id')
      .where('m.file_id', '=', fileId)
      .where('p.user_id', '=', userId)
      .where('p.left_at', 'is', null)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async stats(db: Executor, since: Date) {
    const rooms = await db
      .selectFrom('chat_rooms')
      .select(['kind', sql<number>`count(*)`.as('n')])
      .groupBy('kind')
      .execute();
    const messages = await db
      .selectFrom('chat_messages')
      .select([sql<number>`count(*)`.as('total'), sql<number>`count(*) filter (where created_at >= ${since})`.as('recent')])
      .executeTakeFirstOrThrow();
    return { rooms, messages };
  }

  async insertBroadcast(db: Executor, values: { sender_id: string; role: string | null; content: string }) {
    return db.insertInto('chat_broadcasts').values(values).returningAll().executeTakeFirstOrThrow();
  }
}

/** The current patients of the room whose id is in `roomIdColumn`, oldest member first (a uuid[] expression). */
function roomPatientsSql(roomIdColumn: string): string {
  return (
    'array(select p.user_id from chat_participants p join users u on u.id = p.user_id ' +
    `where p.room_id = ${roomIdColumn} and p.left_at is null and u.role = 'patient' order by p.joined_at)`
  );
}

function historyOfMemberSql(beforeSeq: boolean): string {
  // `me` is at most one row; `offset 0` keeps PostgreSQL from pulling it up, which would evaluate
  // the patients' sub-select once per message row. The patients go as one text value (parsed once
  // in historyOfMember) rather than an array pg would parse on every row.
  return (
    'select m.id, m.room_id, m.seq, m.sender_id, m.sender_role, m.kind, m.content, m.file_id, m.client_msg_id, m.created_at, me.patient_ids ' +
    `from (select p0.room_id, ${roomPatientsSql('p0.room_id')}::text as patient_ids ` +
    'from chat_participants p0 where p0.room_id = $1 and p0.user_id = $2 and p0.left_at is null offset 0) me ' +
    'left join lateral (select * from chat_messages where room_id = me.room_id' +
    (beforeSeq ? ' and seq < $4' : '') +
    ' order by seq desc limit $3) m on true ' +
    'order by m.seq desc'
  );
}
const HISTORY_OF_MEMBER = historyOfMemberSql(false);
const HISTORY_OF_MEMBER_BEFORE = historyOfMemberSql(true);
