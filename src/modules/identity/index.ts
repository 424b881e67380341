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
import { MfaRepository } from './mfa.repository.js';
import { MfaService } from './mfa.service.js';
import { mfaRoutes } from './mfa.routes.js';
import { WebauthnService } from './webauthn.service.js';
import { webauthnRoutes } from './webauthn.routes.js';
import { OidcService } from './oidc.service.js';
import { oidcRoutes } from './oidc.routes.js';
import { SecretBox } from './second-factor.js';
import { Limiter } from '../../platform/rate-limit.js';
import { OutboxSealer } from '../../platform/mail.js';
import { PatientExportService } from './export.service.js';
import { exportRoutes } from './export.routes.js';
import './identity.tables.js';

export { IdentityService } from './identity.service.js';
export type { ExportSection } from './export.service.js';
export { UsersRepository } from './users.repository.js';
export { UserSchema } from './identity.schemas.js';
export { IDENTITY_CHANGED_CHANNEL } from './session-cache.js';
/** The demo clinic's accounts (SEED_DEMO): other modules' demo data is seeded for them. */
export { DEMO_ACCOUNTS, DEMO_PASSWORD } from './demo.js';

/** The identity services of one instance (`ctx.services.identity`), built by src/modules/services.ts. */
export interface IdentityServices {
  identity: IdentityService;
  users: UsersService;
  /** TOTP, recovery codes, second factor at sign-in, step-up, sessions list (issue 15). */
  mfa: MfaService;
  /** Passkeys: registration, list, rename, removal; second factor and passwordless sign-in. */
  passkeys: WebauthnService;
  /** Sign-in with external OpenID Connect providers (OIDC_PROVIDERS / OIDC_<NAME>_*). */
  oidc: OidcService;
  /** Per-instance session cache; invalidated locally and, through pubsub, on every instance. */
  sessionCache: SessionCache;
  /** The session check the auth hook runs on every protected request (platform/http/auth.ts). */
  resolveSession: SessionResolver;
  /** What other modules may ask about an account (no access check: the caller applies its own rules). */
  lookups: IdentityLookups;
  /** Patient data export (step-up); its clinical sections are connected by src/modules/services.ts. */
  exports: PatientExportService;
}

export interface IdentityLookups {
  /** The account's own time zone (profiles may override it: scheduling.lookups.timeZoneOf), or null. */
  accountTimeZone(userId: string): Promise<string | null>;
}

export type IdentityServicesDeps = Pick<AppContext, 'config' | 'db' | 'tokens' | 'passwords' | 'events' | 'limiters' | 'pubsub' | 'log' | 'redis'>;

export function buildIdentityServices(deps: IdentityServicesDeps): IdentityServices {
  const cache = new SessionCache(deps.pubsub, deps.config.sessionCacheSeconds * 1000);
  const usersRepository = new UsersRepository();
  const sessions = new SessionsRepository();
  const mfaRepository = new MfaRepository();
  const identity = new IdentityService({
    cache,
    mfa: mfaRepository,
    config: deps.config,
    db: deps.db,
    users: usersRepository,
    sessions,
    tokens: deps.tokens as AccessTokens,
    passwords: deps.passwords,
    events: deps.events,
    limiters: deps.limiters,
    outbox: new OutboxSealer(deps.config.jwtSecret),
    log: deps.log,
  });
  // Five wrong second-factor proofs lock the account's second factor for 15 minutes (ASVS 6.3.1).
  const mfaFailures = new Limiter({ name: 'mfa-failures', points: 5, durationSeconds: 900, blockSeconds: 900 }, deps.redis, deps.config.redisPrefix);
  const mfa = new MfaService({
    config: deps.config,
    db: deps.db,
    users: usersRepository,
    sessions,
    mfa: mfaRepository,
    identity,
    passwords: deps.passwords,
    cache,
    failures: mfaFailures,
    authIp: deps.limiters.authIp,
    box: new SecretBox(deps.config.jwtSecret),
  });
  const passkeys = new WebauthnService({
    config: deps.config,
    db: deps.db,
    users: usersRepository,
    mfa: mfaRepository,
    mfaService: mfa,
    identity,
    passwords: deps.passwords,
    cache,
    authIp: deps.limiters.authIp,
    failures: mfaFailures,
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
  const oidc = new OidcService({
    config: deps.config,
    db: deps.db,
    users: usersRepository,
    mfa: mfaRepository,
    identity,
    passwords: deps.passwords,
    events: deps.events,
    authIp: deps.limiters.authIp,
  });
  const lookups: IdentityLookups = { accountTimeZone: async (userId) => (await usersRepository.findById(deps.db, userId))?.time_zone ?? null };
  const exports = new PatientExportService(deps.db, usersRepository, mfaRepository);
  return { identity, users, mfa, passkeys, oidc, sessionCache: cache, resolveSession, lookups, exports };
}

export const identityModule: AppModule = {
  name: 'identity',
  async routes(app, ctx) {
    app.addSchema(UserSchema);
    // Invalidations from other instances (logout, deactivation there) reach this cache.
    const { identity, users, mfa, passkeys, oidc, sessionCache } = ctx.services.identity;
    await sessionCache.listen();
    await authRoutes(app, identity, mfa);
    await mfaRoutes(app, mfa);
    await webauthnRoutes(app, passkeys);
    await oidcRoutes(app, oidc, ctx.config.auth.postLoginUrl);
    await usersRoutes(app, users);
    await exportRoutes(app, ctx.services.identity.exports);
  },
  seedDemo: (ctx) => seedDemoAccounts(ctx.services.identity.identity, ctx.services.identity.mfa),
};
