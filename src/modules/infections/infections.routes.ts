import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { anyUser, rolesAllowed } from '../../platform/http/auth.js';
import { IdParams, problemResponses } from '../../platform/http/schemas.js';
import { PageQuery, pageOf } from '../../platform/http/pagination.js';
import { requestMeta } from '../audit/index.js';
import { receiveFile, type FilesService } from '../files/index.js';
import { ConsultBodySchema, DiagnoseQuery } from './infections.schemas.js';
import type { InfectionsService } from './infections.service.js';

const tags = ['skin image analysis'];
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;

/** POST /infections/diagnose (multipart; registered in a scope that parses multipart bodies). */
export async function diagnoseRoutes(root: FastifyInstance, infections: InfectionsService, files: FilesService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/infections/diagnose', {
    config: { access: rolesAllowed('patient') },
    schema: {
      tags,
      summary:
        'Analyse a skin photo (multipart field "image": JPEG, PNG or WEBP; optional body_site, notes, scale_mm_per_px as form fields before the image or as query parameters). Not a diagnosis.',
      consumes: ['multipart/form-data'],
      querystring: DiagnoseQuery,
      response: { 201: Type.Ref('InfectionRecord'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const staged = await receiveFile(request, files, IMAGE_TYPES, 'image');
      const record = await infections.diagnose(requestMeta(request), staged, request.query);
      return reply.code(201).header('location', `/api/v1/infections/${record.id}`).send(record);
    },
  });
}

export async function infectionsRoutes(root: FastifyInstance, infections: InfectionsService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/infections', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Own skin-image records (patients), or those shared with you through a consult (doctors); newest first',
      querystring: PageQuery,
      response: { 200: pageOf(Type.Ref('InfectionRecord')), ...problemResponses },
    },
    handler: async (request) => infections.list(requestMeta(request), request.query),
  });
  app.get('/infections/:id', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'One skin-image record: the patient, or the dermatologist it was shared with by a consult',
      params: IdParams,
      response: { 200: Type.Ref('InfectionRecord'), ...problemResponses },
    },
    handler: async (request) => infections.get(requestMeta(request), request.params.id),
  });
  app.post('/infections/:id/consult', {
    config: { access: rolesAllowed('patient') },
    schema: {
      tags,
      summary:
        'Book the earliest free dermatology appointment for this record (or join the dermatology waitlist) and share the record, its image and a chat message with that doctor. Asking again returns the same consult.',
      params: IdParams,
      body: ConsultBodySchema,
      response: { 200: Type.Ref('InfectionRecord'), 201: Type.Ref('InfectionRecord'), ...problemResponses },
    },
    // The one-tap consult needs no body: a bodiless POST means the defaults (video, earliest).
    preValidation: async (request) => {
      if (request.body === undefined || request.body === null) request.body = {};
    },
    handler: async (request, reply) => {
      const { created, record } = await infections.consult(requestMeta(request), request.params.id, request.body ?? {});
      return reply.code(created ? 201 : 200).send(record);
    },
  });
}
