import type { AppContext, AppModule } from '../../platform/context.js';
import type { AccessTokens } from '../../platform/auth/tokens.js';
import type { SessionResolver } from '../../platform/http/auth.js';
import { UsersRepository } from './users.repository.js';
import { SessionsRepository } from './sessions.repository.js';
import { IdentityService } from './identity.service.js';
import { UsersService } from './users.service.js';
import { authRoutes } from './auth.routes.js';
import { usersRoutes } from './users.routes.js';
import { UserSchema } from './identity.schemas.js';
import { seedDemoAccounts } from './demo.js';
import { SessionCache } from './session-cache.js';
import './identity.tables.js';

export { IdentityService } from './identity.service.js';
export { UsersRepository } from './users.repository.js';
export { UserSchema } from './identity.schemas.js';
export { IDENTITY_CHANGED_CHANNEL } from './session-cache.js';

/** The identity services of one instance (`ctx.services.identity`), built by src/modules/services.ts. */
export interface IdentityServices {
  identity: IdentityService;
  users: UsersService;
  /** Per-instance session cache; invalidated locally and, through pubsub, on every instance. */
  sessionCache: SessionCache;
  /** The session check the auth hook runs on every protected request (platform/http/auth.ts). */
  resolveSession: SessionResolver;
}

export type IdentityServicesDeps = Pick<AppContext, 'config' | 'db' | 'tokens' | 'passwords' | 'events' | 'limiters' | 'pubsub' | 'log'>;

export function buildIdentityServices(deps: IdentityServicesDeps): IdentityServices {
  const cache = new SessionCache(deps.pubsub, deps.config.sessionCacheSeconds * 1000);
  const usersRepository = new UsersRepository();
  const sessions = new SessionsRepository();
  const identity = new IdentityService({
    cache,
    config: deps.config,
    db: deps.db,
    users: usersRepository,
    sessions,
    tokens: deps.tokens as AccessTokens,
    passwords: deps.passwords,
    events: deps.events,
    limiters: deps.limiters,
    log: deps.log,
  });
  const users = new UsersService(deps.db, usersRepository, sessions, identity, deps.passwords, deps.events, cache);
  const resolveSession: SessionResolver = async (claims) => {
    const cached = cache.get(claims.sid);
    if (cached) return cached.actor.id === claims.sub ? cached.actor : null;
    const generation = cache.generation(claims.sub);
    const found = await sessions.resolveSession(deps.db, claims.sid, claims.sub);
    if (!found) return null;
    cache.set(found.actor, found.user, generation);
    return found.actor;
  };
  return { identity, users, sessionCache: cache, resolveSession };
}

/** @deprecated Read `ctx.services.identity.identity`. */
export function createIdentityService(ctx: AppContext): IdentityService {
  return ctx.services.identity.identity;
}

export const identityModule: AppModule = {
  name: 'identity',
  async routes(app, ctx) {
    app.addSchema(UserSchema);
    // Invalidations from other instances (logout, deactivation there) reach this cache.
    const { identity, users, sessionCache } = ctx.services.identity;
    await sessionCache.listen();
    await authRoutes(app, identity);
    await usersRoutes(app, users);
  },
  seedDemo: (ctx) => seedDemoAccounts(ctx.services.identity.identity),
};
