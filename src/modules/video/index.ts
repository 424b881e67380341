import type { AppModule } from '../../platform/context.js';
import { registerWebSockets } from '../../platform/ws/scope.js';
import type { AppointmentsService } from '../scheduling/index.js';
import type { Config } from '../../platform/config.js';
import { VideoService } from './video.service.js';
import { VideoSockets } from './video.socket.js';
import { videoRoutes, videoSocketRoutes } from './video.routes.js';
import { IDENTITY_CHANGED_CHANNEL } from '../identity/index.js';

export { VideoService, agoraUid, channelFor } from './video.service.js';

/** The video service of one instance (`ctx.services.video`): appointments come from scheduling's service. */
export function buildVideoServices(deps: { config: Config; appointments: AppointmentsService }): VideoService {
  return new VideoService(deps.config, deps.appointments);
}

/**
 * Video (docs/API.md §5): WebRTC signalling per appointment, ICE servers with TURN REST
 * credentials, and Agora / LiveKit tokens. Appointments (parties, time window) come from
 * the scheduling area's service.
 */
export const videoModule: AppModule = {
  name: 'video',
  async routes(app, ctx) {
    const video = ctx.services.video;
    await videoRoutes(app, video);
    const sockets = new VideoSockets(ctx.authenticator, video, ctx.pubsub, ctx.log);
    // A session that ends (logout, password change, deactivation) closes its signalling sockets too.
    await ctx.pubsub.subscribe(IDENTITY_CHANGED_CHANNEL, (message) => {
      const userId = (message as { userId?: unknown }).userId;
      if (typeof userId === 'string') void sockets.revalidateUser(userId).catch((err) => ctx.log.warn({ err }, 'video socket revalidation failed'));
    });
    await app.register(async (scope) => {
      await registerWebSockets(scope, async () => sockets.closeAll());
      await videoSocketRoutes(scope, sockets);
    });
  },
};
