import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUser, rolesAllowed } from '../../platform/http/auth.js';
import { IdParams, problemResponses } from '../../platform/http/schemas.js';
import { pageOf } from '../../platform/http/pagination.js';
import { idempotent } from '../../platform/http/idempotency.js';
import type { Db } from '../../platform/database/index.js';
import {
  AppointmentListQuery,
  BookBody,
  CancelBody,
  JoinWaitlistBody,
  PatchAppointmentBody,
  RequestBody,
  RescheduleBody,
  StatusBody,
  WaitlistEntrySchema,
} from './scheduling.schemas.js';
import type { AppointmentsService } from './appointments.service.js';
import type { WaitlistService } from './waitlist.service.js';
import { appointmentToIcs } from './ics.js';

const tags = ['appointments'];
const patientOnly = rolesAllowed('patient');

export async function appointmentsRoutes(root: FastifyInstance, db: Db, appointments: AppointmentsService, waitlist: WaitlistService, icsHost: string): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const One = { 200: Type.Ref('Appointment'), ...problemResponses };

  app.post('/appointments', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Book {slot_id} or {doctor_id, start}; staff give patient_id. Exactly one of concurrent requests for a slot wins; the rest get 409. Honors Idempotency-Key.',
      body: BookBody,
      response: { 201: Type.Ref('Appointment'), ...problemResponses },
    },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => appointments.book(actorOf(request), request.body)),
  });
  app.post('/appointments/request', {
    config: { access: patientOnly },
    schema: { tags, summary: 'Book the earliest free slot for a specialty or doctor after a time (seed 004)', body: RequestBody, response: { 201: Type.Ref('Appointment'), ...problemResponses } },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => appointments.requestEarliest(actorOf(request), request.body)),
  });
  app.get('/appointments', {
    config: { access: anyUser },
    schema: { tags, summary: 'Own appointments (patient), own schedule (doctor), all (nurse, admin)', querystring: AppointmentListQuery, response: { 200: pageOf(Type.Ref('Appointment')), ...problemResponses } },
    handler: async (request) => appointments.list(actorOf(request), request.query),
  });
  app.get('/appointments/:id', {
    config: { access: anyUser },
    schema: { tags, summary: 'One appointment (parties and staff)', params: IdParams, response: One },
    handler: async (request) => appointments.get(actorOf(request), request.params.id),
  });
  app.get('/appointments/:id.ics', {
    config: { access: anyUser },
    schema: { tags, summary: 'The appointment as an iCalendar event', params: IdParams, response: { 200: Type.String({ description: 'text/calendar' }), ...problemResponses } },
    handler: async (request, reply) => {
      const appointment = await appointments.get(actorOf(request), request.params.id);
      return reply
        .type('text/calendar; charset=utf-8')
        .header('content-disposition', `attachment; filename="appointment-${appointment.id}.ics"`)
        .send(appointmentToIcs(appointment, { host: icsHost }));
    },
  });
  app.patch('/appointments/:id', {
    config: { access: anyUser },
    schema: { tags, summary: 'Change reason (parties) or notes (doctor, staff)', params: IdParams, body: PatchAppointmentBody, response: One },
    handler: async (request) => appointments.patch(actorOf(request), request.params.id, request.body),
  });
  app.patch('/appointments/:id/status', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Lifecycle: scheduled → confirmed → in_progress → completed; cancelled (reason, before start, either party); no_show (doctor, after start). Illegal → 409.',
      params: IdParams,
      body: StatusBody,
      response: One,
    },
    handler: async (request) => appointments.changeStatus(actorOf(request), request.params.id, request.body),
  });
  app.post('/appointments/:id/cancel', {
    config: { access: anyUser },
    schema: { tags, summary: 'Cancel with a reason (same as PATCH status=cancelled)', params: IdParams, body: CancelBody, response: One },
    handler: async (request) => appointments.changeStatus(actorOf(request), request.params.id, { status: 'cancelled', reason: request.body.reason }),
  });
  app.post('/appointments/:id/reschedule', {
    config: { access: anyUser },
    schema: { tags, summary: 'Move to another free slot of the same doctor, atomically', params: IdParams, body: RescheduleBody, response: One },
    handler: async (request) => appointments.reschedule(actorOf(request), request.params.id, request.body.slot_id),
  });

  // ----- waitlist -----
  app.post('/waitlist', {
    config: { access: patientOnly },
    schema: { tags: ['waitlist'], summary: "Join a doctor's or specialty's waitlist for a date range", body: JoinWaitlistBody, response: { 201: WaitlistEntrySchema, ...problemResponses } },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => waitlist.join(actorOf(request), request.body)),
  });
  app.get('/waitlist', {
    config: { access: anyUser },
    schema: {
      tags: ['waitlist'],
      summary: 'Open waitlist entries: own (patient), for me (doctor), all (staff)',
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })) }, { additionalProperties: false }),
      response: { 200: pageOf(WaitlistEntrySchema), ...problemResponses },
    },
    handler: async (request) => waitlist.list(actorOf(request), request.query.limit ?? 50),
  });
  app.delete('/waitlist/:id', {
    config: { access: patientOnly },
    schema: { tags: ['waitlist'], summary: 'Leave the waitlist', params: IdParams, response: { 204: Type.Null(), ...problemResponses } },
    handler: async (request, reply) => {
      await waitlist.leave(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  });
}
