import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { publicAccess } from '../../platform/http/auth.js';
import { problemResponses } from '../../platform/http/schemas.js';
import { LoginReplySchema } from './identity.schemas.js';
import type { OidcService } from './oidc.service.js';
import type { TokenPair, MfaRequired } from './identity.service.js';
import { clientInfo } from './auth.routes.js';

const tags = ['auth'];
const ProviderParams = Type.Object({ provider: Type.String({ minLength: 1, maxLength: 31, pattern: '^[a-z0-9][a-z0-9-]*$' }) });
const CallbackQuery = Type.Object({
  code: Type.Optional(Type.String({ maxLength: 4096 })),
  state: Type.Optional(Type.String({ maxLength: 512 })),
  error: Type.Optional(Type.String({ maxLength: 256 })),
  error_description: Type.Optional(Type.String({ maxLength: 1024 })),
  session_state: Type.Optional(Type.String({ maxLength: 512 })),
  iss: Type.Optional(Type.String({ maxLength: 512 })),
});

/** External sign-in with OpenID Connect providers (docs/API.md §1.1). */
export async function oidcRoutes(root: FastifyInstance, oidc: OidcService, postLoginUrl: string): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/auth/oidc/:provider/login', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'Start signing in with an external provider: 302 to it (PKCE, state, nonce)',
      params: ProviderParams,
      response: { 302: Type.Null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const flow = await oidc.start(request.params.provider, clientInfo(request));
      setBindingCookie(reply, oidc.callbackUrl(request.params.provider), flow.state, flow.binding, oidc.flowSeconds);
      return reply.redirect(flow.url, 302);
    },
  });

  app.get('/auth/oidc/:provider/callback', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: "The provider's redirect back: our token pair (or an mfa_token), in the portal URL's fragment, or as JSON with Accept: application/json",
      params: ProviderParams,
      querystring: CallbackQuery,
      response: { 200: LoginReplySchema, 302: Type.Null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      const { state } = request.query;
      const binding = state ? readCookie(request.headers.cookie, cookieName(state)) : undefined;
      // The cookie has done its work whatever the outcome: clear it.
      if (state) setBindingCookie(reply, oidc.callbackUrl(request.params.provider), state, '', 0);
      const result = await oidc.callback(request.params.provider, request.query, binding, clientInfo(request));
      if (/application\/json/.test(request.headers.accept ?? '')) return result;
      // A fragment never reaches servers or logs on the way to the portal.
      return reply.redirect(`${postLoginUrl}#${fragment(result)}`, 302);
    },
  });
}

/**
 * Login CSRF (RFC 9700 §4.7.1, review M7): the state alone proves the flow is ours, not that
 * the browser bringing the code back is the one that started it. Each flow sets a cookie
 * named after its state (so two tabs signing in at once do not overwrite each other) holding
 * a random value whose hash is stored with the flow; the callback must bring it back.
 * HttpOnly; Secure when the callback is https; SameSite=Lax, so it comes back on the
 * provider's top-level GET redirect (a form_post response mode would need None); Path is the
 * callback's own path; it lives as long as the flow.
 */
function cookieName(state: string): string {
  return `cb_oidc_${createHash('sha256').update(state).digest('hex').slice(0, 16)}`;
}

function setBindingCookie(reply: FastifyReply, callbackUrl: URL, state: string, value: string, maxAgeSeconds: number): void {
  const attributes = [`Path=${callbackUrl.pathname}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax'];
  if (callbackUrl.protocol === 'https:') attributes.push('Secure');
  const cookie = [`${cookieName(state)}=${value}`, ...attributes].join('; ');
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('set-cookie', [...list, cookie]);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

function fragment(result: TokenPair | MfaRequired): string {
  if ('mfa_required' in result) {
    return new URLSearchParams({
      mfa_required: 'true',
      mfa_token: result.mfa_token,
      methods: result.methods.join(','),
      enrolment_required: String(result.enrolment_required),
    }).toString();
  }
  return new URLSearchParams({
    access_token: result.access_token,
    refresh_token: result.refresh_token,
    token_type: result.token_type,
    expires_in: String(result.expires_in),
  }).toString();
}
