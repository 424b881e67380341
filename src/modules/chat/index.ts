import type { AppModule } from '../../platform/context.js';
import { IDENTITY_CHANGED_CHANNEL } from '../identity/index.js';
import { ChatRepository } from './chat.repository.js';
import { ChatExport } from './chat.export.js';
import { ChatReads } from './chat.reads.js';
import { ChatService, type EmergencyDetector, type FileAccess } from './chat.service.js';
import { chatRoutes, chatSocketRoutes } from './chat.routes.js';
import { ChatSockets } from './chat.socket.js';
import { MessageSchema, RoomSchema } from './chat.schemas.js';
import { Hub } from './hub.js';
import { MemoryPresence, RedisPresence, type PresenceStore } from '../../platform/ws/presence.js';
import { registerWebSockets } from '../../platform/ws/scope.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../../platform/config.js';
import type { CareRelationships } from '../../platform/access.js';
import type { Db } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { PubSub } from '../../platform/pubsub.js';
import type { FilesService } from '../files/index.js';
import type { AuditService } from '../audit/index.js';
import { detectEmergency } from '../emergency/index.js';
import './chat.tables.js';

export { ChatService } from './chat.service.js';
export { ChatReads, type PatientMessageRow } from './chat.reads.js';
export type { ChatExport, MessageExportItem } from './chat.export.js';

/** Patient conversations for the FHIR facade (Communication), under chat's membership rule (chat.reads.ts). */
export function buildChatReads(deps: { db: Db }): ChatReads {
  return new ChatReads(deps.db);
}

/** The chat section of a patient's data export (identity's PatientExportService; chat.export.ts). */
export function buildChatExport(deps: { db: Db; audit: Pick<AuditService, 'record'> }): ChatExport {
  return new ChatExport(deps.db, deps.audit);
}

/** The chat services of one instance (`ctx.services.chat`). */
export interface ChatServices {
  chat: ChatService;
  /** Room fan-out across instances (pubsub) and presence; closed with the socket scope. */
  hub: Hub;
  /** The current participants of a room, for other areas (notifications: who to tell about a message while offline). */
  participantsOf(roomId: string): Promise<{ userId: string; fullName: string }[]>;
}

export interface ChatDeps {
  config: Config;
  log: FastifyBaseLogger;
  db: Db;
  redis: Redis | null;
  pubsub: PubSub;
  care: CareRelationships;
  events: EventBus;
  audit: AuditService;
  files: FilesService;
}

const detector: EmergencyDetector = detectEmergency;

/**
 * Builds chat's services and registers what chat adds to shared rules: files shared in a
 * room become readable by its current participants (a files access rule), and a doctor and
 * a patient who share a room have a care relationship (docs/API.md §3).
 */
export function buildChatServices(deps: ChatDeps): ChatServices {
  const { config, db, care, files: filesService } = deps;
  const ttlMs = config.realtime.presenceTtlSeconds * 1000;
  const presence: PresenceStore = deps.redis ? new RedisPresence(deps.redis, config.redisPrefix, ttlMs) : new MemoryPresence(ttlMs);
  const repo = new ChatRepository();
  let service: ChatService | null = null;
  const hub = new Hub(deps.pubsub, presence, deps.log, (userId) => service!.roomIdsOf(userId));
  // Files shared in chat: the sender must be able to read the file, and a patient's file goes
  // only into a room whose every participant may see that patient (ChatService.send); afterwards
  // every current participant of a room where it was shared may read it too (a rule of the files
  // area) — for a patient's file only while they may still see that patient, so a room whose
  // members changed, a relationship that ended, or a share made before this rule opens nothing.
  filesService.access.register(async (executor, actor, fileId, file) => {
    if (!(await repo.fileSharedWith(executor, fileId, actor.id))) return false;
    const patientId = await filesService.patientOf(executor, file);
    return patientId === null || (await care.canAccessPatient(executor, actor, patientId));
  }, 'chat');
  const files: FileAccess = {
    async readable(actor, fileId) {
      if (!(await filesService.canRead(db, actor, fileId))) return null;
      const [row] = await filesService.rowsByIds(db, [fileId]);
      if (!row) return null;
      return { id: row.id, filename: row.filename, content_type: row.content_type, size: Number(row.size), patient_id: await filesService.patientOf(db, row) };
    },
  };
  service = new ChatService(db, repo, care, deps.events, hub, {
    files,
    detector,
    audit: deps.audit,
  });
  care.register(
    'chat_room',
    (executor, doctorId, patientId) => repo.shareRoom(executor, doctorId, patientId),
    (executor, doctorId) => repo.roomCareLinkPatients(executor, doctorId),
    (doctor, patient) => repo.shareRoomSql(doctor, patient),
  );
  const participantsOf = async (roomId: string) => (await repo.participantsOfRooms(db, [roomId])).map((p) => ({ userId: p.user_id, fullName: p.full_name }));
  return { chat: service, hub, participantsOf };
}

export const chatModule: AppModule = {
  name: 'chat',
  async routes(app, ctx) {
    const { chat: service, hub } = ctx.services.chat;
    app.addSchema(MessageSchema);
    app.addSchema(RoomSchema);
    await chatRoutes(app, service);

    const sockets = new ChatSockets(ctx.authenticator, ctx.tokens, service, hub, ctx.log, {
      heartbeatMs: ctx.config.realtime.heartbeatSeconds * 1000,
      typingTtlMs: 5000,
      awayAfterMs: 5 * 60 * 1000,
      authTimeoutMs: 10_000,
      maxFrameBytes: 32 * 1024,
      burst: 60,
      perSecond: 30,
    });
    // Logout, password change or deactivation (on any instance) closes that user's dead sockets.
    await ctx.pubsub.subscribe(IDENTITY_CHANGED_CHANNEL, (message) => {
      const userId = (message as { userId?: unknown }).userId;
      if (typeof userId === 'string') void sockets.revalidateUser(userId);
    });
    await app.register(async (scope) => {
      await registerWebSockets(scope, () => sockets.closeAll());
      scope.addHook('onClose', async () => {
        await hub.close();
      });
      await chatSocketRoutes(scope, sockets);
    });
  },
};
