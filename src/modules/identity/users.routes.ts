import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUser, anyUserEvenPending, rolesAllowed } from '../../platform/http/auth.js';
import { problemResponses } from '../../platform/http/schemas.js';
import { pageOf } from '../../platform/http/pagination.js';
import { AdminUpdateUserBody, RoleSchema, SetPasswordBody, SetRoleBody, UserListQuery, UserRef } from './identity.schemas.js';
import type { UsersService } from './users.service.js';

const tags = ['users'];
const adminOnly = rolesAllowed('admin');
const UserPage = pageOf(Type.Ref('User'));

export async function usersRoutes(root: FastifyInstance, users: UsersService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/users', {
    config: { access: adminOnly },
    schema: {
      tags,
      summary: 'List users (filters role, status, q; cursor pagination)',
      querystring: UserListQuery,
      response: { 200: UserPage, ...problemResponses },
    },
    handler: async (request) => users.list(request.query),
  });

  app.get('/users/role/:role', {
    config: { access: adminOnly },
    schema: {
      tags,
      summary: 'List users of one role (seed 004 alias of /users?role=)',
      params: Type.Object({ role: RoleSchema }),
      querystring: Type.Omit(UserListQuery, ['role']),
      response: { 200: UserPage, ...problemResponses },
    },
    handler: async (request) => users.list({ ...request.query, role: request.params.role }),
  });

  app.get('/users/:user', {
    config: { access: anyUserEvenPending },
    schema: {
      tags,
      summary: 'One user by id or username (admins: anyone; others: themselves)',
      params: UserRef,
      response: { 200: Type.Ref('User'), ...problemResponses },
    },
    handler: async (request) => users.get(actorOf(request), request.params.user),
  });

  app.patch('/users/:user', {
    // A role change needs a second factor within 10 minutes (docs/API.md §1.1); status changes don't.
    config: { access: adminOnly, stepUp: (request) => (request.body as { role?: string } | undefined)?.role !== undefined },
    schema: {
      tags,
      summary: 'Change role and/or status (approve, deactivate, reactivate)',
      params: UserRef,
      body: AdminUpdateUserBody,
      response: { 200: Type.Ref('User'), ...problemResponses },
    },
    handler: async (request) => users.update(actorOf(request), request.params.user, request.body),
  });

  app.put('/users/:user/role', {
    config: { access: adminOnly, stepUp: true },
    schema: { tags, summary: 'Change role (seed 004)', params: UserRef, body: SetRoleBody, response: { 200: Type.Ref('User'), ...problemResponses } },
    handler: async (request) => users.update(actorOf(request), request.params.user, { role: request.body.role }),
  });

  app.post('/users/:user/approve', {
    config: { access: adminOnly },
    schema: { tags, summary: 'Approve a pending doctor or nurse', params: UserRef, response: { 200: Type.Ref('User'), ...problemResponses } },
    handler: async (request) => users.approve(actorOf(request), request.params.user),
  });

  app.delete('/users/:user', {
    config: { access: adminOnly },
    schema: {
      tags,
      summary: 'Soft-delete: deactivate and anonymise; clinical data is retained',
      params: UserRef,
      response: { 204: Type.Null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      await users.remove(actorOf(request), request.params.user);
      return reply.code(204).send(null);
    },
  });

  for (const method of ['PUT', 'POST'] as const) {
    app.route({
      method,
      url: '/users/:user/password',
      // An admin setting someone else's password takes over that account: it needs a recent second
      // factor, like a role change (security review M6). A user changing their own (with the
      // current password) does not.
      config: {
        access: anyUser,
        stepUp: (request) => request.actor?.role === 'admin' && (request.body as { current_password?: string } | undefined)?.current_password === undefined,
      },
      schema: {
        tags,
        summary: 'Set a password: self (with current_password) or an admin for anyone',
        params: UserRef,
        body: SetPasswordBody,
        response: { 204: Type.Null(), ...problemResponses },
      },
      handler: async (request, reply) => {
        await users.setPassword(actorOf(request), request.params.user, request.body.new_password, request.body.current_password);
        return reply.code(204).send(null);
      },
    });
  }
}
