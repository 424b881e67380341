import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { bearerToken, rolesAllowed, type Authenticator } from '../../platform/http/auth.js';
import { problemResponses } from '../../platform/http/schemas.js';
import { requestMeta } from '../audit/index.js';
import { AssistantBody, AssistantReplySchema } from './assistants.schemas.js';
import type { AssistantsService } from './assistants.service.js';

const tags = ['assistants'];

/** docs/API.md §7.3: one route per role; the other role gets 403 from the access rule. */
export async function assistantsRoutes(root: FastifyInstance, service: AssistantsService, authenticator: Pick<Authenticator, 'requireStepUp'>): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(AssistantReplySchema);
  const response = { 200: Type.Ref('AssistantReply'), ...problemResponses };

  app.post('/chat/patient', {
    config: { access: rolesAllowed('patient') },
    schema: {
      tags,
      summary: 'Patient assistant: book, view, move or cancel appointments, find doctors, prescriptions, records, lab results',
      body: AssistantBody,
      response,
    },
    handler: async (request) => service.converse(requestMeta(request), 'patient', request.body),
  });

  app.post('/chat/doctor', {
    config: { access: rolesAllowed('doctor') },
    schema: {
      tags,
      summary: 'Doctor assistant: schedule, patients, history, prescriptions, diagnoses and notes, availability, urgent patients',
      body: AssistantBody,
      response,
    },
    handler: async (request) => service.converse(requestMeta(request), 'doctor', request.body, () => authenticator.requireStepUp(bearerToken(request) ?? '')),
  });
}
