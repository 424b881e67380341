import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from './config.js';
import type { DatabaseHandle, Db } from './database/index.js';
import type { EventBus } from './events.js';
import type { PubSub } from './pubsub.js';
import type { AccessTokens } from './auth/tokens.js';
import type { PasswordHasher } from './auth/passwords.js';
import type { CareRelationships } from './access.js';
import type { Limiter } from './rate-limit.js';
import type { Authenticator } from './http/auth.js';

/**
 * The shared infrastructure of one running instance, built once at start-up
 * (see app.ts) and handed to each module. Services receive the pieces they need as
 * constructor arguments; nothing reaches for globals.
 */
export interface AppContext {
  config: Config;
  log: FastifyBaseLogger;
  database: DatabaseHandle;
  db: Db;
  redis: Redis | null;
  events: EventBus;
  pubsub: PubSub;
  tokens: AccessTokens;
  passwords: PasswordHasher;
  care: CareRelationships;
  authenticator: Authenticator;
  limiters: {
    /** Auth endpoints per client IP (RATE_LIMIT_AUTH_PER_MIN). */
    authIp: Limiter;
    /** Auth endpoints per target account (RATE_LIMIT_AUTH_PER_MIN). */
    authAccount: Limiter;
    /** Consecutive failed logins per account, then lockout. */
    loginFailures: Limiter;
    /** Every API call per user (RATE_LIMIT_API_PER_MIN). */
    api: Limiter;
  };
}

/** A module: one area of the API. `routes` is registered under /api/v1. */
export interface AppModule {
  name: string;
  routes(app: import('fastify').FastifyInstance, ctx: AppContext): Promise<void> | void;
  /** Demo data for `npm start` (SEED_DEMO). Runs after every module's routes are registered. */
  seedDemo?(ctx: AppContext): Promise<string[] | void>;
  /** Start background work after listening; stopped by `stop` on shutdown. */
  start?(ctx: AppContext): Promise<void> | void;
  stop?(ctx: AppContext): Promise<void> | void;
  /** Dependencies this module adds to GET /ready (e.g. object storage). */
  readiness?(ctx: AppContext): { name: string; check(): Promise<void> }[];
}
