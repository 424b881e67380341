import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUserEvenPending, publicAccess } from '../../platform/http/auth.js';
import { problemResponses } from '../../platform/http/schemas.js';
import { ValidationError } from '../../platform/errors.js';
import {
  AcceptedSchema,
  ChangePasswordBody,
  ForgotPasswordBody,
  LoginBody,
  LoginReplySchema,
  LogoutBody,
  LogoutQuery,
  RefreshBody,
  RegisterBody,
  ResetPasswordBody,
  TokenPairSchema,
  UpdateMeBody,
} from './identity.schemas.js';
import type { ClientInfo, IdentityService } from './identity.service.js';
import type { MfaService } from './mfa.service.js';

const tags = ['auth'];

export function clientInfo(request: FastifyRequest): ClientInfo {
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
}

export async function authRoutes(root: FastifyInstance, identity: IdentityService, mfa: Pick<MfaService, 'confirmEndingOtherSessions'>): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/auth/register', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'Create an account (patients are active at once; doctors and nurses wait for approval)',
      body: RegisterBody,
      response: { 201: Type.Ref('User'), ...problemResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await identity.register(request.body, clientInfo(request))),
  });

  // Login takes JSON or the OAuth2 password form, so Swagger UI's "Authorize" works.
  // The form parser is registered in this encapsulated scope only: every other route stays JSON-only.
  await app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.withTypeProvider<TypeBoxTypeProvider>().post('/auth/login', {
      config: { access: publicAccess },
      schema: {
        tags,
        summary: 'Sign in with email or username and password (or mfa_required when a second factor is due)',
        body: LoginBody,
        response: { 200: LoginReplySchema, ...problemResponses },
      },
      handler: async (request) => {
        const identifier = request.body.email ?? request.body.username;
        if (!identifier) throw new ValidationError('Give an email or a username.', [{ path: '/email', message: 'email or username is required' }]);
        return identity.login(identifier, request.body.password, clientInfo(request));
      },
    });
  });

  app.post('/auth/refresh', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'Exchange a refresh token for a new pair (rotation; reuse ends the session)',
      body: RefreshBody,
      response: { 200: TokenPairSchema, ...problemResponses },
    },
    handler: async (request) => identity.refresh(request.body.refresh_token, clientInfo(request)),
  });

  app.post('/auth/logout', {
    config: { access: anyUserEvenPending },
    schema: {
      tags,
      summary:
        'End this session, the session of a refresh token, or all sessions (?all=true: needs a recent factor, a second factor within 10 minutes or, without one, a sign-in within 10 minutes or `password`)',
      body: LogoutBody,
      querystring: LogoutQuery,
      response: { 204: Type.Null(), ...problemResponses },
    },
    // The body is optional: a bare POST ends the current session.
    preValidation: async (request) => {
      request.body ??= {};
    },
    handler: async (request, reply) => {
      // Ending every session ends the others too: that needs a recent factor (mfa.service.ts).
      if (request.query.all) await mfa.confirmEndingOtherSessions(actorOf(request), request.body?.password);
      await identity.logout(actorOf(request), { refreshToken: request.body?.refresh_token, all: request.query.all });
      return reply.code(204).send(null);
    },
  });

  for (const path of ['/auth/me', '/auth/profile']) {
    app.get(path, {
      config: { access: anyUserEvenPending },
      schema: { tags, summary: 'The signed-in user', response: { 200: Type.Ref('User'), ...problemResponses } },
      handler: async (request) => identity.me(actorOf(request)),
    });
    app.patch(path, {
      config: { access: anyUserEvenPending },
      schema: { tags, summary: 'Update own name, phone, username or time zone', body: UpdateMeBody, response: { 200: Type.Ref('User'), ...problemResponses } },
      handler: async (request) => identity.updateMe(actorOf(request), request.body),
    });
  }
  // Seed 002 spells the update as PUT.
  app.put('/auth/me', {
    config: { access: anyUserEvenPending },
    schema: { tags, summary: 'Update own profile (alias of PATCH)', body: UpdateMeBody, response: { 200: Type.Ref('User'), ...problemResponses } },
    handler: async (request) => identity.updateMe(actorOf(request), request.body),
  });

  app.post('/auth/password', {
    config: { access: anyUserEvenPending },
    schema: { tags, summary: 'Change own password (ends all other sessions)', body: ChangePasswordBody, response: { 204: Type.Null(), ...problemResponses } },
    handler: async (request, reply) => {
      await identity.changePassword(actorOf(request), request.body.current_password, request.body.new_password);
      return reply.code(204).send(null);
    },
  });

  app.post('/auth/password/forgot', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'Email a single-use reset link (same reply whether or not the account exists)',
      body: ForgotPasswordBody,
      response: { 202: AcceptedSchema, ...problemResponses },
    },
    handler: async (request, reply) => {
      await identity.forgotPassword(request.body.email, clientInfo(request));
      return reply.code(202).send({ detail: 'If an account exists for that email, a reset link is on its way.' });
    },
  });

  app.post('/auth/password/reset', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'Set a new password with a reset token (ends all sessions)',
      body: ResetPasswordBody,
      response: { 204: Type.Null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      await identity.resetPassword(request.body.token, request.body.new_password, clientInfo(request));
      return reply.code(204).send(null);
    },
  });
}
