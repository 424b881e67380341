import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { rolesAllowed } from '../../platform/http/auth.js';
import { IdParams, problemResponses } from '../../platform/http/schemas.js';
import { pageOf } from '../../platform/http/pagination.js';
import { idempotent } from '../../platform/http/idempotency.js';
import type { Db } from '../../platform/database/index.js';
import { ClientListQuery, CreateClientBody, UpdateClientBody } from './scheduling.schemas.js';
import type { ClientsService } from './clients.service.js';
import { requestMeta } from '../audit/index.js';

const tags = ['clients'];
const clinicStaff = rolesAllowed('doctor', 'nurse', 'admin');

export async function clientsRoutes(root: FastifyInstance, db: Db, clients: ClientsService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/clients', {
    config: { access: clinicStaff },
    schema: {
      tags,
      summary: 'Create a clinic client (doctors: assigned to themselves)',
      body: CreateClientBody,
      response: { 201: Type.Ref('Client'), ...problemResponses },
    },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => clients.create(requestMeta(request), request.body)),
  });
  app.get('/clients', {
    config: { access: clinicStaff },
    schema: {
      tags,
      summary: 'List/search clients (q on name, phone, email; assigned_doctor_id); doctors see their own',
      querystring: ClientListQuery,
      response: { 200: pageOf(Type.Ref('Client')), ...problemResponses },
    },
    handler: async (request) => clients.list(requestMeta(request), request.query),
  });
  app.get('/clients/:id', {
    config: { access: clinicStaff },
    schema: { tags, summary: 'One client', params: IdParams, response: { 200: Type.Ref('Client'), ...problemResponses } },
    handler: async (request) => clients.get(requestMeta(request), request.params.id),
  });
  app.put('/clients/:id', {
    config: { access: clinicStaff },
    schema: {
      tags,
      summary: 'Update a client (fields given are replaced)',
      params: IdParams,
      body: UpdateClientBody,
      response: { 200: Type.Ref('Client'), ...problemResponses },
    },
    handler: async (request) => clients.update(requestMeta(request), request.params.id, request.body),
  });
  app.delete('/clients/:id', {
    config: { access: clinicStaff },
    schema: { tags, summary: 'Remove a client (soft delete; history retained)', params: IdParams, response: { 204: Type.Null(), ...problemResponses } },
    handler: async (request, reply) => {
      await clients.remove(requestMeta(request), request.params.id);
      return reply.code(204).send(null);
    },
  });

  // The patient's consent to a clinic record naming their account (issue 11).
  const patientOnly = rolesAllowed('patient');
  app.get('/patients/me/client-links', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'Clinic records that name your account: pending ones wait for your consent before the assigned doctor may see your data',
      response: { 200: Type.Object({ items: Type.Array(Type.Ref('ClientLink')) }), ...problemResponses },
    },
    handler: async (request) => clients.linksOf(requestMeta(request)),
  });
  app.post('/patients/me/client-links/:id/accept', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'Accept a clinic record as yours: its assigned doctor becomes one of your doctors',
      params: IdParams,
      response: { 204: Type.Null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      await clients.acceptLink(requestMeta(request), request.params.id);
      return reply.code(204).send(null);
    },
  });
  app.delete('/patients/me/client-links/:id', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'Decline (or withdraw) a clinic record naming your account: the link and the access it gave end',
      params: IdParams,
      response: { 204: Type.Null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      await clients.removeLink(requestMeta(request), request.params.id);
      return reply.code(204).send(null);
    },
  });
}
