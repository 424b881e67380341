import type { AppContext, AppModule } from '../../platform/context.js';
import { IDENTITY_CHANGED_CHANNEL } from '../identity/index.js';
import { ChatRepository } from './chat.repository.js';
import { ChatService, type EmergencyDetector, type FileAccess } from './chat.service.js';
import { chatRoutes, chatSocketRoutes } from './chat.routes.js';
import { ChatSockets } from './chat.socket.js';
import { MessageSchema, RoomSchema } from './chat.schemas.js';
import { Hub } from './hub.js';
import { MemoryPresence, RedisPresence, type PresenceStore } from './presence.js';
import { registerWebSockets } from './ws-scope.js';
import { filesFor } from '../files/index.js';
import { auditFor } from '../audit/index.js';
import { detectEmergency } from '../emergency/index.js';
import './chat.tables.js';

export { ChatService } from './chat.service.js';
export { registerWebSockets } from './ws-scope.js';

/** Per-instance chat objects, so other areas (assistant, files) can reach the service. */
const services = new WeakMap<AppContext, ChatService>();
export function chatServiceOf(ctx: AppContext): ChatService | undefined {
  return services.get(ctx);
}

const detector: EmergencyDetector = detectEmergency;

export const chatModule: AppModule = {
  name: 'chat',
  async routes(app, ctx) {
    const ttlMs = ctx.config.realtime.presenceTtlSeconds * 1000;
    const presence: PresenceStore = ctx.redis ? new RedisPresence(ctx.redis, ctx.config.redisPrefix, ttlMs) : new MemoryPresence(ttlMs);
    const repo = new ChatRepository();
    let service: ChatService | null = null;
    const hub = new Hub(ctx.pubsub, presence, ctx.log, (userId) => service!.roomIdsOf(userId));
    // Files shared in chat: the sender must be able to read the file; afterwards every current
    // participant of a room where it was shared may read it too (a rule of the files area).
    const filesService = filesFor(ctx);
    filesService.access.register((db, actor, fileId) => repo.fileSharedWith(db, fileId, actor.id), 'chat');
    const files: FileAccess = {
      async readable(actor, fileId) {
        if (!(await filesService.canRead(ctx.db, actor, fileId))) return null;
        const [row] = await filesService.rowsByIds(ctx.db, [fileId]);
        return row ? { id: row.id, filename: row.filename, content_type: row.content_type, size: Number(row.size) } : null;
      },
    };
    service = new ChatService(ctx.db, repo, ctx.care, ctx.events, hub, {
      files: () => files,
      detector: async () => detector,
      audit: auditFor(ctx),
    });
    services.set(ctx, service);
    // Care relationship (docs/API.md §3): a doctor and a patient who share a chat room.
    ctx.care.register('chat_room', (db, doctorId, patientId) => repo.shareRoom(db, doctorId, patientId));

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
