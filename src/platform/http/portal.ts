import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { sendProblem } from './problem.js';

/** portal/dist at the repository root, from src/platform/http/ and from the built dist/platform/http/ alike. */
export const PORTAL_DIST = fileURLToPath(new URL('../../../portal/dist', import.meta.url));

/** Paths that are never a portal page: the API, its documents, and operational endpoints. */
const NOT_PAGES = /^\/(api|assets|docs|redoc|openapi\.json|health|ready|metrics|\.well-known)(\/|$)/;

/**
 * The web portal (docs/API.md §10), built by scripts/portal-build.mjs into portal/dist:
 *  - /assets/* are content-hashed files: cached for a year as immutable, served pre-compressed
 *    (.br/.gz written at build time) when the browser accepts it;
 *  - `/`, and every other GET that asks for HTML (a page of the single-page app, e.g.
 *    /appointments), gets index.html with `Cache-Control: no-cache`, so a new build is picked up
 *    on the next visit;
 *  - anything else (API paths, non-HTML requests) keeps the usual problem+json 404.
 * The security headers and CSP are the edge's (src/platform/http/edge.ts): the build has no inline
 * script, only same-origin files, so `script-src 'self'` holds. When portal/dist is missing the
 * pages answer 503 problem+json saying how to build it; the API is unaffected.
 */
export async function registerPortal(app: FastifyInstance, root = PORTAL_DIST): Promise<void> {
  const indexPath = join(root, 'index.html');
  const index = existsSync(indexPath) ? readFileSync(indexPath) : null;
  if (index) {
    await app.register(fastifyStatic, {
      root: join(root, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      preCompressed: true,
      // Hashed names: a changed file gets a new name, so a year and `immutable` are safe.
      maxAge: '365d',
      immutable: true,
    });
  }

  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    // `/` is the portal whatever the client asks for; other paths only for a browser asking for a page.
    if (path !== '/' && (NOT_PAGES.test(path) || !(request.headers.accept ?? '').includes('text/html'))) return reply.callNotFound();
    if (!index) {
      return sendProblem(
        reply,
        request,
        503,
        'Service Unavailable',
        'The web portal is not built: run `npm run build:portal` (`npm start` builds it when Vite is installed). The API under /api/v1 works.',
      );
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
  };
  app.get('/', { schema: { hide: true } }, page);
  app.get('/*', { schema: { hide: true } }, page);
}
