import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { anyUser, publicAccess } from '../../platform/http/auth.js';
import { AppError } from '../../platform/errors.js';
import { requestMeta } from '../audit/index.js';
import type { FhirService } from './fhir.service.js';
import { FhirError, outcome, type IssueCode } from './outcome.js';
import { queryOf } from './search.js';
import { scopesAllow, type Interaction } from './smart/scopes.js';
import type { SmartService } from './smart/smart.service.js';

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const TYPE_PATTERN = '^[A-Z][A-Za-z]{1,63}$';
const ISSUE_BY_STATUS: Record<number, IssueCode> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  406: 'not-supported',
  409: 'conflict',
  412: 'conflict',
  413: 'too-costly',
  415: 'not-supported',
  422: 'processing',
  429: 'throttled',
};
const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json']);

function sendOutcome(reply: FastifyReply, status: number, code: IssueCode, diagnostics: string, expression?: string) {
  return reply
    .code(status)
    .type(FHIR_JSON)
    .send(outcome(status >= 500 ? 'fatal' : 'error', code, diagnostics, expression));
}

/**
 * This server as the client reached it (scheme and Host, through a trusted proxy's
 * X-Forwarded-* when TRUST_PROXY is set): Bundle links and fullUrls must work for that client.
 */
export function baseOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/**
 * /fhir/R4 (docs/API.md §9, docs/FHIR.md). Its own scope: FHIR content type and every error as
 * an OperationOutcome. The routes are left out of /openapi.json (whose errors are problem+json);
 * the CapabilityStatement is the FHIR-native description of this API.
 */
/**
 * A SMART app's token carries the scopes the user granted (src/modules/fhir/smart/scopes.ts); the
 * user's own access rules still apply underneath, so a scope only ever narrows what the user could do.
 */
function requireScope(request: FastifyRequest, type: string, interaction: Interaction): void {
  const app = request.actor?.app;
  if (app && !scopesAllow(app.scopes, type, interaction))
    throw new FhirError(
      403,
      'forbidden',
      `This app was not granted ${{ c: 'create', s: 'search', u: 'update', d: 'delete', r: 'read' }[interaction]} access to ${type} (scopes: ${app.scopes.join(' ')}).`,
    );
}

export async function fhirRoutes(app: FastifyInstance, fhir: FhirService, metadata: () => unknown, smart: SmartService): Promise<void> {
  app.addContentTypeParser('application/fhir+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof FhirError) return sendOutcome(reply, error.status, error.issueCode, error.diagnostics, error.expression);
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers ?? {})) reply.header(name, value);
      return sendOutcome(reply, error.status, ISSUE_BY_STATUS[error.status] ?? 'processing', error.detail);
    }
    if (error.validation)
      return sendOutcome(
        reply,
        error.validationContext === 'params' ? 404 : 400,
        error.validationContext === 'params' ? 'not-found' : 'invalid',
        `The ${error.validationContext ?? 'request'} is not valid: ${error.message}`,
      );
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendOutcome(reply, status, ISSUE_BY_STATUS[status] ?? 'invalid', error.message);
    request.log.error({ err: error }, 'unhandled error in the FHIR API');
    return sendOutcome(reply, 500, 'exception', 'Something went wrong on our side. The x-request-id header identifies it in our logs.');
  });
  app.setNotFoundHandler((request, reply) =>
    sendOutcome(
      reply,
      404,
      'not-supported',
      `No FHIR interaction ${request.method} ${request.url.split('?')[0]}; GET /fhir/R4/metadata lists what is supported.`,
    ),
  );

  // Only JSON is spoken: `_format` or an Accept that rules JSON out is a 406, as FHIR R4 §3.1.0.1.9 asks.
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const format = (request.query as Record<string, unknown>)?._format;
    if (typeof format === 'string' && !JSON_FORMATS.has(format.split(';')[0]!.trim()))
      throw new FhirError(406, 'not-supported', `_format=${format}: only JSON (application/fhir+json) is supported.`, '_format');
    const accept = request.headers.accept;
    if (accept && !/(^|,)\s*(\*\/\*|application\/(\*|json|fhir\+json))/.test(accept))
      throw new FhirError(406, 'not-supported', 'Only application/fhir+json (or application/json) is available.');
  });

  const hide = true;
  app.get('/metadata', { config: { access: publicAccess }, schema: { hide } }, async (_request, reply) => reply.type(FHIR_JSON).send(metadata()));
  // SMART App Launch 2.0 discovery (https://hl7.org/fhir/smart-app-launch/conformance.html).
  app.get('/.well-known/smart-configuration', { config: { access: publicAccess }, schema: { hide } }, async (request, reply) =>
    reply.type('application/json').send(smart.configuration(baseOf(request))),
  );

  app.get<{ Params: { type: string; id: string } }>(
    '/:type/:id',
    {
      config: { access: anyUser, appTokens: true },
      schema: {
        hide,
        params: {
          type: 'object',
          properties: { type: { type: 'string', pattern: TYPE_PATTERN }, id: { type: 'string', maxLength: 64 } },
          required: ['type', 'id'],
        },
      },
    },
    async (request, reply) => {
      requireScope(request, request.params.type, 'r');
      const resource = await fhir.read(requestMeta(request), request.params.type, request.params.id, baseOf(request));
      if (resource.meta?.versionId) reply.header('etag', `W/"${resource.meta.versionId}"`);
      if (resource.meta?.lastUpdated) reply.header('last-modified', new Date(resource.meta.lastUpdated).toUTCString());
      return reply.type(FHIR_JSON).send(resource);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/Patient/:id/$everything',
    {
      config: { access: anyUser, appTokens: true },
      schema: { hide, params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } },
    },
    async (request, reply) => {
      requireScope(request, 'Patient', 'r');
      const granted = request.actor?.app?.scopes;
      const bundle = await fhir.everything(requestMeta(request), request.params.id, baseOf(request), (type) => !granted || scopesAllow(granted, type, 's'));
      return reply.type(FHIR_JSON).send(bundle);
    },
  );

  app.get<{ Params: { type: string; id: string; vid: string } }>(
    '/:type/:id/_history/:vid',
    {
      config: { access: anyUser, appTokens: true },
      schema: {
        hide,
        params: {
          type: 'object',
          properties: { type: { type: 'string', pattern: TYPE_PATTERN }, id: { type: 'string', maxLength: 64 }, vid: { type: 'string', maxLength: 16 } },
          required: ['type', 'id', 'vid'],
        },
      },
    },
    async (request, reply) => {
      requireScope(request, request.params.type, 'r');
      const resource = await fhir.vread(requestMeta(request), request.params.type, request.params.id, request.params.vid);
      reply.header('etag', `W/"${request.params.vid}"`);
      return reply.type(FHIR_JSON).send(resource);
    },
  );

  app.post<{ Params: { type: string } }>(
    '/:type',
    {
      config: { access: anyUser, appTokens: true },
      schema: { hide, params: { type: 'object', properties: { type: { type: 'string', pattern: TYPE_PATTERN } }, required: ['type'] } },
    },
    async (request, reply) => {
      requireScope(request, request.params.type, 'c');
      const header = request.headers['if-none-exist'];
      const ifNoneExist = typeof header === 'string' ? { query: queryOf(`?${header.replace(/^[^?]*\?/, '')}`), base: baseOf(request) } : undefined;
      const { resource, created } = await fhir.create(requestMeta(request), request.params.type, request.body, ifNoneExist);
      return reply
        .code(created ? 201 : 200)
        .header('location', `${baseOf(request)}/fhir/R4/${resource.resourceType}/${resource.id}`)
        .type(FHIR_JSON)
        .send(resource);
    },
  );

  app.put<{ Params: { type: string; id: string } }>(
    '/:type/:id',
    {
      config: { access: anyUser, appTokens: true },
      schema: {
        hide,
        params: {
          type: 'object',
          properties: { type: { type: 'string', pattern: TYPE_PATTERN }, id: { type: 'string', maxLength: 64 } },
          required: ['type', 'id'],
        },
      },
    },
    async (request, reply) => {
      requireScope(request, request.params.type, 'u');
      // If-Match: W/"<versionId>" (the ETag of a read); a strong "<versionId>" is taken the same way.
      const header = request.headers['if-match'];
      const match = typeof header === 'string' ? /^\s*(?:W\/)?"([A-Za-z0-9\-.]{1,64})"\s*$/.exec(header) : null;
      if (typeof header === 'string' && !match) throw new FhirError(400, 'invalid', 'If-Match must be W/"<versionId>", the ETag of a read.');
      const resource = await fhir.update(requestMeta(request), request.params.type, request.params.id, request.body, match?.[1]);
      if (resource.meta?.versionId) reply.header('etag', `W/"${resource.meta.versionId}"`);
      if (resource.meta?.lastUpdated) reply.header('last-modified', new Date(resource.meta.lastUpdated).toUTCString());
      return reply.type(FHIR_JSON).send(resource);
    },
  );

  app.get<{ Params: { type: string } }>(
    '/:type',
    {
      config: { access: anyUser, appTokens: true },
      schema: { hide, params: { type: 'object', properties: { type: { type: 'string', pattern: TYPE_PATTERN } }, required: ['type'] } },
    },
    async (request, reply) => {
      requireScope(request, request.params.type, 's');
      // Strict unless the client asks otherwise: an unknown parameter silently dropped would answer a wider question.
      const strict = !/(^|[;,\s])handling=lenient\b/.test(String(request.headers.prefer ?? ''));
      const base = baseOf(request);
      const bundle = await fhir.search(requestMeta(request), request.params.type, queryOf(request.url), {
        strict,
        selfUrl: new URL(request.url, base).toString(),
        base,
      });
      // Included resources of a type the app may not read are left out (the matches were checked above).
      const granted = request.actor?.app?.scopes;
      if (granted && Array.isArray(bundle.entry))
        bundle.entry = bundle.entry.filter(
          (entry: { resource?: { resourceType?: string }; search?: { mode?: string } }) =>
            entry.search?.mode !== 'include' || scopesAllow(granted, entry.resource?.resourceType ?? '', 'r'),
        );
      return reply.type(FHIR_JSON).send(bundle);
    },
  );
}
