import { sql } from 'kysely';
import type { Db } from '../../platform/database/index.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import type { AuditService, RequestMeta } from '../audit/index.js';
import type { MessageRow } from './chat.repository.js';
import type { RoomKind } from './chat.tables.js';
import { messageDto, type MessageDto } from './chat.service.js';

/** One message in a patient's data export. */
export interface MessageExportItem extends MessageDto {
  room_kind: RoomKind;
  /** `sent`: the patient wrote it; `received`: someone else wrote it in a room the patient took part in. */
  direction: 'sent' | 'received';
}

/**
 * The chat section of "Download my data" (identity's PatientExportService, wired in
 * src/modules/services.ts): every message the patient wrote, and every message written in a
 * room they are or were a participant of (what GET /chat/rooms/{id}/history showed them), by
 * time. A room holds at most one patient (ChatService.createRoom), but membership can change,
 * so messages written by any other patient are left out: another person's words are not this
 * patient's data to receive (GDPR Art. 15(4)). Each page is audited as one list read.
 */
export class ChatExport {
  constructor(
    private readonly db: Db,
    private readonly audit: Pick<AuditService, 'record'>,
  ) {}

  async page(
    meta: RequestMeta,
    patientId: string,
    cursor: string | undefined,
    limit = 100,
  ): Promise<{ items: MessageExportItem[]; next_cursor: string | null }> {
    const after = decodeCursor(cursor, 'timestamp');
    const { rows } = await sql<MessageRow & { room_kind: RoomKind }>`
      select m.*, (select r.kind from chat_rooms r where r.id = m.room_id) as room_kind
      from chat_messages m
      where (m.sender_id = ${patientId}
          or (m.sender_role <> 'patient'
              and exists (select 1 from chat_participants p where p.room_id = m.room_id and p.user_id = ${patientId})))
        ${after ? sql`and (m.created_at, m.id) > (select created_at, id from chat_messages where id = ${after.id})` : sql``}
      order by m.created_at, m.id
      limit ${limit + 1}`.execute(this.db);
    const page = toPage(
      rows,
      limit,
      (row) => row.created_at.toISOString(),
      (row): MessageExportItem => ({
        ...messageDto(row),
        room_kind: row.room_kind,
        direction: row.sender_id === patientId ? 'sent' : 'received',
      }),
    );
    if (page.items.length) {
      await this.audit.record(this.db, meta, [
        {
          patientId,
          resourceType: 'chat_message',
          resourceId: null,
          resourceIds: page.items.map((item) => item.id),
          action: 'list',
          details: { export: true },
        },
      ]);
    }
    return page;
  }
}
