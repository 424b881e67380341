import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { AppContext } from '../../platform/context.js';
import { sendProblem } from '../../platform/http/problem.js';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** Operational endpoints at the root (docs/API.md §0, §8). */
export async function systemRoutes(app: FastifyInstance, ctx: AppContext, registry: Registry, extraChecks: ReadinessCheck[]): Promise<void> {
  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/ready', { schema: { hide: true } }, async (request, reply) => {
    const checks: ReadinessCheck[] = [{ name: 'database', check: () => ctx.database.ping() }];
    if (ctx.redis) {
      const redis = ctx.redis;
      checks.push({ name: 'redis', check: async () => void (await redis.ping()) });
    }
    checks.push(...extraChecks);
    const results: Record<string, 'ok' | 'failing'> = {};
    await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await Promise.race([check(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
          results[name] = 'ok';
        } catch (err) {
          request.log.warn({ err, dependency: name }, 'readiness check failed');
          results[name] = 'failing';
        }
      }),
    );
    const failing = Object.entries(results)
      .filter(([, v]) => v === 'failing')
      .map(([k]) => k);
    if (failing.length) {
      return sendProblem(reply, request, 503, 'Service Unavailable', `Not ready: ${failing.join(', ')} failing.`, { code: 'not-ready' });
    }
    return { status: 'ready', checks: results };
  });

  // Public keys of asymmetric access tokens, for services that verify them (SSO-ready).
  app.get('/.well-known/jwks.json', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('cache-control', 'public, max-age=300');
    return ctx.tokens.jwks;
  });

  // /metrics can be restricted by configuration (issue 11): METRICS_ALLOW_IPS (client
  // addresses) and/or METRICS_TOKEN (a bearer token for the scraper).
  const { token, allowIps } = ctx.config.metrics;
  const expected = token ? createHash('sha256').update(token).digest() : null;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (allowIps.length && !allowIps.includes(request.ip)) return sendProblem(reply, request, 404, 'Not Found', `No route GET /metrics.`);
    if (expected) {
      const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!given || !timingSafeEqual(createHash('sha256').update(given).digest(), expected)) {
        return sendProblem(reply, request, 401, 'Unauthorized', 'GET /metrics needs the METRICS_TOKEN as a bearer token.', {
          headers: { 'www-authenticate': 'Bearer' },
        });
      }
    }
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
