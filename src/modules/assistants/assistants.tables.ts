import type { Generated, JSONColumnType } from 'kysely';
import type { ConversationState } from './dialogue.js';

export interface AssistantConversationsTable {
  id: Generated<string>;
  user_id: string;
  role: 'patient' | 'doctor';
  state: JSONColumnType<ConversationState, string, string>;
  turns: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  expires_at: Date;
}

export interface AssistantRoomsTable {
  user_id: string;
  room_id: string;
  created_at: Generated<Date>;
}

export interface AssistantEmergencyFlagsTable {
  id: Generated<string>;
  patient_id: string;
  level: string;
  source: string;
  created_at: Generated<Date>;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    assistant_conversations: AssistantConversationsTable;
    assistant_rooms: AssistantRoomsTable;
    assistant_emergency_flags: AssistantEmergencyFlagsTable;
  }
}
