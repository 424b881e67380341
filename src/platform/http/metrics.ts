import type { FastifyInstance } from 'fastify';
import { Registry, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';
import type { DatabaseHandle } from '../database/index.js';
import { registerJobMetrics } from '../jobs/metrics.js';

/**
 * Prometheus metrics: request count and latency by route pattern (not raw URL, which
 * would explode cardinality), database pool use, the job queue (per queue and state, and
 * pickup lag; src/platform/jobs/metrics.ts) and the default process metrics (event-loop
 * lag, heap, GC). Modules add their own through `AppModule.metrics` (app.ts). One registry
 * per app instance so tests don't share state.
 */
export function registerMetrics(app: FastifyInstance, database: DatabaseHandle): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const pool = new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = database.poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  void pool;
  registerJobMetrics(registry, database.db, app.log);

  // Callback form, not async: it runs on every request, and an async hook costs a promise and
  // a microtask turn each (docs/BENCHMARKS.md, "Read paths").
  // One labelled child per method/route/status, looked up by a flat key: prom-client would
  // otherwise hash the label object on every observation.
  const children = new Map<string, { observe(value: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = children.get(key);
    if (!child) children.set(key, (child = duration.labels({ method: request.method, route, status_code: String(reply.statusCode) })));
    child.observe(reply.elapsedTime / 1000);
    done();
  });
  return registry;
}
