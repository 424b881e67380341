import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUserEvenPending, publicAccess } from '../../platform/http/auth.js';
import { problemResponses } from '../../platform/http/schemas.js';
import {
  EndSessionBody,
  MfaVerifyBody,
  SessionListSchema,
  SessionRef,
  StepUpBody,
  TokenPairSchema,
  TotpConfirmBody,
  TotpConfirmReply,
  TotpDeleteBody,
  TotpSetupBody,
  TotpSetupReply,
} from './identity.schemas.js';
import type { MfaService } from './mfa.service.js';
import { clientInfo } from './auth.routes.js';

const tags = ['auth'];

/** Second factors, step-up and sessions (docs/API.md §1.1). */
export async function mfaRoutes(root: FastifyInstance, mfa: MfaService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  // Setup and confirm are open to two callers: a signed-in user (bearer token; setup asks for
  // the password again), and an account that must enrol before it may sign in (its
  // enrolment `mfa_token` from POST /auth/login). Hence public access with the check inside.
  app.post('/auth/mfa/totp/setup', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'Start setting up an authenticator app (TOTP): secret, otpauth URI and QR code',
      description: 'Signed in: send `password`. Enrolling at sign-in: send the enrolment `mfa_token` instead. Nothing is active until confirmed.',
      body: TotpSetupBody,
      response: { 200: TotpSetupReply, ...problemResponses },
    },
    handler: async (request) => mfa.setupTotp({ actor: request.actor, mfaToken: request.body.mfa_token, password: request.body.password }, clientInfo(request)),
  });

  app.post('/auth/mfa/totp/confirm', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'Confirm the authenticator app with a first code: 10 recovery codes (shown once) and a token pair with amr otp',
      body: TotpConfirmBody,
      response: { 200: TotpConfirmReply, ...problemResponses },
    },
    handler: async (request) => mfa.confirmTotp({ actor: request.actor, mfaToken: request.body.mfa_token }, request.body.code, clientInfo(request)),
  });

  app.delete('/auth/mfa/totp', {
    config: { access: anyUserEvenPending },
    schema: {
      tags,
      summary: 'Remove the authenticator app (password and a current code)',
      body: TotpDeleteBody,
      response: { 204: Type.Null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      await mfa.deleteTotp(actorOf(request), request.body.password, request.body.code);
      return reply.code(204).send(null);
    },
  });

  app.post('/auth/mfa/verify', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'Complete a sign-in that answered mfa_required: a TOTP code, a recovery code or a passkey assertion',
      body: MfaVerifyBody,
      response: { 200: TokenPairSchema, ...problemResponses },
    },
    handler: async (request) => {
      const { mfa_token, ...proof } = request.body;
      return mfa.verify(mfa_token, proof, clientInfo(request));
    },
  });

  app.post('/auth/mfa/step-up', {
    config: { access: anyUserEvenPending },
    schema: {
      tags,
      summary:
        'Prove a second factor now: a new token pair for this session whose amr includes it (prescribing, role changes, exports need one within 10 minutes)',
      description: 'For a passkey, get a challenge first with POST /auth/webauthn/login/options while signed in.',
      body: StepUpBody,
      response: { 200: TokenPairSchema, ...problemResponses },
    },
    handler: async (request) => mfa.stepUp(actorOf(request), request.body),
  });

  app.get('/auth/sessions', {
    config: { access: anyUserEvenPending },
    schema: {
      tags,
      summary: "The caller's active sessions (device, IP, created, last used, current)",
      response: { 200: SessionListSchema, ...problemResponses },
    },
    handler: async (request) => mfa.listSessions(actorOf(request)),
  });

  app.delete('/auth/sessions/:id', {
    config: { access: anyUserEvenPending },
    schema: {
      tags,
      summary:
        'End one of your sessions (its tokens and sockets stop at once). Another than the current one needs a recent factor: a second factor within 10 minutes (401 step-up-required) or, without one, a sign-in within 10 minutes or `password` in the body',
      params: SessionRef,
      body: EndSessionBody,
      response: { 204: Type.Null(), ...problemResponses },
    },
    // The body is optional.
    preValidation: async (request) => {
      request.body ??= {};
    },
    handler: async (request, reply) => {
      await mfa.revokeSession(actorOf(request), request.params.id, request.body?.password);
      return reply.code(204).send(null);
    },
  });
}
