import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';

/**
 * /openapi.json is generated from the same TypeBox schemas that validate requests, so
 * the document can't drift from the behaviour. /docs is Swagger UI (with Authorize for
 * a bearer token or the OAuth2 password form); /redoc serves ReDoc from node_modules.
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CareBridge API',
        version: '1.0.0',
        description:
          'Clinic and telehealth backend. Errors are application/problem+json (RFC 9457). ' +
          'Lists use `?limit=` and `?cursor=` and reply `{items, next_cursor}`.',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          oauth2: { type: 'oauth2', flows: { password: { tokenUrl: '/api/v1/auth/login', scopes: {} } } },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  // Tokens entered under Authorize live in the page only: not persisted to localStorage (issue 11).
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: false } });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const require = createRequire(import.meta.url);
  const redocBundle = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'));
  app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/javascript').header('cache-control', 'public, max-age=86400').send(redocBundle),
  );
  app.get('/redoc', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/html')
      .send(
        '<!doctype html><html><head><title>CareBridge API — ReDoc</title><meta charset="utf-8"/>' +
          '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>' +
          '<redoc spec-url="/openapi.json"></redoc><script src="/redoc/redoc.standalone.js"></script></body></html>',
      ),
  );
}
