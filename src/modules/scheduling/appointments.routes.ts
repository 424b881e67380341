import type { FastifyInstance, FastifyRequest } from 'fastify';
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
import { listEvents, requestMeta, type AuditEvent, type AuditService } from '../audit/index.js';
import type { AppointmentDto } from './scheduling.schemas.js';
import { acceptSpecialtySynonyms } from './specialties.js';
import type { PageCache } from '../../platform/http/page-cache.js';
import type { EventBus } from '../../platform/events.js';
import { invalidateOnAppointmentChanges, listCacheKey, partyTag, userTag } from './appointments.cache.js';

const tags = ['appointments'];
const patientOnly = rolesAllowed('patient');

export async function appointmentsRoutes(
  root: FastifyInstance,
  db: Db,
  appointments: AppointmentsService,
  waitlist: WaitlistService,
  icsHost: string,
  audit: AuditService,
  cache: PageCache,
  events: EventBus,
): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  invalidateOnAppointmentChanges(events, cache);
  const One = { 200: Type.Ref('Appointment'), ...problemResponses };
  /**
   * Appointments hold patient data (reason, notes): every read and write is audited, and a
   * booking grants (a cancellation revokes) the doctor's care relationship with the patient.
   */
  const audited = async <T extends AppointmentDto | AppointmentDto[]>(
    request: FastifyRequest,
    result: T,
    action: AuditEvent['action'],
    care?: 'grant' | 'revoke',
  ): Promise<T> => {
    const rows = Array.isArray(result) ? result : [result];
    const events: AuditEvent[] = rows.map((a) => ({ patientId: a.patient_id, resourceType: 'appointment', resourceId: a.id, action }));
    if (care)
      for (const a of rows)
        events.push({
          patientId: a.patient_id,
          resourceType: 'care_relationship',
          resourceId: a.doctor_id,
          action: care,
          details: { cause: 'appointment', appointment_id: a.id },
        });
    await audit.record(db, requestMeta(request), events);
    return result;
  };

  app.post('/appointments', {
    config: { access: anyUser },
    schema: {
      tags,
      summary:
        'Book {slot_id} or {doctor_id, start}; staff give patient_id. Exactly one of concurrent requests for a slot wins; the rest get 409. Honors Idempotency-Key.',
      body: BookBody,
      response: { 201: Type.Ref('Appointment'), ...problemResponses },
    },
    handler: async (request, reply) =>
      idempotent(db, request, reply, 201, async () => audited(request, await appointments.book(actorOf(request), request.body), 'create', 'grant')),
  });
  app.post('/appointments/request', {
    config: { access: patientOnly },
    preValidation: acceptSpecialtySynonyms('body'),
    schema: {
      tags,
      summary: 'Book the earliest free slot for a specialty or doctor after a time (seed 004)',
      body: RequestBody,
      response: { 201: Type.Ref('Appointment'), ...problemResponses },
    },
    handler: async (request, reply) =>
      idempotent(db, request, reply, 201, async () => audited(request, await appointments.requestEarliest(actorOf(request), request.body), 'create', 'grant')),
  });
  app.get('/appointments', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Own appointments (patient), own schedule (doctor), all (nurse, admin)',
      querystring: AppointmentListQuery,
      response: { 200: pageOf(Type.Ref('Appointment')), ...problemResponses },
    },
    handler: async (request, reply) => {
      const actor = actorOf(request);
      // The caller's own list is answered from the page cache when it holds it (appointments.cache.ts):
      // same reply, and the read is audited all the same before it goes out.
      const key = cache.enabled ? listCacheKey(actor, request.query, request) : null;
      const hit = key === null ? undefined : cache.get<{ body: string; events: AuditEvent[] }>(key);
      if (hit) {
        await audit.record(db, requestMeta(request), hit.events);
        return reply.type('application/json; charset=utf-8').send(hit.body);
      }
      const epoch = cache.epoch;
      const page = await appointments.list(actor, request.query);
      // One audit row per patient on the page, carrying the appointment ids (audit/index.ts).
      const events = listEvents(
        page.items,
        'appointment',
        (a) => a.patient_id,
        (a) => a.id,
      );
      await audit.record(db, requestMeta(request), events);
      if (key === null) return page;
      const body = reply.serialize(page) as string;
      const tags = new Set([partyTag(actor.id)]);
      for (const a of page.items) tags.add(userTag(a.doctor_id)).add(userTag(a.patient_id));
      cache.set(key, { body, events }, [...tags], body.length * 2, epoch);
      return reply.type('application/json; charset=utf-8').send(body);
    },
  });
  app.get('/appointments/:id', {
    config: { access: anyUser },
    schema: { tags, summary: 'One appointment (parties and staff)', params: IdParams, response: One },
    handler: async (request) => audited(request, await appointments.get(actorOf(request), request.params.id), 'read'),
  });
  app.get('/appointments/:id.ics', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'The appointment as an iCalendar event',
      params: IdParams,
      response: { 200: Type.String({ description: 'text/calendar' }), ...problemResponses },
    },
    handler: async (request, reply) => {
      const appointment = await audited(request, await appointments.get(actorOf(request), request.params.id), 'download');
      return reply
        .type('text/calendar; charset=utf-8')
        .header('content-disposition', `attachment; filename="appointment-${appointment.id}.ics"`)
        .send(appointmentToIcs(appointment, { host: icsHost }));
    },
  });
  app.patch('/appointments/:id', {
    config: { access: anyUser },
    schema: { tags, summary: 'Change reason (parties) or notes (doctor, staff)', params: IdParams, body: PatchAppointmentBody, response: One },
    handler: async (request) => {
      const changed = await appointments.patch(actorOf(request), request.params.id, request.body);
      // No domain event for a reason/notes edit: drop both parties' cached lists here.
      await cache.invalidate([partyTag(changed.patient_id), partyTag(changed.doctor_id)]);
      return audited(request, changed, 'update');
    },
  });
  app.patch('/appointments/:id/status', {
    config: { access: anyUser },
    schema: {
      tags,
      summary:
        'Lifecycle: scheduled → confirmed → in_progress → completed; cancelled (reason, before start, either party); no_show (doctor, after start). Illegal → 409.',
      params: IdParams,
      body: StatusBody,
      response: One,
    },
    handler: async (request) => {
      const changed = await appointments.changeStatus(actorOf(request), request.params.id, request.body);
      return audited(request, changed, 'status_change', changed.status === 'cancelled' ? 'revoke' : undefined);
    },
  });
  app.post('/appointments/:id/cancel', {
    config: { access: anyUser },
    schema: { tags, summary: 'Cancel with a reason (same as PATCH status=cancelled)', params: IdParams, body: CancelBody, response: One },
    handler: async (request) =>
      audited(
        request,
        await appointments.changeStatus(actorOf(request), request.params.id, { status: 'cancelled', reason: request.body.reason }),
        'status_change',
        'revoke',
      ),
  });
  app.post('/appointments/:id/reschedule', {
    config: { access: anyUser },
    schema: { tags, summary: 'Move to another free slot of the same doctor, atomically', params: IdParams, body: RescheduleBody, response: One },
    handler: async (request) => audited(request, await appointments.reschedule(actorOf(request), request.params.id, request.body.slot_id), 'update'),
  });

  // ----- waitlist -----
  app.post('/waitlist', {
    config: { access: patientOnly },
    preValidation: acceptSpecialtySynonyms('body'),
    schema: {
      tags: ['waitlist'],
      summary: "Join a doctor's or specialty's waitlist for a date range",
      body: JoinWaitlistBody,
      response: { 201: WaitlistEntrySchema, ...problemResponses },
    },
    // A patient's wish to be seen is their data: joining, listing and leaving are audited (security review).
    handler: async (request, reply) =>
      idempotent(db, request, reply, 201, async () => {
        const entry = await waitlist.join(actorOf(request), request.body);
        await audit.record(db, requestMeta(request), [{ patientId: entry.patient_id, resourceType: 'waitlist_entry', resourceId: entry.id, action: 'create' }]);
        return entry;
      }),
  });
  app.get('/waitlist', {
    config: { access: anyUser },
    schema: {
      tags: ['waitlist'],
      summary: 'Open waitlist entries: own (patient), for me (doctor), all (staff)',
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })) }, { additionalProperties: false }),
      response: { 200: pageOf(WaitlistEntrySchema), ...problemResponses },
    },
    handler: async (request) => {
      const page = await waitlist.list(actorOf(request), request.query.limit ?? 50);
      await audit.record(
        db,
        requestMeta(request),
        listEvents(
          page.items,
          'waitlist_entry',
          (e) => e.patient_id,
          (e) => e.id,
        ),
      );
      return page;
    },
  });
  app.delete('/waitlist/:id', {
    config: { access: patientOnly },
    schema: { tags: ['waitlist'], summary: 'Leave the waitlist', params: IdParams, response: { 204: Type.Null(), ...problemResponses } },
    handler: async (request, reply) => {
      await waitlist.leave(actorOf(request), request.params.id);
      await audit.record(db, requestMeta(request), [
        { patientId: actorOf(request).id, resourceType: 'waitlist_entry', resourceId: request.params.id, action: 'delete' },
      ]);
      return reply.code(204).send(null);
    },
  });
}
