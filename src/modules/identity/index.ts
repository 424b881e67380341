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
import './identity.tables.js';

export { IdentityService } from './identity.service.js';
export { UsersRepository } from './users.repository.js';
export { UserSchema } from './identity.schemas.js';

/** The session check the auth hook runs on every protected request. */
export function sessionResolver(db: Db): SessionResolver {
  const sessions = new SessionsRepository();
  return (claims) => sessions.resolveActor(db, claims.sid, claims.sub);
}

export function createIdentityService(ctx: Pick<AppContext, 'config' | 'db' | 'tokens' | 'passwords' | 'events' | 'limiters'>): IdentityService {
  return new IdentityService({
    config: ctx.config,
    db: ctx.db,
    users: new UsersRepository(),
    sessions: new SessionsRepository(),
    tokens: ctx.tokens as AccessTokens,
    passwords: ctx.passwords,
    events: ctx.events,
    limiters: ctx.limiters,
  });
}

export const identityModule: AppModule = {
  name: 'identity',
  async routes(app, ctx) {
    app.addSchema(UserSchema);
    const identity = createIdentityService(ctx);
    const users = new UsersService(ctx.db, new UsersRepository(), new SessionsRepository(), identity, ctx.passwords, ctx.events);
    await authRoutes(app, identity);
    await usersRoutes(app, users);
  },
  seedDemo: (ctx) => seedDemoAccounts(createIdentityService(ctx)),
};
