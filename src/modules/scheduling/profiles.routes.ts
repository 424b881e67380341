import type { FastifyInstance } from 'fastify';
import { IMAGE_TYPES, receiveFile, type FilesService } from '../files/index.js';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, publicAccess, rolesAllowed } from '../../platform/http/auth.js';
import { IdParams, problemResponses } from '../../platform/http/schemas.js';
import { pageOf } from '../../platform/http/pagination.js';
import { idempotent } from '../../platform/http/idempotency.js';
import type { Db } from '../../platform/database/index.js';
import { requestMeta, type AuditService } from '../audit/index.js';
import {
  CreateSlotBody,
  DoctorListQuery,
  DoctorMeBody,
  OwnSlotsQuery,
  PatientMeBody,
  PatientProfileSchema,
  PublicSlotsQuery,
  SlotsRangeBody,
  SlotsRangeResult,
} from './scheduling.schemas.js';
import type { ProfilesService } from './profiles.service.js';
import type { SlotsService } from './slots.service.js';
import { acceptSpecialtySynonyms } from './specialties.js';

const doctorOnly = rolesAllowed('doctor');
const patientOnly = rolesAllowed('patient');

/** The patient's own profile (demographics, emergency contact, photo) is their data: reads and writes are audited (security review). */
function profileEvent(patientId: string, action: 'read' | 'update', fields?: string[]) {
  return [{ patientId, resourceType: 'patient_profile', resourceId: patientId, action, ...(fields && { details: { fields } }) }];
}

export async function profilesRoutes(root: FastifyInstance, db: Db, profiles: ProfilesService, slots: SlotsService, audit: AuditService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  // ----- patients -----
  app.get('/patients/me', {
    config: { access: patientOnly },
    schema: {
      tags: ['patients'],
      summary: 'Own patient profile (demographics, allergies, emergency contact, time zone)',
      response: { 200: PatientProfileSchema, ...problemResponses },
    },
    handler: async (request) => {
      const profile = await profiles.getOwnPatientProfile(actorOf(request));
      await audit.record(db, requestMeta(request), profileEvent(actorOf(request).id, 'read'));
      return profile;
    },
  });
  for (const method of ['PUT', 'POST'] as const) {
    app.route({
      method,
      url: '/patients/me',
      config: { access: patientOnly },
      schema: {
        tags: ['patients'],
        summary:
          method === 'PUT'
            ? 'Update own patient profile (fields given are replaced; photo: upload via /files, then photo_file_id)'
            : 'Seed 004 alias of PUT /patients/me',
        body: PatientMeBody,
        response: { 200: PatientProfileSchema, ...problemResponses },
      },
      handler: async (request) => {
        const profile = await profiles.updateOwnPatientProfile(actorOf(request), request.body);
        await audit.record(db, requestMeta(request), profileEvent(actorOf(request).id, 'update', Object.keys(request.body).sort()));
        return profile;
      },
    });
  }

  // ----- doctors -----
  app.get('/doctors', {
    config: { access: publicAccess },
    preValidation: acceptSpecialtySynonyms('query'),
    schema: {
      tags: ['doctors'],
      summary: 'Doctor directory (filters specialty, q, language, available_from) with next_available',
      querystring: DoctorListQuery,
      response: { 200: pageOf(Type.Ref('Doctor')), ...problemResponses },
    },
    handler: async (request) => profiles.listDoctors(request.query, request.actor?.id ?? null),
  });
  app.get('/doctors/me', {
    config: { access: doctorOnly },
    schema: { tags: ['doctors'], summary: 'Own doctor profile (exists from approval on)', response: { 200: Type.Ref('Doctor'), ...problemResponses } },
    handler: async (request) => profiles.getOwnDoctorProfile(actorOf(request)),
  });
  for (const method of ['PUT', 'POST'] as const) {
    app.route({
      method,
      url: '/doctors/me',
      config: { access: doctorOnly },
      preValidation: acceptSpecialtySynonyms('body'),
      schema: {
        tags: ['doctors'],
        summary: method === 'PUT' ? 'Update own doctor profile (fields given are replaced)' : 'Seed 004 alias of PUT /doctors/me',
        body: DoctorMeBody,
        response: { 200: Type.Ref('Doctor'), ...problemResponses },
      },
      handler: async (request) => profiles.updateOwnDoctorProfile(actorOf(request), request.body),
    });
  }
  app.get('/doctors/:id', {
    config: { access: publicAccess },
    schema: { tags: ['doctors'], summary: 'Public doctor profile', params: IdParams, response: { 200: Type.Ref('Doctor'), ...problemResponses } },
    handler: async (request) => profiles.getDoctor(request.params.id),
  });
  app.get('/doctors/:id/slots', {
    config: { access: publicAccess },
    schema: {
      tags: ['doctors'],
      summary:
        "Free slots of a doctor in [from, to) (default: next 14 days), paginated {items, next_cursor}; plain dates are days in tz (default: your profile zone, else the doctor's)",
      params: IdParams,
      querystring: PublicSlotsQuery,
      response: { 200: pageOf(Type.Ref('Slot')), ...problemResponses },
    },
    handler: async (request) => slots.listFree(request.params.id, request.query, request.actor?.id ?? null),
  });

  // ----- own slots -----
  app.post('/doctors/me/slots', {
    config: { access: doctorOnly },
    schema: {
      tags: ['slots'],
      summary: 'Create one slot: {start, end} or {start, duration_minutes}; overlap → 409',
      body: CreateSlotBody,
      response: { 201: Type.Ref('Slot'), ...problemResponses },
    },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => slots.create(actorOf(request), request.body)),
  });
  app.post('/doctors/me/slots-range', {
    config: { access: doctorOnly },
    schema: {
      tags: ['slots'],
      summary: 'Create slots for a date range in a time zone (DST-correct); overlapping ones are skipped',
      body: SlotsRangeBody,
      response: { 201: SlotsRangeResult, ...problemResponses },
    },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => slots.createRange(actorOf(request), request.body)),
  });
  app.get('/doctors/me/slots', {
    config: { access: doctorOnly },
    schema: {
      tags: ['slots'],
      summary: 'Own slots with state free|held|booked|blocked',
      querystring: OwnSlotsQuery,
      response: { 200: pageOf(Type.Ref('Slot')), ...problemResponses },
    },
    handler: async (request) => slots.listOwn(actorOf(request), request.query),
  });
  app.delete('/doctors/me/slots/:id', {
    config: { access: doctorOnly },
    schema: { tags: ['slots'], summary: 'Delete an own slot (booked → 409)', params: IdParams, response: { 204: Type.Null(), ...problemResponses } },
    handler: async (request, reply) => {
      await slots.remove(actorOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  });
}

/**
 * Seed 004's photo upload: `PUT /patients/me/photo` (or POST) with a multipart image in the
 * field `file`. The image goes through the files module (sniffed type, EXIF stripped, size
 * limit) and becomes the profile photo in the same transaction.
 */
export async function patientPhotoRoutes(root: FastifyInstance, files: FilesService, profiles: ProfilesService, audit: AuditService, db: Db): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  for (const method of ['PUT', 'POST'] as const) {
    app.route({
      method,
      url: '/patients/me/photo',
      config: { access: patientOnly },
      schema: {
        tags: ['patients'],
        summary: 'Upload a profile photo (multipart image in the field `file`; PNG, JPEG or WEBP)',
        consumes: ['multipart/form-data'],
        response: { 200: PatientProfileSchema, ...problemResponses },
      },
      handler: async (request) => {
        const actor = actorOf(request);
        const staged = await receiveFile(request, files, [...IMAGE_TYPES]);
        const profile = await profiles.setOwnPhoto(actor, (write) =>
          files.storeWith(staged, { ownerId: actor.id, patientId: actor.id }, (trx, file) => write(trx, file.id)),
        );
        await audit.record(db, requestMeta(request), profileEvent(actor.id, 'update', ['photo']));
        return profile;
      },
    });
  }
}
