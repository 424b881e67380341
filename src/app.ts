import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from './platform/config.js';
import { accessLogger, loggerOptions } from './platform/logger.js';
import { secureFilesystem } from './platform/file-permissions.js';
import { openDatabase, type DatabaseHandle } from './platform/database/index.js';
import { migrateToLatest } from './platform/database/migrator.js';
import { createRedis } from './platform/redis.js';
import { EventBus } from './platform/events.js';
import { MemoryPubSub, RedisPubSub, type PubSub } from './platform/pubsub.js';
import { AccessTokens } from './platform/auth/tokens.js';
import { PasswordHasher } from './platform/auth/passwords.js';
import { CareRelationships } from './platform/access.js';
import { Limiter } from './platform/rate-limit.js';
import { Authenticator, registerAuth } from './platform/http/auth.js';
import { registerProblemHandlers } from './platform/http/problem.js';
import { clientErrorHandler, frameworkErrors, registerEdge } from './platform/http/edge.js';
import { registerMetrics } from './platform/http/metrics.js';
import { registerDocs } from './platform/http/docs.js';
import { registerPortal } from './platform/http/portal.js';
import { lazySerializers } from './platform/http/serializers.js';
import { lazyValidators } from './platform/http/validators.js';
import { InFlight } from './platform/http/in-flight.js';
import { PageCache } from './platform/http/page-cache.js';
import { ProblemSchema } from './platform/http/schemas.js';
import { BadRequestError } from './platform/errors.js';
import type { AppContext, AppModule, Infrastructure } from './platform/context.js';
import { systemRoutes } from './modules/system/index.js';
import { IDENTITY_CHANGED_CHANNEL, identityModule } from './modules/identity/index.js';
import { modules as featureModules } from './modules/index.js';
import { buildServices } from './modules/services.js';

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
}

export interface BuiltApp {
  app: FastifyInstance;
  ctx: AppContext;
  modules: AppModule[];
  /** Route handlers running now (shutdown waits for them before closing the database). */
  inFlight: InFlight;
  /** Runs demo seeding (if asked) and each module's background work. */
  start(): Promise<string[]>;
  /** Stops background work, closes the server, then pubsub, Redis and the database. */
  close(): Promise<void>;
  /**
   * Compiles, in the background, the response serializers no request has needed yet (they
   * are built on first use so start-up is faster; see platform/http/serializers.ts) and request
   * validators (platform/http/validators.ts), and runs
   * each module's `warmUp` (e.g. the symptom checker's model). The process entry calls it once
   * listening; tests do without.
   */
  warmUp(): void;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Builds one instance of the service: infrastructure chosen from the config
 * (PGlite or PostgreSQL, memory or Redis), migrations applied, every module's routes
 * registered under /api/v1. Used identically by `npm start` and by the tests.
 */
export async function buildApp(config: Config): Promise<BuiltApp> {
  // Before anything writes a file (the log transport, PGlite, uploads): private modes only.
  const permissions = secureFilesystem({
    dataDir: config.dataDir,
    createDataDir: !config.databaseUrl && config.embeddedDatabase !== 'memory',
    logFile: config.logFile,
  });
  const serializers = lazySerializers();
  const validators = lazyValidators();
  const app = Fastify({
    logger: loggerOptions(config),
    // Our own onResponse hook writes the access log (see below), so Fastify's is off.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
    forceCloseConnections: 'idle',
    // A slow client cannot hold a connection (issue 11): the whole request within
    // REQUEST_TIMEOUT_SECONDS, headers within 10 s, idle keep-alive sockets closed after 5 s.
    requestTimeout: config.requestTimeoutSeconds * 1000,
    keepAliveTimeout: 5000,
    http: {
      headersTimeout: Math.min(10, config.requestTimeoutSeconds) * 1000,
      connectionsCheckingInterval: Math.min(1000, config.requestTimeoutSeconds * 250),
    },
    clientErrorHandler,
    frameworkErrors,
    return503OnClosing: true,
    schemaController: { compilersFactory: { buildSerializer: serializers.buildSerializer, buildValidator: validators.buildValidator } },
  });

  // Before any route is registered: every handler is counted while it runs (see close()).
  const inFlight = new InFlight();
  inFlight.register(app);

  if (permissions.fixed.length)
    app.log.warn(
      { count: permissions.fixed.length, paths: permissions.fixed.slice(0, 20) },
      'tightened loose permissions under DATA_DIR / LOG_FILE to 0700/0600',
    );
  let database: DatabaseHandle | null = null;
  const redis = await createRedis(config, 'commands');
  const subscriber = await createRedis(config, 'subscriber');
  try {
    database = await openDatabase(config);
    await migrateToLatest(database.db, config.databaseSchema);
    // PGlite lays out a new cluster with explicit modes (0666), whatever the umask: tighten again.
    const afterOpen = secureFilesystem({ dataDir: config.dataDir, createDataDir: false, logFile: config.logFile });
    if (afterOpen.fixed.length) app.log.debug({ count: afterOpen.fixed.length }, 'tightened the embedded database files to 0600');
  } catch (err) {
    await database?.close().catch(() => {});
    redis?.disconnect();
    subscriber?.disconnect();
    await app.close();
    throw err;
  }

  const pubsub: PubSub = redis && subscriber ? new RedisPubSub(redis, subscriber, config.redisPrefix + 'ps:') : new MemoryPubSub();
  const tokens = new AccessTokens(config.jwtSecret, config.accessTokenTtlSeconds, config.jwtKeys);
  const limit = (name: string, points: number, durationSeconds: number, blockSeconds?: number) =>
    new Limiter({ name, points, durationSeconds, blockSeconds }, redis, config.redisPrefix);
  const infra: Infrastructure = {
    config,
    log: app.log,
    database,
    db: database.db,
    redis,
    events: new EventBus(app.log),
    pubsub,
    tokens,
    passwords: new PasswordHasher(config.argon2),
    care: new CareRelationships(),
    pageCache: new PageCache(pubsub, config.pageCacheSeconds * 1000),
    limiters: {
      authIp: limit('auth-ip', config.rateLimitAuthPerMin, 60),
      authAccount: limit('auth-account', config.rateLimitAuthPerMin, 60),
      loginFailures: limit('login-failures', config.loginMaxFailures, config.loginLockoutSeconds, config.loginLockoutSeconds),
      api: limit('api', config.rateLimitApiPerMin, 60),
    },
  };
  // The composition root (src/modules/services.ts): every module's services, once per instance.
  const services = buildServices(infra);
  // Cached pages show names: a write to a user (identity publishes every one) drops the pages
  // showing that user's name, on every instance (each receives the message).
  await infra.pageCache.listen();
  const stopNameWatch = await pubsub.subscribe(IDENTITY_CHANGED_CHANNEL, (message) => {
    const userId = (message as { userId?: unknown }).userId;
    if (typeof userId === 'string') infra.pageCache.invalidateLocal([`user:${userId}`]);
  });
  const authenticator = new Authenticator(tokens, services.identity.resolveSession, config.auth);
  const ctx: AppContext = { ...infra, authenticator, services };
  app.decorate('ctx', ctx);

  // Shutdown drain. Fastify answers requests that arrive once close() has begun with 503 and
  // `Connection: close`, but a request already in flight would get `keep-alive`, and Node's
  // server.close() reaps idle sockets only once, at its start: the client's socket would stay
  // open for the whole keep-alive timeout and the process be killed mid-drain. So while
  // draining, replies say `Connection: close` (Node then ends the socket after the reply), and
  // a socket whose reply had already gone out is closed as soon as it is idle.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
    serializers.stop();
    validators.stop();
    app.log.info('draining: new requests get 503, every reply closes its connection');
  });
  // Hooks every request passes are callback-style: no promise and microtask per request.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  if (config.env === 'test') {
    // Safety net for the whole suite: a reply that carries a password hash or a stored token
    // hash fails the test that caused it, whichever module it comes from.
    app.addHook('onSend', async (request, _reply, payload) => {
      if (typeof payload === 'string' && /\$argon2|"(password_hash|token_hash)"/.test(payload)) {
        throw new Error(`Secret material in the reply to ${request.method} ${request.url}`);
      }
      return payload;
    });
  }
  // One access-log line per request: the route pattern (not the URL, whose query may hold
  // names or tokens), status, latency and the user id — never bodies or PHI. Without pino's
  // redaction, and written in blocks in production (platform/logger.ts).
  const accessLog = accessLogger(config, app.log);
  app.addHook('onResponse', (request, reply, done) => {
    if (draining) setImmediate(() => app.server.closeIdleConnections());
    accessLog.info(
      {
        req_id: request.id,
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        latency_ms: Math.round(reply.elapsedTime * 10) / 10,
        user_id: request.actor?.id,
      },
      'request completed',
    );
    done();
  });

  // JSON routes take JSON only (docs/API.md §0): without this Fastify would also parse text/plain
  // bodies and answer 422 instead of 415. Multipart and the login form add their own parsers.
  app.removeContentTypeParser('text/plain');
  // No text column can hold a NUL character, and no legitimate client sends one: refuse it
  // at the door (400) instead of letting it reach the database. Otherwise Fastify's own
  // parser (prototype-poisoning safe) does the work.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).includes('\\u0000')) {
      done(new BadRequestError('The request body contains a NUL character (\\u0000), which is not accepted.'), undefined);
      return;
    }
    parseJson(request, body as string, done);
  });
  registerProblemHandlers(app);
  await registerEdge(app);
  app.addSchema(ProblemSchema);
  registerAuth(app, authenticator, ctx.limiters.api);
  const registry = registerMetrics(app, database);
  await registerDocs(app);

  const modules: AppModule[] = [identityModule, ...featureModules];
  await app.register(
    async (api) => {
      for (const module of modules) await module.routes(api, ctx);
    },
    { prefix: '/api/v1' },
  );
  for (const module of modules) await module.rootRoutes?.(app, ctx);
  for (const module of modules) module.metrics?.(ctx, registry);
  await systemRoutes(
    app,
    ctx,
    registry,
    modules.flatMap((module) => module.readiness?.(ctx) ?? []),
  );
  // The web portal at `/` (docs/API.md §10): after every other route, its page fallback is the last match.
  await registerPortal(app);
  await app.ready();

  let started = false;
  return {
    app,
    ctx,
    modules,
    inFlight,
    async start() {
      const lines: string[] = [];
      if (config.adminEmail && config.adminPassword) {
        await services.identity.identity.ensureAdmin(config.adminEmail, config.adminPassword);
        lines.push(`admin    ${config.adminEmail.padEnd(34)} (ADMIN_PASSWORD)`);
      }
      if (config.seedDemo) {
        for (const module of modules) {
          const out = await module.seedDemo?.(ctx);
          if (out) lines.push(...out);
        }
      }
      for (const module of modules) await module.start?.(ctx);
      started = true;
      return lines;
    },
    warmUp() {
      for (const module of modules) module.warmUp?.(ctx);
      void serializers
        .warm((err) => app.log.error({ err }, 'a response schema does not compile'))
        .then(() => validators.warm((err) => app.log.error({ err }, 'a request schema does not compile')));
    },
    async close() {
      // Stop accepting and drain first (in-flight requests may still need background
      // services and the database), then stop the modules' background work.
      await app.close();
      // app.close() resolves when the last connection is gone, but a handler whose client
      // disconnected mid-request still runs (awaiting its query or audit write): let it finish
      // before the database closes, or its audit row is lost ("driver has already been destroyed").
      if (!(await inFlight.idle(5_000))) app.log.warn({ running: inFlight.count }, 'shutdown: handlers still running after 5 s; closing anyway');
      if (started) for (const module of [...modules].reverse()) await module.stop?.(ctx);
      // Reads' audit rows still queued in the group commit (sockets, jobs) are written first.
      await services.audit.drain();
      await stopNameWatch();
      await ctx.pageCache.close();
      await pubsub.close();
      redis?.disconnect();
      subscriber?.disconnect();
      await database?.close();
    },
  };
}
