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
import type { IntentModel } from './llm.js';
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
/** Exchanges waiting for one user's room copy; more are dropped (only a script gets there). */
const MAX_QUEUED_COPIES = 200;
/** Exchanges written to the room in one chat transaction. */
const COPY_BATCH = 50;
const MAX_ROOMS_CACHED = 10_000;
/** How much of the patient's previous message is kept (in the conversation state) for the emergency check across turns. */
const RECENT_CHARS = 1000;

/**
 * The emergency reply, the same in the assistant and in a room. It does not promise that someone was
 * reached: a patient new to the clinic has no care team yet (security review M1), and the advice to
 * call emergency services comes first.
 */
function emergencyReply(advice: string | undefined): string {
  return `${advice || 'This sounds like an emergency.'} Call your local emergency number (for example 911 or 112) now, or go to the nearest emergency department. I have also sent an alert to the doctors who look after you here, if you have one — do not wait for them to reply.`;
}

type Exchange = { message: string; reply: string; clientMsgId: string };

/** A user's account as it is now (role and status), for the room participant's checks (review L7). */
export type AccountLookup = (userId: string) => Promise<{ role: string; status: string } | null>;

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
  /** Current role and status of an account (identity's users), never the ones a message was sent with. */
  account: AccountLookup;
}

/**
 * The patient and doctor assistants (docs/API.md §7.3, docs/ASSISTANTS.md): conversation state
 * in the database, the emergency detector before anything else on every patient message, the
 * dialogue, and a copy of each exchange in the user's assistant chat room.
 */
export class AssistantsService {
  private readonly dialogue: Dialogue;
  private model: IntentModel | undefined;

  constructor(private readonly deps: AssistantsDeps) {
    this.dialogue = new Dialogue(deps.actions);
  }

  /** The optional model (llm.ts; LLM_BASE_URL and LLM_MODEL set). Without it the owned understanding answers alone. */
  useModel(model: IntentModel): void {
    this.model = model;
  }

  async converse(
    meta: RequestMeta,
    role: 'patient' | 'doctor',
    body: { message: string; conversation_id?: string },
    requireStepUp?: () => void,
  ): Promise<AssistantReply> {
    const actor = meta.actor;
    const now = new Date();
    const message = body.message.trim();
    // Emergency first: the detector runs on every patient message before anything that could
    // fail or wait (the stored conversation, the zone, the dialogue).
    let emergency = role === 'patient' && message ? this.deps.detectEmergency(message) : null;
    let conversationId: string | null = null;
    let state: ConversationState = {};
    if (body.conversation_id) {
      const row = await this.deps.repository.findConversation(this.deps.db, body.conversation_id);
      // Another user's conversation does not exist for this caller (an emergency is still answered,
      // in a new conversation); an expired one starts afresh.
      if (row && (row.user_id !== actor.id || row.role !== role)) {
        if (!emergency?.is_emergency) throw new NotFoundError('Conversation');
      } else if (row && row.expires_at > now) {
        conversationId = row.id;
        state = row.state;
      }
    }
    if (emergency && !emergency.is_emergency && state.recent) {
      // Across turns: "my chest feels tight" then "and now my left arm is numb and I'm sweating" is one
      // account of what is happening. The detector reads the previous message and this one together.
      const joint = this.deps.detectEmergency(`${state.recent}\n${message}`);
      if (joint.is_emergency) emergency = joint;
    }
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
    } else if (emergency?.is_emergency) {
      // Advice first; the care team is alerted through the event; any task in progress (a booking
      // half way, a cancellation waiting for yes) is dropped with the state.
      result = {
        reply: emergencyReply(emergency.advice),
        intent: 'emergency',
        entities: {},
        actions: [{ type: 'alert_care_team', status: 'completed' }],
        suggestions: ['Call emergency services'],
        emergency: true,
        state: {},
      };
      try {
        await this.deps.events.publish('emergency.detected', {
          patientId: actor.id,
          roomId: null,
          messageId: null,
          level: emergency.level,
          matched: emergency.matched,
          source: 'assistant',
        });
      } catch (err) {
        // The advice is the part that must reach the patient; a failed alert is logged (no message text).
        this.deps.log.error({ err: (err as Error).message }, 'assistant emergency alert not published');
      }
    } else {
      const zone = await this.deps.actions.zoneOf(actor.id);
      result = await this.dialogue.turn({
        meta,
        role,
        message,
        state,
        zone,
        now,
        ...(requireStepUp && { requireStepUp }),
        ...(this.model && { model: this.model }),
      });
      // The patient's last message, for the emergency check of the next turn (expires with the conversation).
      if (role === 'patient') result.state = { ...result.state, recent: message.slice(-RECENT_CHARS) };
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
   * Room copies run after the reply, one user's in order: the reply does not wait for the chat
   * transaction on the room's lock. Exchanges that arrive while a user's copy is being written
   * wait and go together in the next one (one transaction for up to COPY_BATCH exchanges), so a
   * copy costs one chat transaction however fast a user's replies come; only beyond
   * MAX_QUEUED_COPIES waiting (a script hammering one account) are copies dropped, with a warning.
   */
  private readonly copies = new Map<string, { pending: Exchange[]; running: Promise<void> }>();

  private queueCopy(actor: Actor, message: string, reply: string): void {
    const exchange = { message: message.slice(0, ROOM_COPY_CHARS), reply: reply.slice(0, ROOM_COPY_CHARS), clientMsgId: `${COPY_PREFIX}${randomUUID()}` };
    const entry = this.copies.get(actor.id);
    if (entry) {
      if (entry.pending.length >= MAX_QUEUED_COPIES) {
        this.deps.log.warn('assistant room copy dropped: too many queued for one user');
        return;
      }
      entry.pending.push(exchange);
      return;
    }
    const fresh = { pending: [exchange], running: Promise.resolve() };
    fresh.running = (async () => {
      try {
        while (fresh.pending.length > 0) await this.copyToRoom(actor, fresh.pending.splice(0, COPY_BATCH));
      } finally {
        this.copies.delete(actor.id);
      }
    })();
    this.copies.set(actor.id, fresh);
  }

  /** Waits for the queued room copies (tests, shutdown). */
  async flushCopies(): Promise<void> {
    await Promise.all([...this.copies.values()].map((e) => e.running));
  }

  /** The user's assistant room (created on first use) gets the user's messages and the replies, so live clients see the exchanges. */
  private async copyToRoom(actor: Actor, exchanges: Exchange[]): Promise<void> {
    const chat = this.deps.chat();
    if (!chat) return;
    try {
      const roomId = await this.assistantRoom(actor, chat);
      await chat.postExchanges(actor, roomId, exchanges);
    } catch (err) {
      // The reply itself stands; the room copy is a convenience for real-time clients. The room is
      // read again next time (in case it was removed with the account's data).
      this.rooms.delete(actor.id);
      this.deps.log.warn({ err: (err as Error).message, exchanges: exchanges.length }, 'assistant exchange not copied to the chat room');
    }
  }

  /** User → assistant room id. The recorded room never changes (setRoom keeps the first), so it is read once per user. */
  private readonly rooms = new Map<string, string>();

  private async assistantRoom(actor: Actor, chat: ChatService): Promise<string> {
    const cached = this.rooms.get(actor.id);
    if (cached) return cached;
    let roomId = await this.deps.repository.roomOf(this.deps.db, actor.id);
    if (!roomId) {
      const { room } = await chat.createRoom(actor, { kind: 'assistant', participant_ids: [], title: 'Assistant' });
      roomId = await this.deps.repository.setRoom(this.deps.db, actor.id, room.id);
    }
    if (this.rooms.size >= MAX_ROOMS_CACHED) this.rooms.delete(this.rooms.keys().next().value!);
    this.rooms.set(actor.id, roomId);
    return roomId;
  }

  /** Records an emergency (from chat or the assistant) for the doctors' "urgent patients". */
  async recordEmergency(event: { patientId?: string; level?: string; source?: string }): Promise<void> {
    if (typeof event.patientId !== 'string') return;
    await this.deps.repository.addEmergencyFlag(this.deps.db, event.patientId, String(event.level ?? 'emergency'), event.source ?? 'chat');
  }

  /**
   * The AI participant of care-team chat (seed 000): a message with "@assistant" in a room,
   * or any message in the sender's own assistant room, gets an answer in the room.
   *
   *  - Emergency first: a patient's message that the detector flags gets the emergency advice,
   *    whatever else it asks (chat itself alerted the care team when the message was sent).
   *  - Lab questions: data is read with the ASKER's permissions (the same services and checks as
   *    the API), and only when every current participant of the room may read that patient's
   *    data, because the answer is visible to all of them. It explains values; it never diagnoses.
   *  - Nobody is assumed active (review L7): the asker must still be a participant with an active
   *    account, and every participant is checked with the role and status their account has NOW
   *    (a deactivated or pending doctor, or one whose care relationship ended, blocks the answer).
   */
  async onRoomMessage(event: { roomId: string; senderId: string | null; senderRole: string; content: string; clientMsgId?: string | null }): Promise<void> {
    const chat = this.deps.chat();
    if (!chat || !event.senderId || event.clientMsgId?.startsWith(COPY_PREFIX)) return;
    const mentioned = MENTION.test(event.content);
    const ownRoom = mentioned ? null : await this.deps.repository.isAssistantRoom(this.deps.db, event.roomId);
    if (!mentioned && ownRoom?.user_id !== event.senderId) return;
    const account = await this.deps.account(event.senderId);
    // A sender whose account is no longer active gets no answer (nothing is read on their behalf).
    if (!account || account.status !== 'active' || !['patient', 'doctor', 'nurse', 'admin'].includes(account.role)) return;
    const actor: Actor = { id: event.senderId, role: account.role as Actor['role'], status: 'active', sessionId: '' };
    const meta: RequestMeta = { actor, ip: null, userAgent: 'assistant-room', requestId: null };
    let room: Awaited<ReturnType<ChatService['getRoom']>>;
    try {
      room = await chat.getRoom(actor, event.roomId);
    } catch (err) {
      // The asker left (or was removed from) the room since sending: no answer there.
      if (err instanceof NotFoundError) return;
      throw err;
    }
    if (actor.role === 'patient') {
      const emergency = this.deps.detectEmergency(event.content.slice(0, MAX_ASSISTANT_MESSAGE));
      if (emergency.is_emergency) {
        await chat.postAs('assistant', event.roomId, emergencyReply(emergency.advice).slice(0, ROOM_COPY_CHARS));
        return;
      }
    }
    const patients = room.participants.filter((p) => p.role === 'patient');
    let reply: string;
    if (patients.length !== 1) {
      reply = "I can answer questions about one patient's shared lab results in a room with that patient.";
    } else if (!(await this.everyoneMayRead(room.participants, patients[0]!.user_id))) {
      reply = "I can't discuss this patient's results in this room: not everyone here may see them.";
    } else {
      const patientId = patients[0]!.user_id;
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
    await chat.postAs('assistant', event.roomId, reply.slice(0, ROOM_COPY_CHARS));
  }

  /** May every current participant read this patient's data, as their accounts are now (status, role, care relationship)? */
  private async everyoneMayRead(participants: { user_id: string }[], patientId: string): Promise<boolean> {
    const accounts = await Promise.all(participants.map((p) => this.deps.account(p.user_id)));
    for (const [i, p] of participants.entries()) {
      const account = accounts[i];
      if (!account) return false;
      if (account.role === 'patient') {
        if (p.user_id !== patientId) return false;
        continue;
      }
      if (account.status !== 'active' || !['doctor', 'nurse', 'admin'].includes(account.role)) return false;
      const who: Actor = { id: p.user_id, role: account.role as Actor['role'], status: 'active', sessionId: '' };
      if (!(await this.deps.care.canAccessPatient(this.deps.db, who, patientId))) return false;
    }
    return true;
  }
}
