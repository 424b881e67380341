import type { FastifyRequest } from 'fastify';
import type { Actor } from '../access.js';
import { actorOf } from './auth.js';

/** Who is acting and from where: passed from a route to the services it calls. */
export interface RequestMeta {
  actor: Actor;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/** In a route: the caller and the request's origin, to hand to services (which never see the request). */
export function requestMeta(request: FastifyRequest): RequestMeta {
  return { actor: actorOf(request), ...requestOrigin(request) };
}

/** Where a request came from, without the caller: a WebSocket upgrade, which authenticates later. */
export function requestOrigin(request: FastifyRequest): Omit<RequestMeta, 'actor'> {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null, requestId: request.id ?? null };
}
