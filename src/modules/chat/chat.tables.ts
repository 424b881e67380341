import type { Generated } from 'kysely';

export type RoomKind = 'direct' | 'care_team' | 'assistant';
export type SenderRole = 'patient' | 'doctor' | 'nurse' | 'admin' | 'assistant' | 'system';
export type MessageKind = 'text' | 'file' | 'system';

export interface ChatRoomsTable {
  id: Generated<string>;
  kind: RoomKind;
  title: string | null;
  /** `lowerId:higherId` for direct rooms: one room per pair (unique index). */
  direct_key: string | null;
  created_by: string | null;
  /** The last allocated per-room sequence number; bumped under the row lock in the send transaction. */
  last_seq: Generated<number>;
  last_message_at: Date | null;
  created_at: Generated<Date>;
}

export interface ChatParticipantsTable {
  room_id: string;
  user_id: string;
  joined_at: Generated<Date>;
  left_at: Date | null;
  last_read_seq: Generated<number>;
}

export interface ChatMessagesTable {
  id: Generated<string>;
  room_id: string;
  seq: number;
  sender_id: string | null;
  sender_role: SenderRole;
  kind: MessageKind;
  content: string;
  file_id: string | null;
  client_msg_id: string | null;
  created_at: Generated<Date>;
}

export interface ChatBroadcastsTable {
  id: Generated<string>;
  sender_id: string;
  role: string | null;
  content: string;
  created_at: Generated<Date>;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    chat_rooms: ChatRoomsTable;
    chat_participants: ChatParticipantsTable;
    chat_messages: ChatMessagesTable;
    chat_broadcasts: ChatBroadcastsTable;
  }
}
