import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { anyUser, rolesAllowed } from '../../platform/http/auth.js';
import { IdParams, problemResponses } from '../../platform/http/schemas.js';
import { pageOf } from '../../platform/http/pagination.js';
import { idempotent } from '../../platform/http/idempotency.js';
import type { Db } from '../../platform/database/index.js';
import { requestMeta } from '../audit/index.js';
import { receiveFile, type FilesService } from '../files/index.js';
import {
  CreatePrescriptionBody,
  CreateRecordBody,
  PrescriptionListQuery,
  PrescriptionStatusBody,
  RecordListQuery,
  UpdateRecordBody,
} from './medical.schemas.js';
import type { RecordsService } from './records.service.js';
import type { PrescriptionsService } from './prescriptions.service.js';

const Record = Type.Ref('MedicalRecord');
const Prescription = Type.Ref('Prescription');
const doctorOnly = rolesAllowed('doctor');

export async function recordsRoutes(root: FastifyInstance, db: Db, records: RecordsService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['medical records'];

  app.post('/medical/records', {
    config: { access: doctorOnly },
    schema: { tags, summary: 'Create a record for a patient in your care (version 1)', body: CreateRecordBody, response: { 201: Record, ...problemResponses } },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => records.create(requestMeta(request), request.body)),
  });

  app.get('/medical/records', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Records you may see (patient: own; doctor: your patients; staff: all). Filters patient_id, record_type, appointment_id, from, to',
      querystring: RecordListQuery,
      response: { 200: pageOf(Record), ...problemResponses },
    },
    handler: async (request) => records.list(requestMeta(request), request.query),
  });

  app.get('/medical/records/:id', {
    config: { access: anyUser },
    schema: { tags, summary: 'One record (latest version)', params: IdParams, response: { 200: Record, ...problemResponses } },
    handler: async (request) => records.get(requestMeta(request), request.params.id),
  });

  app.put('/medical/records/:id', {
    config: { access: doctorOnly },
    schema: {
      tags,
      summary: 'Amend a record: writes a new version (same id, version + 1); history is kept. Send `version` to detect concurrent edits (409).',
      params: IdParams,
      body: UpdateRecordBody,
      response: { 200: Record, ...problemResponses },
    },
    handler: async (request) => records.update(requestMeta(request), request.params.id, request.body),
  });

  app.get('/medical/records/:id/versions', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Every version of a record, oldest first',
      params: IdParams,
      response: { 200: pageOf(Type.Ref('MedicalRecordVersion')), ...problemResponses },
    },
    handler: async (request) => records.versions(requestMeta(request), request.params.id),
  });
}

export async function recordUploadRoutes(root: FastifyInstance, records: RecordsService, files: FilesService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/medical/records/:id/upload', {
    config: { access: rolesAllowed('doctor', 'patient') },
    schema: {
      tags: ['medical records'],
      summary: 'Attach a file to a record (multipart field "file")',
      consumes: ['multipart/form-data'],
      params: IdParams,
      response: { 201: Type.Ref('File'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const meta = requestMeta(request);
      // Authorise before reading the body; the service gets the received file, not the request.
      await records.assertMayAttach(meta.actor, request.params.id);
      const file = await records.attach(meta, request.params.id, await receiveFile(request, files));
      return reply.code(201).header('location', `/api/v1/files/${file.id}`).send(file);
    },
  });
}

export async function prescriptionsRoutes(root: FastifyInstance, db: Db, prescriptions: PrescriptionsService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['prescriptions'];

  app.post('/prescriptions', {
    // Writing a prescription needs a second factor within 10 minutes (docs/API.md §1.1).
    config: { access: doctorOnly, stepUp: true },
    schema: { tags, summary: 'Prescribe for a patient in your care', body: CreatePrescriptionBody, response: { 201: Prescription, ...problemResponses } },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => prescriptions.create(requestMeta(request), request.body)),
  });

  app.get('/prescriptions', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Prescriptions you may see; filters patient_id, status, appointment_id',
      querystring: PrescriptionListQuery,
      response: { 200: pageOf(Prescription), ...problemResponses },
    },
    handler: async (request) => prescriptions.list(requestMeta(request), request.query),
  });

  app.get('/prescriptions/:id', {
    config: { access: anyUser },
    schema: { tags, summary: 'One prescription', params: IdParams, response: { 200: Prescription, ...problemResponses } },
    handler: async (request) => prescriptions.get(requestMeta(request), request.params.id),
  });

  for (const method of ['PATCH', 'PUT'] as const) {
    app.route({
      method,
      url: '/prescriptions/:id/status',
      config: { access: doctorOnly },
      schema: {
        tags,
        summary: 'Change status: active → completed | cancelled (409 otherwise)',
        params: IdParams,
        body: PrescriptionStatusBody,
        response: { 200: Prescription, ...problemResponses },
      },
      handler: async (request) => prescriptions.changeStatus(requestMeta(request), request.params.id, request.body),
    });
  }
}
