import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Actor } from '../access.js';
import { STRONG_AMR, type AccessClaims, type AccessTokens, type Role } from '../auth/tokens.js';
import { AppError, ForbiddenError, UnauthorizedError } from '../errors.js';
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
    /**
     * The route needs a recent second factor (prescribing, role changes, exports: docs/API.md §1.1).
     * A function decides per request, after validation (e.g. only when the body changes a role).
     */
    stepUp?: boolean | ((request: FastifyRequest) => boolean);
    /** Tokens issued to SMART apps are accepted here (the FHIR API, which checks their scopes); everywhere else they are refused. */
    appTokens?: boolean;
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

/**
 * 401 when a route needs a recent second factor and the token doesn't show one. The
 * WWW-Authenticate challenge follows RFC 9470 (OAuth 2.0 Step-Up Authentication Challenge).
 */
export class StepUpRequiredError extends AppError {
  constructor(maxAgeSeconds: number, detail: string) {
    super(401, 'Step-up authentication required', detail, undefined, 'step-up-required', {
      'www-authenticate': `Bearer error="insufficient_user_authentication", error_description="a second factor is required", max_age=${maxAgeSeconds}`,
    });
  }
}

export interface StepUpPolicy {
  /** STEP_UP_REQUIRED: false turns the check off (development only; the default is on). */
  stepUpRequired: boolean;
  stepUpMaxAgeSeconds: number;
}

export class Authenticator {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly resolveSession: SessionResolver,
    private readonly stepUp: StepUpPolicy = { stepUpRequired: true, stepUpMaxAgeSeconds: 600 },
  ) {}

  /**
   * Throws StepUpRequiredError unless the token shows a second factor (`amr`) proved within
   * the last STEP_UP_MAX_AGE_SECONDS (`auth_time`). Reads the token only: no database query.
   * Called only for routes marked `config.stepUp` (the verifier caches the token's claims).
   */
  requireStepUp(token: string, now = Date.now()): void {
    if (!this.stepUp.stepUpRequired) return;
    const claims = this.tokens.verify(token);
    const maxAge = this.stepUp.stepUpMaxAgeSeconds;
    const strong = claims.amr?.some((m) => (STRONG_AMR as readonly string[]).includes(m)) ?? false;
    if (!strong) {
      throw new StepUpRequiredError(
        maxAge,
        'This action needs a second factor: verify a TOTP code, recovery code or passkey with POST /api/v1/auth/mfa/step-up (enrol one first with POST /api/v1/auth/mfa/totp/setup or a passkey).',
      );
    }
    if (claims.auth_time === undefined || now / 1000 - claims.auth_time > maxAge) {
      throw new StepUpRequiredError(
        maxAge,
        `This action needs a second factor verified within the last ${Math.round(maxAge / 60)} minutes: verify one again with POST /api/v1/auth/mfa/step-up.`,
      );
    }
  }

  /**
   * Verifies a token and its live session; throws 401 otherwise. Also used by WebSockets.
   * A token issued to a SMART app is refused unless `appTokens` (only the FHIR routes say so):
   * an app granted `patient/Observation.rs` must not reach the rest of the API with it.
   */
  async authenticate(token: string, appTokens = false): Promise<Actor> {
    const claims = this.tokens.verify(token);
    if (claims.scope !== undefined && !appTokens) throw new ForbiddenError('This token was issued to an app for the FHIR API (/fhir/R4) only.');
    const actor = await this.resolveSession(claims);
    if (!actor) throw new UnauthorizedError('The session has ended; sign in again.');
    if (claims.scope === undefined) return actor;
    return { ...actor, app: { clientId: claims.client_id ?? '', scopes: claims.scope.split(' ').filter(Boolean), patient: claims.patient ?? null } };
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
    // Every API route states who may call it; so do the FHIR and SMART/OAuth endpoints, which
    // serve patient data and tokens outside /api (security review). Only the operational root
    // routes (health, ready, metrics with its own guard, JWKS, docs, the portal's files) are exempt.
    const isApi = /^\/(api|fhir|oauth)\//.test(route.url);
    if (isApi && !access) throw new Error(`Route ${route.method} ${route.url} does not declare config.access`);
    if (access) {
      // The OpenAPI document states who may call each route, from the same declaration.
      const who = describeAccess(access) + (route.config?.stepUp ? ' Needs a recent second factor (step-up, docs/API.md §1.1).' : '');
      const description = route.schema?.description ? `${who}\n\n${route.schema.description}` : who;
      route.schema = { ...route.schema, description, ...(!('public' in access) && { security: [{ bearerAuth: [] }, { oauth2: [] }] }) };
    }
    const stepUp = route.config?.stepUp;
    if (typeof stepUp === 'function') {
      // Decided once the body is validated; added to this route only, so others pay nothing.
      const check = async (request: FastifyRequest) => {
        if (stepUp(request)) authenticator.requireStepUp(bearerToken(request) ?? '');
      };
      route.preHandler = [...(Array.isArray(route.preHandler) ? route.preHandler : route.preHandler ? [route.preHandler] : []), check];
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
    const actor = await authenticator.authenticate(token, request.routeOptions.config.appTokens === true);
    request.actor = actor;
    authenticator.authorise(actor, access);
    if (request.routeOptions.config.stepUp === true) authenticator.requireStepUp(token);
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
