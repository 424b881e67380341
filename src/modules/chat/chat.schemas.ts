import { Type, type Static } from 'typebox';
import { DateTime, Uuid } from '../../platform/http/schemas.js';
import { PageQuery, pageOf } from '../../platform/http/pagination.js';

const Role = Type.Union([Type.Literal('patient'), Type.Literal('doctor'), Type.Literal('nurse'), Type.Literal('admin')]);
export const RoomKindSchema = Type.Union([Type.Literal('direct'), Type.Literal('care_team'), Type.Literal('assistant')]);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** client_msg_id: the client's idempotency key for a message (a resend returns the same ack). */
export const ClientMsgId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });

export const MessageSchema = Type.Object(
  {
    id: Uuid,
    room_id: Uuid,
    seq: Type.Integer(),
    sender_id: Nullable(Uuid),
    sender_role: Type.Union([Role, Type.Literal('assistant'), Type.Literal('system')]),
    kind: Type.Union([Type.Literal('text'), Type.Literal('file'), Type.Literal('system')]),
    content: Type.String(),
    file_id: Nullable(Uuid),
    client_msg_id: Nullable(Type.String()),
    created_at: DateTime,
  },
  { $id: 'ChatMessage', additionalProperties: false },
);

export const RoomSchema = Type.Object(
  {
    id: Uuid,
    kind: RoomKindSchema,
    title: Nullable(Type.String()),
    created_at: DateTime,
    last_seq: Type.Integer(),
    participants: Type.Array(Type.Object({ user_id: Uuid, role: Role, full_name: Type.String() }, { additionalProperties: false })),
    last_message: Nullable(Type.Ref('ChatMessage')),
    last_read_seq: Type.Integer(),
    unread_count: Type.Integer(),
  },
  { $id: 'ChatRoom', additionalProperties: false },
);

export const CreateRoomBody = Type.Object(
  {
    kind: RoomKindSchema,
    participant_ids: Type.Array(Uuid, { maxItems: 50, default: [] }),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const CreateRoomAliasBody = Type.Object({ doctor_id: Uuid, patient_id: Uuid }, { additionalProperties: false });

export const RoomPage = pageOf(Type.Ref('ChatRoom'));
export const RoomListQuery = PageQuery;

export const HistoryQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
    before_seq: Type.Optional(Type.Integer({ minimum: 1 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export const HistoryPage = Type.Object({
  items: Type.Array(Type.Ref('ChatMessage')),
  next_cursor: Nullable(Type.String()),
  next_before_seq: Nullable(Type.Integer()),
});

export const SendBody = Type.Object(
  {
    content: Type.String({ maxLength: 65536 }),
    client_msg_id: Type.Optional(ClientMsgId),
    file_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export const ReadBody = Type.Object({ up_to_seq: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });
export const ReadReply = Type.Object({ room_id: Uuid, last_read_seq: Type.Integer(), unread_count: Type.Integer() });

export const StatsReply = Type.Object({
  rooms: Type.Object({ total: Type.Integer(), direct: Type.Integer(), care_team: Type.Integer(), assistant: Type.Integer() }),
  messages: Type.Object({ total: Type.Integer(), last_24h: Type.Integer() }),
  online_users: Type.Integer(),
  connections_this_instance: Type.Integer(),
});
export const ActiveUsersReply = Type.Object({
  items: Type.Array(Type.Object({ user_id: Uuid, status: Type.Union([Type.Literal('online'), Type.Literal('away')]), role: Role, full_name: Type.String() })),
});
export const BroadcastBody = Type.Object(
  { content: Type.String({ minLength: 1, maxLength: 65536 }), role: Type.Optional(Role) },
  { additionalProperties: false },
);
export const BroadcastReply = Type.Object({ id: Uuid, role: Nullable(Role), content: Type.String(), created_at: DateTime });

export const RoomIdParams = Type.Object({ id: Uuid });
export const UserIdParams = Type.Object({ user_id: Uuid });

// ---- socket frames (client → server) ----

const RoomId = Uuid;
export const ClientFrames = {
  auth: Type.Object({ type: Type.Literal('auth'), token: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
  chat_message: Type.Object(
    { type: Type.Literal('chat_message'), room_id: RoomId, content: Type.String(), client_msg_id: Type.Optional(ClientMsgId) },
    { additionalProperties: false },
  ),
  typing: Type.Object({ type: Type.Literal('typing'), room_id: RoomId, is_typing: Type.Boolean() }, { additionalProperties: false }),
  /** Seed 001's name for `typing`. */
  typing_indicator: Type.Object({ type: Type.Literal('typing_indicator'), room_id: RoomId, is_typing: Type.Boolean() }, { additionalProperties: false }),
  read: Type.Object({ type: Type.Literal('read'), room_id: RoomId, up_to_seq: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  file_share: Type.Object(
    {
      type: Type.Literal('file_share'),
      room_id: RoomId,
      file_id: Uuid,
      caption: Type.Optional(Type.String({ maxLength: 2000 })),
      client_msg_id: Type.Optional(ClientMsgId),
    },
    { additionalProperties: false },
  ),
  join: Type.Object({ type: Type.Literal('join'), room_id: RoomId }, { additionalProperties: false }),
  leave: Type.Object({ type: Type.Literal('leave'), room_id: RoomId }, { additionalProperties: false }),
  resume: Type.Object({ type: Type.Literal('resume'), room_id: RoomId, after_seq: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  ping: Type.Object({ type: Type.Literal('ping'), ts: Type.Optional(Type.Number()) }, { additionalProperties: false }),
  presence: Type.Object(
    { type: Type.Literal('presence'), status: Type.Union([Type.Literal('online'), Type.Literal('away')]) },
    { additionalProperties: false },
  ),
};
export type ClientFrame = { [K in keyof typeof ClientFrames]: Static<(typeof ClientFrames)[K]> }[keyof typeof ClientFrames];

export const SocketQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 4096 })) });
