import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, rolesAllowed } from '../../platform/http/auth.js';
import { IdParams, problemResponses } from '../../platform/http/schemas.js';
import { pageOf } from '../../platform/http/pagination.js';
import { idempotent } from '../../platform/http/idempotency.js';
import type { Db } from '../../platform/database/index.js';
import { ClientListQuery, CreateClientBody, UpdateClientBody } from './scheduling.schemas.js';
import type { ClientsService } from './clients.service.js';

const tags = ['clients'];
const clinicStaff = rolesAllowed('doctor', 'nurse', 'admin');

export async function clientsRoutes(root: FastifyInstance, db: Db, clients: ClientsService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/clients', {
    config: { access: clinicStaff },
    schema: { tags, summary: 'Create a clinic client (doctors: assigned to themselves)', body: CreateClientBody, response: { 201: Type.Ref('Client'), ...problemResponses } },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => clients.create(actorOf(request), request.body)),
  });
  app.get('/clients', {
    config: { access: clinicStaff },
    schema: { tags, summary: 'List/search clients (q on name, phone, email; assigned_doctor_id); doctors see their own', querystring: ClientListQuery, response: { 200: pageOf(Type.Ref('Client')), ...problemResponses } },
    handler: async (request) => clients.list(actorOf(request), request.query),
  });
  app.get('/clients/:id', {
    config: { access: clinicStaff },
    schema: { tags, summary: 'One client', params: IdParams, response: { 200: Type.Ref('Client'), ...problemResponses } },
    handler: async (request) => clients.get(actorOf(request), request.params.id),
  });
  app.put('/clients/:id', {
    config: { access: clinicStaff },
    schema: { tags, summary: 'Update a client (fields given are replaced)', params: IdParams, body: UpdateClientBody, response: { 200: Type.Ref('Client'), ...problemResponses } },
    handler: async (request) => clients.update(actorOf(request), request.params.id, request.body),
  });
  app.delete('/clients/:id', {
    config: { access: clinicStaff },
    schema: { tags, summary: 'Remove a client (soft delete; history retained)', params: IdParams, response: { 204: Type.Null(), ...problemResponses } },
    handler: async (request, reply) => {
      await clients.remove(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  });
}
