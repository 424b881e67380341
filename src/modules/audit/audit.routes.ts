import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, rolesAllowed } from '../../platform/http/auth.js';
import { problemResponses } from '../../platform/http/schemas.js';
import { pageOf } from '../../platform/http/pagination.js';
import { AuditQuery } from './audit.schemas.js';
import type { AuditService } from './audit.service.js';

export async function auditRoutes(root: FastifyInstance, audit: AuditService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/audit', {
    config: { access: rolesAllowed('admin', 'patient') },
    schema: {
      tags: ['audit'],
      summary: 'PHI access log: admins see all (filters), a patient sees who accessed their own data',
      querystring: AuditQuery,
      response: { 200: pageOf(Type.Ref('AuditEntry')), ...problemResponses },
    },
    handler: async (request) => audit.list(actorOf(request), request.query),
  });
}
