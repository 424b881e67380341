import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Actor, CareRelationships } from '../../platform/access.js';
import type { Db } from '../../platform/database/index.js';
import { NotFoundError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import type { RequestMeta } from '../audit/index.js';
import type { ChatService } from '../chat/index.js';
import type { EmergencyCheck } from '../emergency/index.js';
import type { AssistantActions } from './actions.js';
import type { AssistantsRepository } from './assistants.repository.js';
import { Dialogue, type ConversationState, type TurnResult } from './dialogue.js';
import { understand } from './nlu/index.js';

/** Idle time after which a conversation's state is dropped (a new conversation starts). */
export const CONVERSATION_TTL_MS = 30 * 60_000;
/** Longest message the assistants read, in characters (the route refuses longer with 400). */
export const MAX_ASSISTANT_MESSAGE = 4000;
/** Chat rooms hold at most 8 KB per message; the copy of a long reply in the room is cut to this. */
const ROOM_COPY_CHARS = 3000;
/** client_msg_id prefix of the user's messages the assistant copies into the room (so the room listener skips them). */
const COPY_PREFIX = 'assistant-copy:';
const MENTION = /@assistant\b/i;
const MAX_QUEUED_COPIES = 20;

export interface AssistantReply {
  reply: string;
  conversation_id: string;
  intent: string;
  entities: Record<string, unknown>;
  actions: TurnResult['actions'];
  suggestions: string[];
  emergency: boolean;
}

export interface AssistantsDeps {
  db: Db;
  repository: AssistantsRepository;
  actions: AssistantActions;
  care: CareRelationships;
  events: EventBus;
  log: FastifyBaseLogger;
  detectEmergency: (text: string) => EmergencyCheck;
  /** The chat service (absent in a wiring without chat: exchanges are then not copied to a room). */
  chat: () => ChatService | undefined;
}

/**
 * The patient and doctor assistants (docs/API.md §7.3, docs/ASSISTANTS.md): conversation state
 * in the database, the emergency detector before anything else on every patient message, the
 * dialogue, and a copy of each exchange in the user's assistant chat room.
 */
export class AssistantsService {
  private readonly dialogue: Dialogue;

  constructor(private readonly deps: AssistantsDeps) {
    this.dialogue = new Dialogue(deps.actions);
  }

  async converse(
    meta: RequestMeta,
    role: 'patient' | 'doctor',
    body: { message: string; conversation_id?: string },
    requireStepUp?: () => void,
  ): Promise<AssistantReply> {
    const actor = meta.actor;
    const now = new Date();
    let conversationId: string | null = null;
    let state: ConversationState = {};
    if (body.conversation_id) {
      const row = await this.deps.repository.findConversation(this.deps.db, body.conversation_id);
      // Another user's conversation does not exist for this caller; an expired one starts afresh.
      if (row && (row.user_id !== actor.id || row.role !== role)) throw new NotFoundError('Conversation');
      if (row && row.expires_at > now) {
        conversationId = row.id;
        state = row.state;
      }
    }
    const message = body.message.trim();
    const zone = await this.deps.actions.zoneOf(actor.id);
    let result: TurnResult;
    if (!message) {
      result = {
        reply: 'Your message was empty. What can I do for you?',
        intent: 'help',
        entities: {},
        actions: [],
        suggestions: role === 'patient' ? ['Book an appointment', 'Show my appointments'] : ["Show today's schedule", 'List my patients'],
        emergency: false,
        state,
      };
    } else {
      const emergency = role === 'patient' ? this.deps.detectEmergency(message) : null;
      if (emergency?.is_emergency) {
        // First, before any task: advice, the care team alerted, and any booking in progress dropped.
        // The reply does not promise that someone was reached: a patient new to the clinic has no
        // care team yet (security review M1), and the advice to call emergency services comes first.
        result = {
          reply: `${emergency.advice || 'This sounds like an emergency.'} Call your local emergency number (for example 911 or 112) now, or go to the nearest emergency department. I have also sent an alert to the doctors who look after you here, if you have one — do not wait for them to reply.`,
          intent: 'emergency',
          entities: {},
          actions: [{ type: 'alert_care_team', status: 'completed' }],
          suggestions: ['Call emergency services'],
          emergency: true,
          state: {},
        };
        await this.deps.events.publish('emergency.detected', {
          patientId: actor.id,
          roomId: null,
          messageId: null,
          level: emergency.level,
          matched: emergency.matched,
          source: 'assistant',
        });
      } else {
        result = await this.dialogue.turn({ meta, role, message, state, zone, now, ...(requireStepUp && { requireStepUp }) });
      }
    }
    const expires = new Date(now.getTime() + CONVERSATION_TTL_MS);
    if (conversationId) await this.deps.repository.saveConversation(this.deps.db, conversationId, result.state, expires);
    else conversationId = await this.deps.repository.insertConversation(this.deps.db, { user_id: actor.id, role, state: result.state, expires_at: expires });
    if (Math.random() < 0.01)
      void this.deps.repository.deleteExpired(this.deps.db, now).catch((err) => this.deps.log.warn({ err }, 'assistant conversation cleanup failed'));
    if (message) this.queueCopy(actor, message, result.reply);
    return {
      reply: result.reply,
      conversation_id: conversationId,
      intent: result.intent,
      entities: result.entities,
      actions: result.actions,
      suggestions: result.suggestions,
      emergency: result.emergency,
    };
  }

  /**
   * Room copies run after the reply, one user's in order (a chain per user): the reply does not
   * wait for two chat transactions on the room's lock. At most MAX_QUEUED copies wait per user;
   * beyond that (only a script hammering one account gets there) copies are dropped with a warning.
   */
  private readonly copies = new Map<string, { tail: Promise<void>; queued: number }>();

  private queueCopy(actor: Actor, message: string, reply: string): void {
    const entry = this.copies.get(actor.id) ?? { tail: Promise.resolve(), queued: 0 };
    if (entry.queued >= MAX_QUEUED_COPIES) {
      this.deps.log.warn('assistant room copy dropped: too many queued for one user');
      return;
    }
    entry.queued++;
    entry.tail = entry.tail
      .then(() => this.copyToRoom(actor, message, reply))
      .finally(() => {
        entry.queued--;
        if (entry.queued === 0 && this.copies.get(actor.id) === entry) this.copies.delete(actor.id);
      });
    this.copies.set(actor.id, entry);
  }

  /** Waits for the queued room copies (tests, shutdown). */
  async flushCopies(): Promise<void> {
    await Promise.all([...this.copies.values()].map((e) => e.tail));
  }

  /** The user's assistant room (created on first use) gets the user's message and the reply, so live clients see the exchange. */
  private async copyToRoom(actor: Actor, message: string, reply: string): Promise<void> {
    const chat = this.deps.chat();
    if (!chat) return;
    try {
      const roomId = await this.assistantRoom(actor, chat);
      await chat.send(actor, { roomId, content: message.slice(0, ROOM_COPY_CHARS), clientMsgId: `${COPY_PREFIX}${randomUUID()}` }, { emergencyChecked: true });
      await chat.postAs('assistant', roomId, reply.slice(0, ROOM_COPY_CHARS));
    } catch (err) {
      // The reply itself stands; the room copy is a convenience for real-time clients.
      this.deps.log.warn({ err: (err as Error).message }, 'assistant exchange not copied to the chat room');
    }
  }

  private async assistantRoom(actor: Actor, chat: ChatService): Promise<string> {
    const known = await this.deps.repository.roomOf(this.deps.db, actor.id);
    if (known) return known;
    const { room } = await chat.createRoom(actor, { kind: 'assistant', participant_ids: [], title: 'Assistant' });
    return this.deps.repository.setRoom(this.deps.db, actor.id, room.id);
  }

  /** Records an emergency (from chat or the assistant) for the doctors' "urgent patients". */
  async recordEmergency(event: { patientId?: string; level?: string; source?: string }): Promise<void> {
    if (typeof event.patientId !== 'string') return;
    await this.deps.repository.addEmergencyFlag(this.deps.db, event.patientId, String(event.level ?? 'emergency'), event.source ?? 'chat');
  }

  /**
   * The AI participant of care-team chat (seed 000): a message with "@assistant" in a room,
   * or any message in the sender's own assistant room, about the patient's lab reports gets
   * an answer in the room. Data is read with the ASKER's permissions (the same services and
   * checks as the API), and only when every participant of the room may read that patient's
   * data, because the answer is visible to all of them. It explains values; it never diagnoses.
   */
  async onRoomMessage(event: { roomId: string; senderId: string | null; senderRole: string; content: string; clientMsgId?: string | null }): Promise<void> {
    const chat = this.deps.chat();
    if (!chat || !event.senderId || event.clientMsgId?.startsWith(COPY_PREFIX)) return;
    if (!['patient', 'doctor', 'nurse', 'admin'].includes(event.senderRole)) return;
    const mentioned = MENTION.test(event.content);
    const ownRoom = mentioned ? null : await this.deps.repository.isAssistantRoom(this.deps.db, event.roomId);
    if (!mentioned && ownRoom?.user_id !== event.senderId) return;
    const actor: Actor = { id: event.senderId, role: event.senderRole as Actor['role'], status: 'active', sessionId: '' };
    const meta: RequestMeta = { actor, ip: null, userAgent: 'assistant-room', requestId: null };
    const room = await chat.getRoom(actor, event.roomId);
    const patients = room.participants.filter((p) => p.role === 'patient');
    let reply: string;
    if (patients.length !== 1) {
      reply = "I can answer questions about one patient's shared lab results in a room with that patient.";
    } else {
      const patientId = patients[0]!.user_id;
      let allowed = true;
      for (const p of room.participants) {
        const who: Actor = { id: p.user_id, role: p.role as Actor['role'], status: 'active', sessionId: '' };
        if (!(await this.deps.care.canAccessPatient(this.deps.db, who, patientId))) allowed = false;
      }
      if (!allowed) reply = "I can't discuss this patient's results in this room: not everyone here may see them.";
      else {
        const question = event.content.replace(MENTION, '').trim().slice(0, MAX_ASSISTANT_MESSAGE);
        const zone = await this.deps.actions.zoneOf(event.senderId);
        const u = understand(question || 'my lab results', { role: 'patient', zone });
        try {
          const result = await this.dialogue.labs(
            { meta, role: 'patient', message: question, state: {}, zone },
            { ...u, intent: u.entities.analyte ? 'lab_question' : 'view_reports' },
            patientId,
          );
          reply = result.reply;
        } catch (err) {
          if (err instanceof NotFoundError) reply = "I can't find lab results you may see for this patient.";
          else throw err;
        }
      }
    }
    await chat.postAs('assistant', event.roomId, reply.slice(0, ROOM_COPY_CHARS));
  }
}
