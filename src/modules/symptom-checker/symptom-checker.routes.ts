import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUser, publicAccess, rolesAllowed } from '../../platform/http/auth.js';
import { problemResponses, Uuid } from '../../platform/http/schemas.js';
import { PageQuery, pageOf } from '../../platform/http/pagination.js';
import { ApplyReply, ContinueBody, FeedbackBody, FeedbackReply, HistoryItem, InterviewReply, ModelOverview, StartBody } from './symptom-checker.schemas.js';
import type { SymptomCheckerService } from './symptom-checker.service.js';
import { listKnowledgeBase } from './index.js';
import { requestMeta } from '../audit/index.js';

const tags = ['symptom-checker'];

export async function symptomCheckerRoutes(root: FastifyInstance, service: SymptomCheckerService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(InterviewReply);
  const reply = { 200: Type.Ref('SymptomInterview'), ...problemResponses };

  app.post('/ml/symptom-checker/start', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Start an interview from age, sex, symptoms and/or free text',
      body: StartBody,
      response: { 201: Type.Ref('SymptomInterview'), ...problemResponses },
    },
    handler: async (request, res) => res.code(201).send(await service.start(requestMeta(request), request.body)),
  });

  app.post('/ml/symptom-checker/continue', {
    config: { access: anyUser },
    schema: { tags, summary: 'Answer the pending question; get the next one (or the result)', body: ContinueBody, response: reply },
    handler: async (request) => service.continue(requestMeta(request), request.body.session_id, request.body.answer),
  });

  app.get('/ml/symptom-checker/sessions/:id', {
    config: { access: anyUser },
    schema: { tags, summary: 'One of your sessions, as it stands', params: Type.Object({ id: Uuid }), response: reply },
    handler: async (request) => service.get(requestMeta(request), request.params.id),
  });

  app.get('/ml/symptom-checker/history', {
    config: { access: anyUser },
    schema: { tags, summary: 'Your past sessions, newest first', querystring: PageQuery, response: { 200: pageOf(HistoryItem), ...problemResponses } },
    handler: async (request) => service.history(requestMeta(request), request.query),
  });

  app.post('/ml/symptom-checker/feedback', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Tell us what it turned out to be; feeds the bounded learning update',
      body: FeedbackBody,
      response: { 201: FeedbackReply, ...problemResponses },
    },
    handler: async (request, res) => res.code(201).send(await service.feedback(requestMeta(request), request.body)),
  });

  app.get('/ml/symptom-checker/conditions', {
    config: { access: publicAccess },
    schema: {
      tags,
      summary: 'The knowledge base: conditions, evidence, and the sources behind the figures',
      response: { 200: Type.Unknown(), ...problemResponses },
    },
    handler: async (_request, res) => res.header('cache-control', 'public, max-age=3600').send(listKnowledgeBase()),
  });

  const adminOnly = rolesAllowed('admin');
  app.get('/ml/symptom-checker/model', {
    config: { access: adminOnly },
    schema: { tags, summary: 'Review the learned adjustments, pending feedback and model versions', response: { 200: ModelOverview, ...problemResponses } },
    handler: async () => service.modelOverview(),
  });

  app.post('/ml/symptom-checker/model/apply', {
    config: { access: adminOnly },
    schema: { tags, summary: 'Run the learning job now on pending feedback', response: { 200: ApplyReply, ...problemResponses } },
    handler: async (request) => (await service.applyPendingFeedback(actorOf(request).id)) ?? { version_id: null, feedback_applied: 0, summary: null },
  });

  app.post('/ml/symptom-checker/model/versions/:id/activate', {
    config: { access: adminOnly },
    schema: {
      tags,
      summary: 'Activate a stored model version (roll back or forward)',
      params: Type.Object({ id: Uuid }),
      response: { 200: ModelOverview, ...problemResponses },
    },
    handler: async (request) => service.activate(request.params.id),
  });
}
