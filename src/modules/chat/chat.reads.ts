import { sql } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { MessageRow } from './chat.repository.js';

/** A chat message with the patient its room is about (a room holds at most one patient, ChatService.createRoom). */
export type PatientMessageRow = MessageRow & { patient_id: string };

interface Bound {
  at: Date;
  inclusive: boolean;
}

export interface PatientMessageSearch {
  /** Chat's own rule: only rooms this user is a current participant of (as GET /chat/rooms/{id}/history). */
  memberId: string;
  ids?: string[];
  /** Patients whose conversations may be returned; the caller has checked access to each. */
  patientIds?: string[];
  /** On created_at (a message is never edited, so this is also its last update). */
  from?: Bound;
  to?: Bound;
  descending: boolean;
  /** The last message of the previous page (its position is read in SQL, keeping PostgreSQL's microseconds). */
  afterId: string | null;
  limit: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Messages between a patient and their care team, for the FHIR facade (Communication,
 * src/modules/fhir): the rooms the caller is a current member of that have a patient in them,
 * keyset-ordered by (created_at, id). No audit here — the caller audits what it returns.
 * Rooms without a patient (staff among themselves) are not patient data and never returned.
 */
export class ChatReads {
  constructor(private readonly db: Executor) {}

  async patientMessages(search: PatientMessageSearch): Promise<PatientMessageRow[]> {
    if (search.ids && !search.ids.every((id) => UUID_RE.test(id))) return [];
    const op = sql.raw(search.descending ? '<' : '>');
    const direction = sql.raw(search.descending ? 'desc' : 'asc');
    const { rows } = await sql<PatientMessageRow>`
      select m.*, pat.user_id as patient_id
      from chat_messages m
      join chat_participants me on me.room_id = m.room_id and me.user_id = ${search.memberId} and me.left_at is null
      join lateral (
        select p.user_id from chat_participants p join users u on u.id = p.user_id
        where p.room_id = m.room_id and u.role = 'patient' order by p.joined_at limit 1
      ) pat on true
      where (m.sender_role <> 'patient' or m.sender_id = pat.user_id)
        ${search.ids ? sql`and m.id in (${sql.join(search.ids.length ? search.ids : ['00000000-0000-0000-0000-000000000000'])})` : sql``}
        ${search.patientIds ? sql`and pat.user_id in (${sql.join(search.patientIds.length ? search.patientIds : ['00000000-0000-0000-0000-000000000000'])})` : sql``}
        ${search.from ? sql`and m.created_at ${sql.raw(search.from.inclusive ? '>=' : '>')} ${search.from.at}` : sql``}
        ${search.to ? sql`and m.created_at ${sql.raw(search.to.inclusive ? '<=' : '<')} ${search.to.at}` : sql``}
        ${search.afterId ? sql`and (m.created_at, m.id) ${op} (select created_at, id from chat_messages where id = ${search.afterId})` : sql``}
      order by m.created_at ${direction}, m.id ${direction}
      limit ${search.limit}`.execute(this.db);
    return rows;
  }
}
