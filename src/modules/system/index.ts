/**
 * Operational endpoints outside /api/v1 (/health, /ready, /metrics, the API root). Not an
 * AppModule: app.ts registers them at the root, with the metrics registry and every module's
 * readiness checks.
 */
export { systemRoutes } from './system.routes.js';
