import type { AppContext, AppModule } from '../../platform/context.js';
import type { AccessTokens } from '../../platform/auth/tokens.js';
import type { SessionResolver } from '../../platform/http/auth.js';
import type { Db } from '../../platform/database/index.js';
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

const caches = new WeakMap<Db, SessionCache>();

/** One session cache per running instance (keyed by its database handle). */
export function sessionCacheFor(ctx: Pick<AppContext, 'db' | 'pubsub' | 'config'>): SessionCache {
  let cache = caches.get(ctx.db);
  if (!cache) {
    cache = new SessionCache(ctx.pubsub, ctx.config.sessionCacheSeconds * 1000);
    caches.set(ctx.db, cache);
  }
  return cache;
}

/** The session check the auth hook runs on every protected request. */
export function sessionResolver(ctx: Pick<AppContext, 'db' | 'pubsub' | 'config'>): SessionResolver {
  const sessions = new SessionsRepository();
  const cache = sessionCacheFor(ctx);
  return async (claims) => {
    const cached = cache.get(claims.sid);
    if (cached) return cached.actor.id === claims.sub ? cached.actor : null;
    const generation = cache.generation(claims.sub);
    const found = await sessions.resolveSession(ctx.db, claims.sid, claims.sub);
    if (!found) return null;
    cache.set(found.actor, found.user, generation);
    return found.actor;
  };
}

export function createIdentityService(ctx: Pick<AppContext, 'config' | 'db' | 'tokens' | 'passwords' | 'events' | 'limiters' | 'pubsub'>): IdentityService {
  return new IdentityService({
    cache: sessionCacheFor(ctx),
    config: ctx.config,
    db: ctx.db,
    users: new UsersRepository(),
    sessions: new SessionsRepository(),
    tokens: ctx.tokens as AccessTokens,
    passwords: ctx.passwords,
    events: ctx.events,
    limiters: ctx.limiters,
    log: (ctx as Partial<AppContext>).log,
  });
}

export const identityModule: AppModule = {
  name: 'identity',
  async routes(app, ctx) {
    app.addSchema(UserSchema);
    // Invalidations from other instances (logout, deactivation there) reach this cache.
    await sessionCacheFor(ctx).listen();
    const identity = createIdentityService(ctx);
    const users = new UsersService(ctx.db, new UsersRepository(), new SessionsRepository(), identity, ctx.passwords, ctx.events, sessionCacheFor(ctx));
    await authRoutes(app, identity);
    await usersRoutes(app, users);
  },
  seedDemo: (ctx) => seedDemoAccounts(createIdentityService(ctx)),
};
