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
  const ua = request.headers['user-agent'];
  return {
    actor: actorOf(request),
    ip: request.ip ?? null,
    userAgent: typeof ua === 'string' ? ua.slice(0, 512) : null,
    requestId: request.id ?? null,
  };
}
