import type { FastifyInstance } from 'fastify';
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
    handler: async (request, reply) => reply.redirect(await oidc.start(request.params.provider, clientInfo(request)), 302),
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
      const result = await oidc.callback(request.params.provider, request.query, clientInfo(request));
      if (/application\/json/.test(request.headers.accept ?? '')) return result;
      // A fragment never reaches servers or logs on the way to the portal.
      return reply.redirect(`${postLoginUrl}#${fragment(result)}`, 302);
    },
  });
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
