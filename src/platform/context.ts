import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Config } from './config.js';
import type { DatabaseHandle, Db } from './database/index.js';
import type { EventBus } from './events.js';
import type { PubSub } from './pubsub.js';
import type { AccessTokens } from './auth/tokens.js';
import type { PasswordHasher } from './auth/passwords.js';
import type { CareRelationships } from './access.js';
import type { Limiter } from './rate-limit.js';
import type { Authenticator } from './http/auth.js';
import type { PageCache } from './http/page-cache.js';

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
  /** Rendered hot reads, dropped on writes on every instance (platform/http/page-cache.ts). */
  pageCache: PageCache;
  authenticator: Authenticator;
  /**
   * Every module's services, built once per instance by src/modules/services.ts
   * (`buildServices`) before any route is registered. Routes, demo seeding and start/stop
   * read their own (and other modules' public) services here; services themselves never
   * receive the context: they get what they need as constructor arguments.
   */
  services: AppServices;
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

/**
 * The services of every module, declared (by interface merging) in src/modules/services.ts:
 * the platform names no module.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AppServices {}

/** What `buildServices` is given: the infrastructure, before routes (and the authenticator) exist. */
export type Infrastructure = Omit<AppContext, 'authenticator' | 'services'>;

/** A module: one area of the API. `routes` is registered under /api/v1. */
export interface AppModule {
  name: string;
  routes(app: FastifyInstance, ctx: AppContext): Promise<void> | void;
  /** Routes outside /api/v1 (e.g. the FHIR API at /fhir/R4), registered at the root after every module's `routes`. */
  rootRoutes?(app: FastifyInstance, ctx: AppContext): Promise<void> | void;
  /** Demo data for `npm start` (SEED_DEMO). Runs after every module's routes are registered. */
  seedDemo?(ctx: AppContext): Promise<string[] | void>;
  /** Start background work after listening; stopped by `stop` on shutdown. */
  start?(ctx: AppContext): Promise<void> | void;
  /** Work that can wait until the server listens (warm caches, build models); GET /ready should say when it is done. */
  warmUp?(ctx: AppContext): void;
  stop?(ctx: AppContext): Promise<void> | void;
  /** Dependencies this module adds to GET /ready (e.g. object storage). */
  readiness?(ctx: AppContext): { name: string; check(): Promise<void> }[];
  /** Gauges and counters this module adds to GET /metrics (e.g. reminder lag), registered once at build. */
  metrics?(ctx: AppContext, registry: Registry): void;
}
