import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUser, publicAccess, rolesAllowed } from '../../platform/http/auth.js';
import { problemResponses } from '../../platform/http/schemas.js';
import {
  ActiveUsersReply,
  BroadcastBody,
  BroadcastReply,
  CreateRoomAliasBody,
  CreateRoomBody,
  HistoryPage,
  HistoryQuery,
  ReadBody,
  ReadReply,
  RoomIdParams,
  RoomListQuery,
  RoomPage,
  SendBody,
  SocketQuery,
  StatsReply,
  UserIdParams,
} from './chat.schemas.js';
import { messageDto, type ChatService } from './chat.service.js';
import type { ChatSockets } from './chat.socket.js';
import { requestMeta } from '../audit/index.js';
import { requestOrigin } from '../../platform/http/request-meta.js';

const tags = ['chat'];
const adminOnly = rolesAllowed('admin');

export async function chatRoutes(root: FastifyInstance, chat: ChatService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/chat/rooms', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Create a room (direct rooms are idempotent per pair: 200 with the existing room)',
      body: CreateRoomBody,
      response: { 200: Type.Ref('ChatRoom'), 201: Type.Ref('ChatRoom'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const { room, created } = await chat.createRoom(actorOf(request), request.body, requestMeta(request));
      return reply.code(created ? 201 : 200).send(room);
    },
  });

  app.post('/chat/rooms/create', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Direct doctor–patient room (seed 001 alias)',
      body: CreateRoomAliasBody,
      response: { 200: Type.Ref('ChatRoom'), 201: Type.Ref('ChatRoom'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const { room, created } = await chat.createRoom(
        actorOf(request),
        { kind: 'direct', participant_ids: [request.body.doctor_id, request.body.patient_id] },
        requestMeta(request),
      );
      return reply.code(created ? 201 : 200).send(room);
    },
  });

  app.get('/chat/rooms', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Own rooms with last message and unread count, most recent first',
      querystring: RoomListQuery,
      response: { 200: RoomPage, ...problemResponses },
    },
    handler: async (request) => chat.listRooms(actorOf(request), actorOf(request).id, request.query),
  });

  app.get('/chat/rooms/user/:user_id', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: "A user's rooms (seed 001): self, or an admin (without message content)",
      params: UserIdParams,
      querystring: RoomListQuery,
      response: { 200: RoomPage, ...problemResponses },
    },
    handler: async (request) => chat.listRooms(actorOf(request), request.params.user_id, request.query),
  });

  app.get('/chat/rooms/:id', {
    config: { access: anyUser },
    schema: { tags, summary: 'One room (participants only)', params: RoomIdParams, response: { 200: Type.Ref('ChatRoom'), ...problemResponses } },
    handler: async (request) => chat.getRoom(actorOf(request), request.params.id),
  });

  app.get('/chat/rooms/:id/history', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Messages before `before_seq` (newest page first), oldest→newest within the page',
      params: RoomIdParams,
      querystring: HistoryQuery,
      response: { 200: HistoryPage, ...problemResponses },
    },
    handler: async (request) => chat.history(actorOf(request), request.params.id, request.query, requestMeta(request)),
  });

  app.post('/chat/rooms/:id/messages', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Send a message (same rules as the socket; a repeated client_msg_id returns the first message with 200)',
      params: RoomIdParams,
      body: SendBody,
      response: { 200: Type.Ref('ChatMessage'), 201: Type.Ref('ChatMessage'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const { actor, ...origin } = requestMeta(request);
      const { message, duplicate } = await chat.send(actor, {
        roomId: request.params.id,
        content: request.body.content,
        clientMsgId: request.body.client_msg_id ?? null,
        fileId: request.body.file_id ?? null,
        origin,
      });
      return reply.code(duplicate ? 200 : 201).send(messageDto(message));
    },
  });

  app.post('/chat/rooms/:id/read', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Mark messages read up to a seq (read receipt to the others)',
      params: RoomIdParams,
      body: ReadBody,
      response: { 200: ReadReply, ...problemResponses },
    },
    handler: async (request) => chat.markRead(actorOf(request), request.params.id, request.body.up_to_seq),
  });

  app.post('/chat/rooms/:id/leave', {
    config: { access: anyUser },
    schema: { tags, summary: 'Leave a room (no more reading or posting)', params: RoomIdParams, response: { 204: Type.Null(), ...problemResponses } },
    handler: async (request, reply) => {
      await chat.leave(actorOf(request), request.params.id, requestMeta(request));
      return reply.code(204).send(null);
    },
  });

  app.get('/chat/stats', {
    config: { access: adminOnly },
    schema: { tags, summary: 'Chat statistics (admin, seed 001)', response: { 200: StatsReply, ...problemResponses } },
    handler: async () => chat.stats(),
  });

  app.get('/chat/active-users', {
    config: { access: adminOnly },
    schema: { tags, summary: 'Users online or away on any instance (admin, seed 001)', response: { 200: ActiveUsersReply, ...problemResponses } },
    handler: async () => chat.activeUsers(),
  });

  app.post('/chat/broadcast', {
    config: { access: adminOnly },
    schema: {
      tags,
      summary: 'System notification to every connected user, or one role (admin)',
      body: BroadcastBody,
      response: { 202: BroadcastReply, ...problemResponses },
    },
    handler: async (request, reply) => reply.code(202).send(await chat.broadcast(actorOf(request), request.body)),
  });
}

/**
 * Socket routes. Declared public because browsers cannot send an Authorization header on
 * a WebSocket: the socket authenticates itself (query token or first `auth` frame).
 */
export async function chatSocketRoutes(root: FastifyInstance, sockets: ChatSockets): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const summary = 'Chat socket (frames in docs/API.md §4); token in the query or a first {"type":"auth"} frame';

  app.get(
    '/ws',
    { websocket: true, config: { access: publicAccess }, schema: { tags, summary, querystring: SocketQuery, response: problemResponses } },
    (socket, request) => {
      sockets.handle(socket, { token: request.query.token, origin: requestOrigin(request) });
    },
  );

  app.get(
    '/chat/ws/:user_id',
    {
      websocket: true,
      config: { access: publicAccess },
      schema: {
        tags,
        summary: `${summary} (seed 001 alias; the token must be this user's)`,
        params: UserIdParams,
        querystring: SocketQuery,
        response: problemResponses,
      },
    },
    (socket, request) => {
      sockets.handle(socket, { token: request.query.token, expectUserId: request.params.user_id, origin: requestOrigin(request) });
    },
  );

  app.get(
    // A wildcard, not `:token`: the router caps named params at 100 characters and a JWT is longer.
    '/ws/*',
    {
      websocket: true,
      config: { access: publicAccess },
      schema: {
        tags,
        summary: `${summary} (seed 002 alias: /ws/{token})`,
        params: Type.Object({ '*': Type.String({ minLength: 1, maxLength: 4096 }) }),
        response: problemResponses,
      },
    },
    (socket, request) => {
      sockets.handle(socket, { token: request.params['*'], origin: requestOrigin(request) });
    },
  );
}
