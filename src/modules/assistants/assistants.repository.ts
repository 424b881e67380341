import type { Executor } from '../../platform/database/index.js';
import type { ConversationState } from './dialogue.js';
import './assistants.tables.js';

/** SQL of the assistants: conversation state, the assistant room of each user, emergency flags. */
export class AssistantsRepository {
  async findConversation(db: Executor, id: string) {
    return db.selectFrom('assistant_conversations').select(['id', 'user_id', 'role', 'state', 'turns', 'expires_at']).where('id', '=', id).executeTakeFirst();
  }

  async insertConversation(db: Executor, values: { user_id: string; role: 'patient' | 'doctor'; state: ConversationState; expires_at: Date }) {
    const row = await db
      .insertInto('assistant_conversations')
      .values({ user_id: values.user_id, role: values.role, state: JSON.stringify(values.state), expires_at: values.expires_at, turns: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async saveConversation(db: Executor, id: string, state: ConversationState, expiresAt: Date): Promise<void> {
    await db
      .updateTable('assistant_conversations')
      .set((eb) => ({ state: JSON.stringify(state), expires_at: expiresAt, updated_at: new Date(), turns: eb('turns', '+', 1) }))
      .where('id', '=', id)
      .execute();
  }

  async deleteExpired(db: Executor, now: Date, limit = 500): Promise<number> {
    const rows = await db
      .deleteFrom('assistant_conversations')
      .where('id', 'in', (eb) => eb.selectFrom('assistant_conversations').select('id').where('expires_at', '<', now).limit(limit))
      .returning('id')
      .execute();
    return rows.length;
  }

  async roomOf(db: Executor, userId: string): Promise<string | undefined> {
    const row = await db.selectFrom('assistant_rooms').select('room_id').where('user_id', '=', userId).executeTakeFirst();
    return row?.room_id;
  }

  /** Keeps the first room recorded for the user (a racing second one is left unused). */
  async setRoom(db: Executor, userId: string, roomId: string): Promise<string> {
    await db
      .insertInto('assistant_rooms')
      .values({ user_id: userId, room_id: roomId })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .execute();
    return (await this.roomOf(db, userId)) ?? roomId;
  }

  async isAssistantRoom(db: Executor, roomId: string): Promise<{ user_id: string } | undefined> {
    return db.selectFrom('assistant_rooms').select('user_id').where('room_id', '=', roomId).executeTakeFirst();
  }

  async addEmergencyFlag(db: Executor, patientId: string, level: string, source: string): Promise<void> {
    await db.insertInto('assistant_emergency_flags').values({ patient_id: patientId, level, source }).execute();
  }

  async recentEmergencyFlags(db: Executor, patientIds: string[], since: Date) {
    if (!patientIds.length) return [];
    return db
      .selectFrom('assistant_emergency_flags')
      .select(['patient_id', 'level', 'created_at'])
      .where('patient_id', 'in', patientIds)
      .where('created_at', '>=', since)
      .orderBy('created_at', 'desc')
      .execute();
  }
}
