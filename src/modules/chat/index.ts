import type { AppContext, AppModule } from '../../platform/context.js';
import { ChatRepository } from './chat.repository.js';
import { ChatService, type EmergencyDetector, type FileAccess } from './chat.service.js';
import { chatRoutes, chatSocketRoutes } from './chat.routes.js';
import { ChatSockets } from './chat.socket.js';
import { MessageSchema, RoomSchema } from './chat.schemas.js';
import { Hub } from './hub.js';
import { MemoryPresence, RedisPresence, type PresenceStore } from './presence.js';
import { registerWebSockets } from './ws-scope.js';
import './chat.tables.js';

export { ChatService } from './chat.service.js';
export { registerWebSockets } from './ws-scope.js';

/** Per-instance chat objects, so other areas (assistant, files) can reach the service. */
const services = new WeakMap<AppContext, ChatService>();
export function chatServiceOf(ctx: AppContext): ChatService | undefined {
  return services.get(ctx);
}

/** The emergency detector of src/modules/emergency, when that area is present. */
async function loadDetector(): Promise<EmergencyDetector | null> {
  const specifier = '../emergency/detector.js';
  try {
    const mod = (await import(specifier)) as { detectEmergency?: EmergencyDetector };
    return typeof mod.detectEmergency === 'function' ? mod.detectEmergency : null;
  } catch {
    return null;
  }
}

export const chatModule: AppModule = {
  name: 'chat',
  async routes(app, ctx) {
    const ttlMs = ctx.config.realtime.presenceTtlSeconds * 1000;
    const presence: PresenceStore = ctx.redis ? new RedisPresence(ctx.redis, ctx.config.redisPrefix, ttlMs) : new MemoryPresence(ttlMs);
    const repo = new ChatRepository();
    let service: ChatService | null = null;
    const hub = new Hub(ctx.pubsub, presence, ctx.log, (userId) => service!.roomIdsOf(userId));
    let detector: Promise<EmergencyDetector | null> | null = null;
    let files: FileAccess | null = null;
    service = new ChatService(ctx.db, repo, ctx.care, ctx.events, hub, {
      files: () => files,
      detector: () => (detector ??= loadDetector()),
    });
    services.set(ctx, service);
    // Care relationship (contract §3): a doctor and a patient who share a chat room.
    ctx.care.register('chat_room', (db, doctorId, patientId) => repo.shareRoom(db, doctorId, patientId));
    void files;

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
    await app.register(async (scope) => {
      await registerWebSockets(scope, () => sockets.closeAll());
      scope.addHook('onClose', async () => {
        await hub.close();
      });
      await chatSocketRoutes(scope, sockets);
    });
  },
};
