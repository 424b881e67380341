import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUserEvenPending, publicAccess } from '../../platform/http/auth.js';
import { problemResponses } from '../../platform/http/schemas.js';
import {
  PasskeyListSchema,
  PasskeyRenameBody,
  PasskeySchema,
  SessionRef,
  TokenPairSchema,
  WebauthnLoginOptionsBody,
  WebauthnLoginVerifyBody,
  WebauthnOptionsSchema,
  WebauthnRegisterOptionsBody,
  WebauthnRegisterVerifyBody,
} from './identity.schemas.js';
import type { WebauthnService } from './webauthn.service.js';
import { clientInfo } from './auth.routes.js';

const tags = ['auth'];

/** Passkeys (docs/API.md §1.1). */
export async function webauthnRoutes(root: FastifyInstance, passkeys: WebauthnService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.post('/auth/webauthn/register/options', {
    config: { access: anyUserEvenPending },
    schema: {
      tags,
      summary: 'Start registering a passkey (password required): options for navigator.credentials.create()',
      body: WebauthnRegisterOptionsBody,
      response: { 200: WebauthnOptionsSchema, ...problemResponses },
    },
    handler: async (request) => passkeys.registrationOptions(actorOf(request), request.body.password),
  });

  app.post('/auth/webauthn/register/verify', {
    config: { access: anyUserEvenPending },
    schema: {
      tags,
      summary: "Finish registering a passkey with the browser's attestation",
      body: WebauthnRegisterVerifyBody,
      response: { 201: PasskeySchema, ...problemResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await passkeys.register(actorOf(request), request.body.response, request.body.name)),
  });

  app.get('/auth/webauthn/credentials', {
    config: { access: anyUserEvenPending },
    schema: { tags, summary: 'Your passkeys', response: { 200: PasskeyListSchema, ...problemResponses } },
    handler: async (request) => passkeys.list(actorOf(request)),
  });

  app.patch('/auth/webauthn/credentials/:id', {
    config: { access: anyUserEvenPending },
    schema: { tags, summary: 'Rename a passkey', params: SessionRef, body: PasskeyRenameBody, response: { 200: PasskeySchema, ...problemResponses } },
    handler: async (request) => passkeys.rename(actorOf(request), request.params.id, request.body.name),
  });

  app.delete('/auth/webauthn/credentials/:id', {
    // Removing a factor needs a recent second factor (a stolen access token alone must not do it).
    config: { access: anyUserEvenPending, stepUp: true },
    schema: { tags, summary: 'Remove a passkey', params: SessionRef, response: { 204: Type.Null(), ...problemResponses } },
    handler: async (request, reply) => {
      await passkeys.remove(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  });

  app.post('/auth/webauthn/login/options', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'Options for navigator.credentials.get(): passwordless (no body), second factor of a sign-in (mfa_token) or step-up (bearer token)',
      body: WebauthnLoginOptionsBody,
      response: { 200: WebauthnOptionsSchema, ...problemResponses },
    },
    preValidation: async (request) => {
      request.body ??= {};
    },
    handler: async (request) => passkeys.authenticationOptions({ actor: request.actor, mfaToken: request.body?.mfa_token }, clientInfo(request)),
  });

  app.post('/auth/webauthn/login/verify', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'Passwordless sign-in with a passkey (user verification required): the normal login reply',
      body: WebauthnLoginVerifyBody,
      response: { 200: TokenPairSchema, ...problemResponses },
    },
    handler: async (request) => passkeys.login(request.body.response, clientInfo(request)),
  });
}
