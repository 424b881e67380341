import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../platform/access.js';
import type { EventBus } from '../../platform/events.js';
import type { PageCache } from '../../platform/http/page-cache.js';
import { APPOINTMENT_EVENTS, type AppointmentEvent } from './appointments.service.js';
import type { AppointmentListQuery } from './scheduling.schemas.js';

/**
 * What the own-appointments list keeps in the page cache (platform/http/page-cache.ts): the
 * reply as sent and the audit events of the read, which are recorded again on every read
 * answered from it.
 *
 * Tags: `appointments:party:<user>` for the caller (any booking, cancellation, reschedule,
 * status or reason/notes change of an appointment where they are the patient or the doctor
 * drops it: see `invalidateOnAppointmentChanges` and the PATCH route), and `user:<id>` for
 * every name shown (app.ts drops those on any write to that user).
 */
export const partyTag = (userId: string): string => `appointments:party:${userId}`;
export const userTag = (userId: string): string => `user:${userId}`;

/**
 * The cache key of a list read, or null when it must not be cached: staff lists span every
 * patient (any appointment write would have to drop them), and plain-date filters depend on
 * the caller's time zone setting, so only a patient's or doctor's own list without `from`/`to`
 * is cached — the home-screen read, repeated by every client refresh.
 */
export function listCacheKey(actor: Actor, query: AppointmentListQuery, request: FastifyRequest): string | null {
  if ((actor.role !== 'patient' && actor.role !== 'doctor') || query.from !== undefined || query.to !== undefined) return null;
  const url = request.raw.url ?? '';
  const q = url.indexOf('?');
  return `appointments:${actor.role}:${actor.id}:${q === -1 ? '' : url.slice(q + 1)}`;
}

/** After-commit appointment events drop the cached lists of both parties, here and on every instance. */
export function invalidateOnAppointmentChanges(events: EventBus, cache: PageCache): void {
  for (const topic of Object.values(APPOINTMENT_EVENTS)) {
    events.subscribe<AppointmentEvent>(topic, (event) => cache.invalidate([partyTag(event.patientId), partyTag(event.doctorId)]));
  }
}
