import type { Actor, CareRelationships } from '../../platform/access.js';
import type { Role } from '../../platform/auth/tokens.js';
import { isUniqueViolation, type Db, type Executor } from '../../platform/database/index.js';
import { ForbiddenError, NotFoundError, PayloadTooLargeError, ValidationError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import { iso } from '../../platform/http/schemas.js';
import { decodeCursor, encodeCursor } from '../../platform/http/pagination.js';
import type { ChatRepository, MessageRow, RoomRow } from './chat.repository.js';
import type { MessageKind, RoomKind, SenderRole } from './chat.tables.js';
import { FileShareRefusedError, RoomLeftError } from './chat.errors.js';
import type { Frame, Hub } from './hub.js';
import type { AuditEvent, AuditService, RequestMeta } from '../audit/index.js';

/** Largest message body, in UTF-8 bytes (contract: oversized messages get a clear error). */
export const MAX_MESSAGE_BYTES = 8 * 1024;
const STAFF: readonly Role[] = ['doctor', 'nurse', 'admin'];

export interface EmergencyResult {
  is_emergency: boolean;
  level: string;
  matched: unknown[];
  advice?: string;
}
export type EmergencyDetector = (text: string) => EmergencyResult | Promise<EmergencyResult>;

/** Read access to an uploaded file, asked of the files area (null while that area is absent). */
export interface FileAccess {
  /**
   * File metadata when `actor` may read it, otherwise null (unknown and foreign look the same).
   * `patient_id`: whose data the file is (its patient, or the patient who uploaded it), or null.
   */
  readable(actor: Actor, fileId: string): Promise<{ id: string; filename: string; content_type: string; size: number; patient_id: string | null } | null>;
}

export interface MessageDto {
  id: string;
  room_id: string;
  seq: number;
  sender_id: string | null;
  sender_role: SenderRole;
  kind: MessageKind;
  content: string;
  file_id: string | null;
  client_msg_id: string | null;
  created_at: string;
}

export function messageDto(row: MessageRow): MessageDto {
  return {
    id: row.id,
    room_id: row.room_id,
    seq: row.seq,
    sender_id: row.sender_id,
    sender_role: row.sender_role,
    kind: row.kind,
    content: row.content,
    file_id: row.file_id,
    client_msg_id: row.client_msg_id,
    created_at: iso(row.created_at),
  };
}

/** The socket shape of a stored message (docs/API.md §4 `chat_message`). */
export function messageFrame(row: MessageRow): Frame {
  return {
    type: 'chat_message',
    room_id: row.room_id,
    message_id: row.id,
    seq: row.seq,
    sender_id: row.sender_id,
    sender_role: row.sender_role,
    kind: row.kind,
    content: row.content,
    file_id: row.file_id,
    client_msg_id: row.client_msg_id,
    created_at: iso(row.created_at),
  };
}

export interface SendInput {
  roomId: string;
  content: string;
  clientMsgId?: string | null;
  fileId?: string | null;
  /** Where the message came from (HTTP request or socket), for its audit rows. */
  origin?: Omit<RequestMeta, 'actor'> | null;
}

function emergencyEvent(patientId: string, message: MessageRow, result: EmergencyResult) {
  return { patientId, roomId: message.room_id, messageId: message.id, level: result.level, matched: result.matched };
}

/**
 * Chat rules. Who may open a direct room with whom (documented in docs/REALTIME.md):
 *  - a patient with a doctor only when a care relationship exists (an appointment, past or
 *    future, assignment, or an existing shared room); with nurses and admins (the clinic's
 *    front desk) always; never with another patient;
 *  - a doctor with a patient only under the same care relationship (opening a room creates a
 *    care link, so it must not be a way to reach a stranger's record); with staff always;
 *  - nurses and admins with anyone, and they may set up a room between a doctor and a patient
 *    (a referral / assignment act).
 * Care-team rooms are created by staff; a patient in one must be someone the creator may access.
 */
export class ChatService {
  constructor(
    private readonly db: Db,
    private readonly repo: ChatRepository,
    private readonly care: CareRelationships,
    private readonly events: EventBus,
    private readonly hub: Hub,
    private readonly deps: { files: FileAccess; detector: EmergencyDetector; audit: AuditService },
  ) {}

  /**
   * The care relationships a room causes (see ChatRepository.shareRoom): each doctor with
   * each patient among the current participants, when the room was opened by that patient
   * or by a nurse or admin. Used to audit grants (room opened) and revocations (left).
   */
  private async careLinksOf(room: RoomRow): Promise<{ doctorId: string; patientId: string }[]> {
    if (room.kind === 'assistant') return [];
    const participants = await this.repo.participantsOfRooms(this.db, [room.id]);
    const [creator] = room.created_by ? await this.repo.findUsers(this.db, [room.created_by]) : [];
    const links: { doctorId: string; patientId: string }[] = [];
    for (const patient of participants.filter((p) => p.role === 'patient')) {
      if (room.created_by !== patient.user_id && creator?.role !== 'nurse' && creator?.role !== 'admin') continue;
      for (const doctor of participants.filter((p) => p.role === 'doctor')) links.push({ doctorId: doctor.user_id, patientId: patient.user_id });
    }
    return links;
  }

  private async auditCare(
    meta: RequestMeta | null | undefined,
    room: RoomRow,
    action: 'grant' | 'revoke',
    links?: { doctorId: string; patientId: string }[],
  ): Promise<void> {
    const events: AuditEvent[] = (links ?? (await this.careLinksOf(room))).map((l) => ({
      patientId: l.patientId,
      resourceType: 'care_relationship',
      resourceId: l.doctorId,
      action,
      details: { cause: 'chat_room', room_id: room.id },
    }));
    await this.deps.audit.record(this.db, meta ?? null, events);
  }

  // ---- rooms ----

  /**
   * `options.onBehalf`: another area opens the room for the actor as part of its own workflow
   * (a skin consult posting its case). Such a room is stored without a creator, so it is no
   * care relationship by itself (ChatRepository.shareRoom): access rests on the workflow's
   * own cause and ends with it (review M3). `onBehalfRoom` in the reply: the room (new or
   * found) is such a room, so the workflow may take its doctor out of it when it ends.
   */
  async createRoom(
    actor: Actor,
    input: { kind: RoomKind; participant_ids: string[]; title?: string },
    meta?: RequestMeta,
    options: { onBehalf?: boolean } = {},
  ): Promise<{ room: Awaited<ReturnType<ChatService['roomView']>>; created: boolean; onBehalfRoom?: boolean }> {
    const requested = [...new Set(input.participant_ids)];
    const staffForOthers =
      (actor.role === 'nurse' || actor.role === 'admin') && input.kind === 'direct' && requested.length === 2 && !requested.includes(actor.id);
    const ids = staffForOthers ? requested : [...new Set([actor.id, ...requested])];

    if (input.kind === 'assistant') {
      if (ids.length !== 1)
        throw new ValidationError('An assistant room holds only you and the assistant.', [
          { path: '/participant_ids', message: 'must be empty or only your own id' },
        ]);
      const room = await this.db.transaction().execute(async (trx) => {
        const row = await this.repo.insertRoom(trx, { kind: 'assistant', title: input.title ?? 'Assistant', direct_key: null, created_by: actor.id });
        await this.repo.upsertParticipants(trx, row.id, ids);
        return row;
      });
      await this.hub.roomAdded(actor.id, room.id, 0);
      return { room: await this.roomView(actor, room), created: true };
    }

    const users = await this.repo.findUsers(this.db, ids);
    const byId = new Map(users.map((u) => [u.id, u]));
    const errors = ids
      .map((id, i) => ({ id, i }))
      .filter(({ id }) => byId.get(id)?.status !== 'active')
      .map(({ i }) => ({ path: `/participant_ids/${i}`, message: 'is not an active user you can add' }));
    if (errors.length) throw new ValidationError('Some participants cannot be added to a chat room.', errors);

    if (input.kind === 'direct') {
      if (ids.length !== 2)
        throw new ValidationError('A direct room connects exactly two people.', [
          { path: '/participant_ids', message: 'must name exactly one other person (or, for staff, two people)' },
        ]);
      const [a, b] = ids.map((id) => byId.get(id)!);
      await this.checkDirectPair(actor, a!, b!);
      const directKey = [...ids].sort().join(':');
      let existing = await this.repo.findDirect(this.db, directKey);
      if (existing) {
        // A doctor re-opening a room the patient had left brings the patient back, but not their
        // consent: the room becomes the doctor's, which rests on the doctor's other relationship
        // and does not outlive it (ChatRepository.shareRoom). Otherwise a short-lived cause (an
        // appointment) plus a re-open would restore a lasting one the patient had ended.
        const patient = a!.role === 'patient' ? a! : b!.role === 'patient' ? b! : null;
        if (actor.role === 'doctor' && patient && existing.created_by !== actor.id) {
          const membership = await this.repo.membership(this.db, existing.id, patient.id);
          if (membership?.left_at) existing = await this.repo.setCreator(this.db, existing.id, actor.id);
        }
        await this.repo.upsertParticipants(this.db, existing.id, ids);
        for (const id of ids) await this.hub.roomAdded(id, existing.id, existing.last_seq);
        await this.auditCare(meta, existing, 'grant');
        return { room: await this.roomView(actor, existing), created: false, onBehalfRoom: existing.created_by === null };
      }
      let room: RoomRow;
      try {
        room = await this.db.transaction().execute(async (trx) => {
          const row = await this.repo.insertRoom(trx, {
            kind: 'direct',
            title: input.title ?? null,
            direct_key: directKey,
            created_by: options.onBehalf ? null : actor.id,
          });
          await this.repo.upsertParticipants(trx, row.id, ids);
          return row;
        });
      } catch (err) {
        if (!isUniqueViolation(err, 'chat_rooms_direct_key')) throw err;
        const raced = await this.repo.findDirect(this.db, directKey);
        if (!raced) throw err;
        return { room: await this.roomView(actor, raced), created: false };
      }
      for (const id of ids) await this.hub.roomAdded(id, room.id, 0);
      await this.auditCare(meta, room, 'grant');
      return { room: await this.roomView(actor, room), created: true, onBehalfRoom: room.created_by === null };
    }

    // care_team
    if (!STAFF.includes(actor.role)) throw new ForbiddenError('Care-team rooms are created by clinic staff.');
    if (ids.length < 2)
      throw new ValidationError('A care-team room needs at least one other participant.', [
        { path: '/participant_ids', message: 'must name at least one other person' },
      ]);
    const patients = users.filter((u) => u.role === 'patient');
    if (patients.length > 1)
      throw new ValidationError('A care-team room is about at most one patient.', [{ path: '/participant_ids', message: 'holds more than one patient' }]);
    for (const patient of patients) {
      if (!(await this.care.canAccessPatient(this.db, actor, patient.id))) {
        throw new ValidationError('Some participants cannot be added to a chat room.', [
          { path: `/participant_ids/${ids.indexOf(patient.id)}`, message: 'is not an active user you can add' },
        ]);
      }
    }
    const room = await this.db.transaction().execute(async (trx) => {
      const row = await this.repo.insertRoom(trx, { kind: 'care_team', title: input.title ?? null, direct_key: null, created_by: actor.id });
      await this.repo.upsertParticipants(trx, row.id, ids);
      return row;
    });
    for (const id of ids) await this.hub.roomAdded(id, room.id, 0);
    await this.auditCare(meta, room, 'grant');
    return { room: await this.roomView(actor, room), created: true };
  }

  private async checkDirectPair(actor: Actor, a: { id: string; role: Role }, b: { id: string; role: Role }): Promise<void> {
    if (a.role === 'patient' && b.role === 'patient') {
      throw new ValidationError('Direct rooms connect a patient with clinic staff, or two staff members.', [
        { path: '/participant_ids', message: 'two patients cannot share a direct room' },
      ]);
    }
    if (actor.role === 'nurse' || actor.role === 'admin') return;
    const patient = a.role === 'patient' ? a : b.role === 'patient' ? b : null;
    const doctor = a.role === 'doctor' ? a : b.role === 'doctor' ? b : null;
    if (!patient || !doctor) return; // staff with staff, or patient with nurse/admin
    if (await this.care.exists(this.db, doctor.id, patient.id)) return;
    throw new ForbiddenError(
      actor.role === 'patient'
        ? 'You can message doctors you have or had an appointment with; book one first, or write to the clinic staff.'
        : 'You can open a chat only with your own patients (an appointment, assignment or referral links you).',
    );
  }

  async roomView(actor: Actor, room: RoomRow, membership?: { last_read_seq: number; unread_count: number }) {
    const participants = await this.repo.participantsOfRooms(this.db, [room.id]);
    const last = room.last_seq > 0 ? (await this.repo.lastMessages(this.db, [room]))[0] : undefined;
    return {
      id: room.id,
      kind: room.kind,
      title: room.title,
      created_at: iso(room.created_at),
      last_seq: room.last_seq,
      participants: participants.map((p) => ({ user_id: p.user_id, role: p.role, full_name: p.full_name })),
      last_message: last ? messageDto(last) : null,
      last_read_seq: membership?.last_read_seq ?? participants.find((p) => p.user_id === actor.id)?.last_read_seq ?? 0,
      unread_count: membership?.unread_count ?? 0,
    };
  }

  async getRoom(actor: Actor, roomId: string) {
    const room = await this.requireMember(actor, roomId);
    return this.roomView(actor, room, await this.repo.unread(this.db, roomId, actor.id));
  }

  /** Own rooms (or, for an admin, another user's: without message content), most recent first. */
  async listRooms(actor: Actor, userId: string, query: { limit?: number; cursor?: string }) {
    if (userId !== actor.id && actor.role !== 'admin') throw new NotFoundError('User');
    const limit = query.limit ?? 20;
    const after = decodeCursor(query.cursor, 'timestamp');
    const rows = await this.repo.listRooms(this.db, userId, limit, after ? { v: String(after.v), id: after.id } : null);
    const page = rows.slice(0, limit);
    const participants = await this.repo.participantsOfRooms(
      this.db,
      page.map((r) => r.id),
    );
    const lastMessages = userId === actor.id ? await this.repo.lastMessages(this.db, page) : [];
    const lastByRoom = new Map(lastMessages.map((m) => [m.room_id, m]));
    const items = page.map((room) => {
      const last = lastByRoom.get(room.id);
      return {
        id: room.id,
        kind: room.kind,
        title: room.title,
        created_at: iso(room.created_at),
        last_seq: room.last_seq,
        participants: participants.filter((p) => p.room_id === room.id).map((p) => ({ user_id: p.user_id, role: p.role, full_name: p.full_name })),
        last_message: last ? messageDto(last) : null,
        last_read_seq: room.last_read_seq,
        unread_count: room.unread_count,
      };
    });
    const lastRow = page[page.length - 1];
    return { items, next_cursor: rows.length > limit && lastRow ? encodeCursor({ v: iso(lastRow.activity_at), id: lastRow.id }) : null };
  }

  private async requireMember(actor: Actor, roomId: string, db: Executor = this.db): Promise<RoomRow> {
    const room = await this.repo.findRoomOfMember(db, roomId, actor.id);
    if (!room) throw new NotFoundError('Chat room');
    return room;
  }

  /** Rooms a socket of this user starts in, with their current seq as the delivery baseline. */
  roomsForSocket(userId: string) {
    return this.repo.roomsOfUser(this.db, userId);
  }

  peersOf(userId: string): Promise<string[]> {
    return this.repo.peersOf(this.db, userId);
  }

  async roomIdsOf(userId: string): Promise<string[]> {
    return (await this.repo.roomsOfUser(this.db, userId)).map((r) => r.id);
  }

  async joinCheck(actor: Actor, roomId: string): Promise<RoomRow> {
    return this.requireMember(actor, roomId);
  }

  async history(actor: Actor, roomId: string, query: { limit?: number; before_seq?: number; cursor?: string }, meta?: RequestMeta) {
    const limit = query.limit ?? 50;
    let before = query.before_seq ?? null;
    if (before === null && query.cursor) {
      const c = decodeCursor(query.cursor, 'number');
      before = Number(c?.v);
    }
    // Membership, the room's patients and the page in one statement (chat.repository.ts).
    const found = await this.repo.historyOfMember(this.db, roomId, actor.id, before, limit);
    if (!found) throw new NotFoundError('Chat room');
    // Chat history is patient data: one audit row per patient in the room (one without a patient
    // if none), stored before the reply.
    await this.deps.audit.record(
      this.db,
      meta ?? null,
      (found.patientIds.length ? found.patientIds : [null]).map((patientId) => ({
        patientId,
        resourceType: 'chat_history',
        resourceId: roomId,
        action: 'read' as const,
      })),
    );
    const rows = found.messages;
    const page = rows.slice(0, limit).reverse();
    const first = page[0];
    const more = rows.length > limit && first;
    return {
      items: page.map(messageDto),
      next_cursor: more ? encodeCursor({ v: first.seq, id: first.id }) : null,
      next_before_seq: more ? first.seq : null,
    };
  }

  async messagesAfter(roomId: string, afterSeq: number, limit: number) {
    return this.repo.messagesAfter(this.db, roomId, afterSeq, limit);
  }

  // ---- messages ----

  /**
   * Persists a message and only then reports success (the socket's `ack`). Seq allocation,
   * the idempotency check on `client_msg_id` and the insert happen under the room's row lock
   * in one transaction, so seqs are gap-free and a resend stores nothing new.
   */
  /**
   * `options.emergencyChecked`: the caller (the assistants, docs/ASSISTANTS.md) already ran the
   * emergency detector on this text and alerted the care team, so it is not alerted twice.
   * After a new message, `chat.message_sent` is published (the assistant's room participant listens).
   */
  async send(actor: Actor, input: SendInput, options: { emergencyChecked?: boolean } = {}): Promise<{ message: MessageRow; duplicate: boolean }> {
    const content = input.content;
    if (Buffer.byteLength(content, 'utf8') > MAX_MESSAGE_BYTES) {
      throw new PayloadTooLargeError(`A chat message is at most ${MAX_MESSAGE_BYTES} bytes (UTF-8).`);
    }
    if (!input.fileId && content.trim() === '') throw new ValidationError('The message is empty.', [{ path: '/content', message: 'must not be blank' }]);
    let fileId: string | null = null;
    if (input.fileId) {
      // Membership first: a non-participant must not learn anything about the file either.
      await this.requireWritable(actor, input.roomId);
      const file = await this.deps.files.readable(actor, input.fileId);
      if (!file) throw new NotFoundError('File');
      if (file.patient_id && !(await this.everyoneMaySee(input.roomId, file.patient_id))) throw new FileShareRefusedError();
      fileId = file.id;
    }
    // Detected before the transaction (the room's lock is not held for it) and alerted inside it:
    // a committed emergency message always has its alerts (notifications subscribes in-transaction).
    const detection = actor.role === 'patient' && content.trim() && !options.emergencyChecked ? await this.detect(content) : null;
    const result = await this.db.transaction().execute(async (trx) => {
      const membership = await this.repo.membership(trx, input.roomId, actor.id);
      if (!membership) throw new NotFoundError('Chat room');
      if (membership.left_at) throw new RoomLeftError();
      const room = await this.repo.lockRoom(trx, input.roomId);
      if (!room) throw new NotFoundError('Chat room');
      if (input.clientMsgId) {
        const existing = await this.repo.findByClientMsgId(trx, input.roomId, actor.id, input.clientMsgId);
        if (existing) return { message: existing, duplicate: true };
      }
      const now = new Date();
      const { seq, patientIds } = await this.repo.allocateSeqForSend(trx, input.roomId, now);
      const message = await this.repo.insertMessage(trx, {
        room_id: input.roomId,
        seq,
        sender_id: actor.id,
        sender_role: actor.role,
        kind: fileId ? 'file' : 'text',
        content,
        file_id: fileId,
        client_msg_id: input.clientMsgId ?? null,
        created_at: now,
      });
      await this.repo.markRead(trx, input.roomId, actor.id, seq);
      // A message in a room with a patient is patient data: written with its audit rows (one per
      // patient in the room, one without a patient if none), in the same transaction.
      await this.deps.audit.record(
        trx,
        { actor, ...(input.origin ?? { ip: null, userAgent: null, requestId: null }) },
        (patientIds.length ? patientIds : [null]).map((patientId) => ({
          patientId,
          resourceType: 'chat_message',
          resourceId: message.id,
          action: 'create' as const,
          details: { room_id: input.roomId, kind: message.kind },
        })),
      );
      // Offline participants' notifications are queued in this transaction (contract §6, docs/NOTIFICATIONS.md).
      if (content.trim())
        await this.events.publishInTransaction(trx, 'chat.message_sent', {
          roomId: input.roomId,
          messageId: message.id,
          senderId: actor.id,
          senderRole: actor.role,
          content,
          clientMsgId: input.clientMsgId ?? null,
        });
      if (detection?.is_emergency) await this.events.publishInTransaction(trx, 'emergency.detected', emergencyEvent(actor.id, message, detection));
      return { message, duplicate: false };
    });
    if (!result.duplicate) {
      await this.hub.publishChat(input.roomId, result.message.seq, messageFrame(result.message));
      if (detection?.is_emergency) await this.announceEmergency(actor, result.message, detection);
      if (content.trim()) {
        await this.events.publish('chat.message_sent', {
          roomId: input.roomId,
          messageId: result.message.id,
          senderId: actor.id,
          senderRole: actor.role,
          content,
          clientMsgId: input.clientMsgId ?? null,
        });
      }
    }
    return result;
  }

  /**
   * A file of patient P goes only into a room whose every current participant may see P's data
   * (P, clinicians with a care relationship to P, nurses and admins: `canAccessPatient`), so
   * sharing it discloses nothing to anyone new. The room's own care relationship counts only
   * where it already does (a room the patient or a nurse opened). Checked again when the file is
   * read (chat/index.ts), so a later change of the room or of a relationship is followed too.
   */
  private async everyoneMaySee(roomId: string, patientId: string): Promise<boolean> {
    const participants = await this.repo.participantsOfRooms(this.db, [roomId]);
    const users = await this.repo.findUsers(
      this.db,
      participants.map((p) => p.user_id),
    );
    for (const user of users) {
      // An account that is not active reads nothing today; if it comes back, the read-time check applies.
      if (user.status !== 'active') continue;
      if (!(await this.care.canAccessPatient(this.db, { id: user.id, role: user.role, status: 'active', sessionId: '' }, patientId))) return false;
    }
    return true;
  }

  private async requireWritable(actor: Actor, roomId: string): Promise<void> {
    const membership = await this.repo.membership(this.db, roomId, actor.id);
    if (!membership) throw new NotFoundError('Chat room');
    if (membership.left_at) throw new RoomLeftError();
  }

  /** Messages by the AI assistant or the system (other areas call this; no client_msg_id). */
  async postAs(senderRole: 'assistant' | 'system', roomId: string, content: string): Promise<MessageRow> {
    if (Buffer.byteLength(content, 'utf8') > MAX_MESSAGE_BYTES) throw new PayloadTooLargeError(`A chat message is at most ${MAX_MESSAGE_BYTES} bytes (UTF-8).`);
    const message = await this.db.transaction().execute(async (trx) => {
      const room = await this.repo.lockRoom(trx, roomId);
      if (!room) throw new NotFoundError('Chat room');
      const now = new Date();
      const seq = await this.repo.allocateSeq(trx, roomId, now);
      return this.repo.insertMessage(trx, {
        room_id: roomId,
        seq,
        sender_id: null,
        sender_role: senderRole,
        kind: senderRole === 'system' ? 'system' : 'text',
        content,
        file_id: null,
        client_msg_id: null,
        created_at: now,
      });
    });
    await this.hub.publishChat(roomId, message.seq, messageFrame(message));
    return message;
  }

  /**
   * Copies of assistant exchanges (the user's message, then the assistant's reply) into the user's
   * own assistant room, several at once, in ONE transaction (docs/ASSISTANTS.md, Performance):
   * `send` + `postAs` per exchange cost two transactions, two commits and a notification job each.
   * Only for an `assistant` room, whose one participant is the user: there is nobody offline to
   * notify (so no `chat.message_sent`), and the assistant already ran the emergency detector on the
   * user's text. The user's read marker moves past their own messages, as `send` does. Live
   * clients get every message in seq order after the commit.
   */
  async postExchanges(actor: Actor, roomId: string, exchanges: { message: string; reply: string; clientMsgId: string }[]): Promise<MessageRow[]> {
    if (exchanges.length === 0) return [];
    for (const e of exchanges)
      if (Buffer.byteLength(e.message, 'utf8') > MAX_MESSAGE_BYTES || Buffer.byteLength(e.reply, 'utf8') > MAX_MESSAGE_BYTES)
        throw new PayloadTooLargeError(`A chat message is at most ${MAX_MESSAGE_BYTES} bytes (UTF-8).`);
    const rows = await this.db.transaction().execute(async (trx) => {
      const membership = await this.repo.membership(trx, roomId, actor.id);
      if (!membership || membership.left_at) throw new NotFoundError('Chat room');
      const room = await this.repo.lockRoom(trx, roomId);
      if (!room || room.kind !== 'assistant') throw new NotFoundError('Chat room');
      const now = new Date();
      const last = await this.repo.allocateSeqs(trx, roomId, exchanges.length * 2, now);
      let seq = last - exchanges.length * 2;
      const values = exchanges.flatMap((e) => [
        {
          room_id: roomId,
          seq: ++seq,
          sender_id: actor.id,
          sender_role: actor.role,
          kind: 'text' as const,
          content: e.message,
          file_id: null,
          client_msg_id: e.clientMsgId,
          created_at: now,
        },
        {
          room_id: roomId,
          seq: ++seq,
          sender_id: null,
          sender_role: 'assistant' as const,
          kind: 'text' as const,
          content: e.reply,
          file_id: null,
          client_msg_id: null,
          created_at: now,
        },
      ]);
      const inserted = (await this.repo.insertMessages(trx, values)).sort((a, b) => a.seq - b.seq);
      await this.repo.markRead(trx, roomId, actor.id, last - 1);
      return inserted;
    });
    for (const row of rows) await this.hub.publishChat(roomId, row.seq, messageFrame(row));
    return rows;
  }

  /** The emergency detector; a detector failure must not lose the message (it is then not checked). */
  private async detect(content: string): Promise<EmergencyResult | null> {
    try {
      return await this.deps.detector(content);
    } catch {
      return null;
    }
  }

  /** After the commit: live frames to the room's clinicians first (the fastest channel), then the event for other listeners (the assistants). */
  private async announceEmergency(actor: Actor, message: MessageRow, result: EmergencyResult): Promise<void> {
    const clinicians = (await this.repo.participantsOfRooms(this.db, [message.room_id])).filter((p) => p.role === 'doctor' || p.role === 'nurse');
    const frame: Frame = {
      type: 'notification',
      kind: 'emergency',
      room_id: message.room_id,
      message_id: message.id,
      patient_id: actor.id,
      level: result.level,
      matched: result.matched,
      advice: result.advice ?? null,
      created_at: iso(message.created_at),
    };
    for (const c of clinicians) await this.hub.publishUser(c.user_id, frame);
    await this.events.publish('emergency.detected', emergencyEvent(actor.id, message, result));
  }

  async markRead(actor: Actor, roomId: string, upToSeq: number) {
    await this.requireMember(actor, roomId);
    const seq = await this.repo.markRead(this.db, roomId, actor.id, upToSeq);
    if (seq === undefined) throw new NotFoundError('Chat room');
    await this.hub.publishRoom(roomId, { type: 'read_receipt', room_id: roomId, user_id: actor.id, up_to_seq: seq, read_at: iso(new Date()) }, actor.id);
    const unread = await this.repo.unread(this.db, roomId, actor.id);
    return { room_id: roomId, last_read_seq: seq, unread_count: Number(unread?.unread_count ?? 0) };
  }

  async leave(actor: Actor, roomId: string, meta?: RequestMeta): Promise<void> {
    const room = await this.requireMember(actor, roomId);
    const ending = (await this.careLinksOf(room)).filter((l) => l.doctorId === actor.id || l.patientId === actor.id);
    await this.repo.leave(this.db, roomId, actor.id);
    if (ending.length) await this.auditCare(meta ?? { actor, ip: null, userAgent: null, requestId: null }, room, 'revoke', ending);
    await this.hub.roomRemoved(actor.id, roomId);
    await this.hub.publishRoom(roomId, { type: 'participant_left', room_id: roomId, user_id: actor.id }, actor.id);
  }

  /**
   * Takes `userId` out of a room inside the caller's transaction, when a workflow that opened
   * the room ends (a cancelled skin consult). `announceRemoved` tells the sockets after commit.
   */
  async removeParticipant(executor: Executor, roomId: string, userId: string): Promise<boolean> {
    return this.repo.leave(executor, roomId, userId);
  }

  async announceRemoved(roomId: string, userId: string): Promise<void> {
    await this.hub.roomRemoved(userId, roomId);
    await this.hub.publishRoom(roomId, { type: 'participant_left', room_id: roomId, user_id: userId }, userId);
  }

  /** Typing indicators are relayed, never stored. */
  async typing(actor: Actor, roomId: string, isTyping: boolean, ttlMs: number): Promise<void> {
    await this.hub.publishRoom(
      roomId,
      { type: 'typing', room_id: roomId, user_id: actor.id, is_typing: isTyping, expires_in_ms: isTyping ? ttlMs : 0 },
      actor.id,
    );
  }

  // ---- files ----

  /** The files area's extension point: participants of a room where the file was shared may read it. */
  fileSharedWith(fileId: string, userId: string): Promise<boolean> {
    return this.repo.fileSharedWith(this.db, fileId, userId);
  }

  // ---- admin ----

  async stats() {
    const { rooms, messages } = await this.repo.stats(this.db, new Date(Date.now() - 24 * 3600 * 1000));
    const byKind = { direct: 0, care_team: 0, assistant: 0 } as Record<RoomKind, number>;
    for (const r of rooms) byKind[r.kind] = Number(r.n);
    const online = await this.hub.presenceStore.online();
    return {
      rooms: { total: byKind.direct + byKind.care_team + byKind.assistant, ...byKind },
      messages: { total: Number(messages.total), last_24h: Number(messages.recent) },
      online_users: online.length,
      connections_this_instance: this.hub.connectionCount,
    };
  }

  async activeUsers() {
    const online = await this.hub.presenceStore.online();
    const users = await this.repo.findUsers(
      this.db,
      online.map((u) => u.userId),
    );
    const byId = new Map(users.map((u) => [u.id, u]));
    return {
      items: online
        .filter((u) => byId.has(u.userId))
        .map((u) => ({ user_id: u.userId, status: u.status, role: byId.get(u.userId)!.role, full_name: byId.get(u.userId)!.full_name })),
    };
  }

  async broadcast(actor: Actor, input: { content: string; role?: Role }) {
    if (Buffer.byteLength(input.content, 'utf8') > MAX_MESSAGE_BYTES)
      throw new PayloadTooLargeError(`A broadcast is at most ${MAX_MESSAGE_BYTES} bytes (UTF-8).`);
    const row = await this.repo.insertBroadcast(this.db, { sender_id: actor.id, role: input.role ?? null, content: input.content });
    const created_at = iso(row.created_at);
    await this.hub.broadcast(
      { type: 'notification', kind: 'broadcast', id: row.id, sender_id: actor.id, sender_role: 'system', role: row.role, content: row.content, created_at },
      input.role ?? null,
    );
    return { id: row.id, role: (row.role as Role | null) ?? null, content: row.content, created_at };
  }
}
