import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUser, publicAccess } from '../../platform/http/auth.js';
import { DateTime, IdParams, problemResponses, Uuid } from '../../platform/http/schemas.js';
import type { VideoService } from './video.service.js';
import type { VideoSockets } from './video.socket.js';

const tags = ['video'];
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const IceServersReply = Type.Object({
  ice_servers: Type.Array(
    Type.Object(
      { urls: Type.Array(Type.String()), username: Type.Optional(Type.String()), credential: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
  ),
  ttl_seconds: Nullable(Type.Integer()),
  expires_at: Nullable(DateTime),
});
const TokenReply = Type.Object(
  {
    provider: Type.Union([Type.Literal('agora'), Type.Literal('livekit')]),
    token: Type.String(),
    app_id: Nullable(Type.String()),
    channel: Type.String(),
    uid: Nullable(Type.Integer()),
    url: Nullable(Type.String()),
    identity: Uuid,
    expires_at: DateTime,
  },
  { additionalProperties: false },
);

export async function videoRoutes(root: FastifyInstance, video: VideoService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/video/ice-servers', {
    config: { access: anyUser },
    schema: { tags, summary: 'STUN/TURN servers with time-limited TURN REST credentials', response: { 200: IceServersReply, ...problemResponses } },
    handler: async (request) => video.iceServers(actorOf(request).id),
  });

  app.get('/appointments/:id/token', {
    config: { access: anyUser },
    schema: {
      tags: [...tags, 'appointments'],
      summary: "Provider token for the appointment's call (parties only; 503 when no provider is configured)",
      params: IdParams,
      response: { 200: TokenReply, ...problemResponses },
    },
    handler: async (request) => {
      const actor = actorOf(request);
      const appointment = await video.appointmentFor(actor, request.params.id);
      return video.token(actor, appointment);
    },
  });

  app.get('/video/token', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Provider token for a channel (seed 004): the channel is `appt-<appointment id>` (or the id)',
      querystring: Type.Object({ channel: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      response: { 200: TokenReply, ...problemResponses },
    },
    handler: async (request) => {
      const actor = actorOf(request);
      const appointment = await video.appointmentForChannel(actor, request.query.channel);
      return video.token(actor, appointment);
    },
  });
}

export async function videoSocketRoutes(root: FastifyInstance, sockets: VideoSockets): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const summary = "WebRTC signalling for an appointment's parties (offer, answer, ice_candidate, hangup; peer_joined/peer_left)";
  app.get(
    '/ws/video/:room_id',
    {
      websocket: true,
      config: { access: publicAccess },
      schema: {
        tags,
        summary,
        params: Type.Object({ room_id: Uuid }),
        querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 4096 })) }),
        response: problemResponses,
      },
    },
    (socket, request) => void sockets.handle(socket, request.params.room_id, request.query.token).catch(() => socket.terminate()),
  );
  app.get(
    '/ws/video/:room_id/*',
    {
      websocket: true,
      config: { access: publicAccess },
      schema: {
        tags,
        summary: `${summary} (seed 002 alias: token in the path)`,
        params: Type.Object({ room_id: Uuid, '*': Type.String({ minLength: 1, maxLength: 4096 }) }),
        response: problemResponses,
      },
    },
    (socket, request) => void sockets.handle(socket, request.params.room_id, request.params['*']).catch(() => socket.terminate()),
  );
}
