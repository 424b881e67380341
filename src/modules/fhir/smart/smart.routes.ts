import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUser, publicAccess } from '../../../platform/http/auth.js';
import { PROBLEM_BASE } from '../../../platform/http/problem.js';
import { problemResponses } from '../../../platform/http/schemas.js';
import { baseOf } from '../fhir.routes.js';
import { OAuthError, type SmartService } from './smart.service.js';

const AuthorizeBody = Type.Object(
  {
    response_type: Type.String({ maxLength: 32 }),
    client_id: Type.String({ minLength: 1, maxLength: 64 }),
    redirect_uri: Type.String({ minLength: 1, maxLength: 2000 }),
    scope: Type.String({ maxLength: 2000 }),
    state: Type.String({ maxLength: 512 }),
    aud: Type.String({ maxLength: 2000 }),
    code_challenge: Type.String({ maxLength: 128 }),
    code_challenge_method: Type.String({ maxLength: 16 }),
    launch: Type.Optional(Type.String({ maxLength: 128, description: 'EHR launch: the launch id the app received with iss.' })),
  },
  { additionalProperties: false, description: 'The query the app sent to /oauth/authorize, as the consent page received it.' },
);

const Preview = Type.Object({
  client_id: Type.String(),
  client_name: Type.String(),
  scopes: Type.Array(Type.String(), { description: 'What the app would be granted (the request cut down to what the app and this user may hold).' }),
  patient: Type.Union([Type.String(), Type.Null()], {
    description: 'Patient context: the signed-in patient (launch/patient), or the patient of an EHR launch.',
  }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'An OAuth error the app will receive whatever the user decides.' }),
  error_description: Type.Union([Type.String(), Type.Null()]),
});

/** /api/v1/smart/*: what the portal's consent page calls for the signed-in user. */
export async function smartApiRoutes(root: FastifyInstance, smart: SmartService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/smart/authorize/preview', {
    config: { access: anyUser },
    schema: {
      tags: ['fhir'],
      summary: 'What a SMART app asks for (consent page)',
      description:
        'Checks the authorisation request of a registered SMART app (SMART_CLIENTS) and says what it would be granted. docs/FHIR.md "SMART App Launch".',
      body: AuthorizeBody,
      response: { 200: Preview, ...problemResponses },
    },
    handler: async (request) => smart.preview(actorOf(request), request.body, baseOf(request)),
  });
  app.post('/smart/launch', {
    config: { access: anyUser },
    schema: {
      tags: ['fhir'],
      summary: 'Open a SMART app from the portal (EHR launch)',
      description:
        'For an app registered with a `launch_uri` (SMART_CLIENTS): answers the URL to open — the app’s launch URI with `iss` (this FHIR base) and a single-use `launch` id valid five minutes. With `patient`, the launch carries that patient as context (a patient may name only themselves; a clinician a patient they may see, 404 otherwise). The app then sends the user to /oauth/authorize with `launch` and the `launch` scope; the token response names the patient. docs/FHIR.md "EHR launch".',
      body: Type.Object(
        {
          client_id: Type.String({ minLength: 1, maxLength: 64 }),
          patient: Type.Optional(Type.String({ format: 'uuid', description: 'The patient in context (a patient: themselves, the default).' })),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Object({ launch: Type.String(), launch_url: Type.String() }), ...problemResponses },
    },
    handler: async (request) => smart.createLaunch(actorOf(request), request.body, baseOf(request)),
  });
  app.post('/smart/authorize', {
    config: { access: anyUser },
    schema: {
      tags: ['fhir'],
      summary: "The user's decision on a SMART app's request",
      description:
        'With `approve: true`, issues a single-use authorisation code (one minute) and answers where to send the browser: the app’s registered redirect URI with `code` and `state`, or with an OAuth `error` (access_denied when the user declines).',
      body: Type.Object({ ...AuthorizeBody.properties, approve: Type.Boolean() }, { additionalProperties: false }),
      response: { 200: Type.Object({ redirect_to: Type.String() }), ...problemResponses },
    },
    handler: async (request) => {
      const { approve, ...query } = request.body;
      return smart.authorize(actorOf(request), query, approve, baseOf(request));
    },
  });
}

/** /oauth/authorize (the browser's entry: the portal's consent page) and /oauth/token (the app's back channel). */
export async function smartOAuthRoutes(app: FastifyInstance, smart: SmartService): Promise<void> {
  // RFC 6749 token requests are form-encoded.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get('/oauth/authorize', { config: { access: publicAccess }, schema: { hide: true } }, async (request, reply) => {
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    return reply.redirect(`/smart/authorize${query}`, 302);
  });

  app.post('/oauth/token', { config: { access: publicAccess }, schema: { hide: true } }, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
    const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
    try {
      return await smart.token(
        {
          grant_type: field('grant_type'),
          code: field('code'),
          redirect_uri: field('redirect_uri'),
          client_id: field('client_id'),
          code_verifier: field('code_verifier'),
          refresh_token: field('refresh_token'),
          scope: field('scope'),
          client_assertion_type: field('client_assertion_type'),
          client_assertion: field('client_assertion'),
          authorization: request.headers.authorization,
        },
        baseOf(request),
        { ip: request.ip, userAgent: request.headers['user-agent'] ?? null },
      );
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      for (const [name, value] of Object.entries(err.headers)) reply.header(name, value);
      // problem+json like every error here, plus the RFC 6749 §5.2 members OAuth clients read.
      return reply
        .code(err.status)
        .type('application/problem+json')
        .send({
          type: `${PROBLEM_BASE}${err.oauthError.replace(/_/g, '-')}`,
          title: err.title,
          status: err.status,
          detail: err.detail,
          instance: '/oauth/token',
          error: err.oauthError,
          error_description: err.detail,
        });
    }
  });
}
