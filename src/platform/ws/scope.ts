import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';

/** Largest socket frame accepted at all; bigger frames are closed by `ws` with 1009. */
export const MAX_SOCKET_PAYLOAD = 64 * 1024;

const upgradeHandled = new WeakSet<object>();

/**
 * Registers @fastify/websocket inside the caller's encapsulated scope (each module with
 * sockets — chat, video — has one). The plugin listens to the HTTP server's `upgrade` event and dispatches through
 * the shared router, so only the first registration per server may listen; later ones get
 * a detached emitter and still handle the upgrades routed to their own routes.
 */
export async function registerWebSockets(scope: FastifyInstance, onShutdown: () => Promise<void>): Promise<void> {
  const first = !upgradeHandled.has(scope.server);
  upgradeHandled.add(scope.server);
  await scope.register(websocket, {
    options: { maxPayload: MAX_SOCKET_PAYLOAD, ...(first ? {} : { server: new EventEmitter() as never }) },
    // The owner closes its sockets with a reconnect hint first; stragglers are cut.
    preClose: async () => {
      await onShutdown();
      const server = (scope as unknown as { websocketServer: { clients: Set<{ terminate(): void }> } }).websocketServer;
      for (const client of server.clients) client.terminate();
    },
  });
}
