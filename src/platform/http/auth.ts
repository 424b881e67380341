import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Actor } from '../access.js';
import type { AccessClaims, AccessTokens, Role } from '../auth/tokens.js';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import type { Limiter } from '../rate-limit.js';

/**
 * Who may call a route, declared next to the route:
 *
 *   app.get('/users', { config: { access: staffOnly('admin') }, schema }, handler)
 *
 * Every /api/v1 route must declare it (start-up fails otherwise), so no route is
 * accidentally public. Pending doctors and nurses may only call routes that say
 * `allowPending` (their own profile, logout, password change).
 */
export type Access = { public: true } | { roles: readonly Role[] | 'any'; allowPending?: boolean };

export const publicAccess: Access = { public: true };
export const anyUser: Access = { roles: 'any' };
export const anyUserEvenPending: Access = { roles: 'any', allowPending: true };
export function rolesAllowed(...roles: Role[]): Access {
  return { roles };
}

export function describeAccess(access: Access): string {
  if ('public' in access) return '**Who may call:** anyone.';
  const roles = access.roles === 'any' ? 'any signed-in user' : access.roles.join(', ');
  return `**Who may call:** ${roles}${access.allowPending ? ' (including accounts awaiting approval)' : ''}.`;
}

export type SessionResolver = (claims: AccessClaims) => Promise<Actor | null>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/** Reads a bearer token from the Authorization header. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <token>".');
  return match[1] ?? null;
}

export class Authenticator {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly resolveSession: SessionResolver,
  ) {}

  /** Verifies a token and its live session; throws 401 otherwise. Also used by WebSockets. */
  async authenticate(token: string): Promise<Actor> {
    const claims = this.tokens.verify(token);
    const actor = await this.resolveSession(claims);
    if (!actor) throw new UnauthorizedError('The session has ended; sign in again.');
    return actor;
  }

  authorise(actor: Actor, access: Exclude<Access, { public: true }>): void {
    if (access.roles !== 'any' && !access.roles.includes(actor.role)) {
      throw new ForbiddenError(`This endpoint is not available to the ${actor.role} role.`);
    }
    if (actor.status === 'pending' && !access.allowPending) {
      throw new ForbiddenError('Your account is awaiting approval by an administrator.');
    }
  }
}

export function registerAuth(app: FastifyInstance, authenticator: Authenticator, apiLimiter: Limiter): void {
  app.decorateRequest('actor', null);

  app.addHook('onRoute', (route: RouteOptions) => {
    const access = route.config?.access;
    const isApi = route.url.startsWith('/api/');
    if (isApi && !access) throw new Error(`Route ${route.method} ${route.url} does not declare config.access`);
    if (access) {
      // The OpenAPI document states who may call each route, from the same declaration.
      const who = describeAccess(access);
      const description = route.schema?.description ? `${who}\n\n${route.schema.description}` : who;
      route.schema = { ...route.schema, description, ...(!('public' in access) && { security: [{ bearerAuth: [] }, { oauth2: [] }] }) };
    }
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access;
    if (!access) return;
    if ('public' in access) {
      // Public routes still know the caller when a valid token is sent (e.g. to mark "own"
      // items), but a bad token must not lock anyone out of a public page.
      const token = safeBearer(request);
      if (token) request.actor = await authenticator.authenticate(token).catch(() => null);
      await apiLimiter.consume(request.actor ? `user:${request.actor.id}` : `ip:${request.ip}`);
      return;
    }
    const token = bearerToken(request);
    if (!token) throw new UnauthorizedError();
    const actor = await authenticator.authenticate(token);
    request.actor = actor;
    authenticator.authorise(actor, access);
    await apiLimiter.consume(`user:${actor.id}`);
  });
}

function safeBearer(request: FastifyRequest): string | null {
  try {
    return bearerToken(request);
  } catch {
    return null;
  }
}

/** The authenticated caller of a protected route (the auth hook guarantees it exists). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthorizedError();
  return request.actor;
}
