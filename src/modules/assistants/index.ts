import type { FastifyBaseLogger } from 'fastify';
import type { CareRelationships } from '../../platform/access.js';
import type { AppModule } from '../../platform/context.js';
import type { Db } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { AuditService } from '../audit/index.js';
import type { ChatService } from '../chat/index.js';
import { detectEmergency } from '../emergency/index.js';
import { UsersRepository } from '../identity/index.js';
import type { MedicalServices } from '../medical/index.js';
import type { ReportsService } from '../reports/index.js';
import type { SchedulingServices } from '../scheduling/index.js';
import { AssistantActions } from './actions.js';
import { OpenAiCompatibleModel } from './llm.js';
import { AssistantsRepository } from './assistants.repository.js';
import { assistantsRoutes } from './assistants.routes.js';
import { AssistantsService } from './assistants.service.js';
import './assistants.tables.js';

export { understand, type Understanding } from './nlu/index.js';
export { AssistantsService } from './assistants.service.js';

export interface AssistantsDeps {
  db: Db;
  log: FastifyBaseLogger;
  events: EventBus;
  care: CareRelationships;
  audit: AuditService;
  scheduling: Pick<SchedulingServices, 'appointments' | 'slots' | 'profiles' | 'lookups'>;
  medical: Pick<MedicalServices, 'prescriptions' | 'records'>;
  reports: ReportsService;
  chat: ChatService;
}

/**
 * The one place the assistants are wired (docs/ASSISTANTS.md; called by src/modules/services.ts).
 * The action layer gets the scheduling, medical and reports services and audit; the service
 * gets chat for the assistant room and the AI room participant. Events: listens to
 * `emergency.detected` (flags for "urgent patients") and `chat.message_sent` (the room
 * participant); publishes `emergency.detected` (source "assistant").
 */
export function buildAssistantsServices(deps: AssistantsDeps): AssistantsService {
  const repository = new AssistantsRepository();
  // The room participant checks accounts as they are now (review L7), through identity's public repository.
  const users = new UsersRepository();
  const actions = new AssistantActions({
    db: deps.db,
    scheduling: deps.scheduling,
    medical: deps.medical,
    reports: deps.reports,
    audit: deps.audit,
    repository,
    timeZoneOf: (userId) => deps.scheduling.lookups.timeZoneOf(userId),
  });
  const service = new AssistantsService({
    db: deps.db,
    repository,
    actions,
    care: deps.care,
    events: deps.events,
    log: deps.log,
    // The detector reads chat wording too (src/modules/emergency/lay-wording.ts).
    detectEmergency,
    chat: () => deps.chat,
    account: async (userId) => {
      const user = await users.findById(deps.db, userId);
      return user ? { role: user.role, status: user.status } : null;
    },
  });
  deps.events.subscribe<{ patientId?: string; level?: string; source?: string }>('emergency.detected', (event) => service.recordEmergency(event));
  deps.events.subscribe<{ roomId: string; senderId: string | null; senderRole: string; content: string; clientMsgId?: string | null }>(
    'chat.message_sent',
    (event) => {
      // Answered after the sender's request has finished: the room gets the reply over the socket.
      setImmediate(() => void service.onRoomMessage(event).catch((err: Error) => deps.log.warn({ err: err.message }, 'assistant room answer failed')));
    },
  );
  return service;
}

export const assistantsModule: AppModule = {
  name: 'assistants',
  async routes(app, ctx) {
    // The optional model is configuration of this module alone, so it is attached here rather than in services.ts.
    if (ctx.config.assistantModel) ctx.services.assistants.useModel(new OpenAiCompatibleModel(ctx.config.assistantModel, ctx.log));
    await assistantsRoutes(app, ctx.services.assistants, ctx.authenticator);
  },
  /** Room copies still queued are written before the database closes. */
  stop: (ctx) => ctx.services.assistants.flushCopies(),
};
