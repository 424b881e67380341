import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUser, rolesAllowed } from '../../platform/http/auth.js';
import { IdParams, problemResponses } from '../../platform/http/schemas.js';
import { pageOf } from '../../platform/http/pagination.js';
import { requestMeta } from '../audit/index.js';
import { ReportListQuery, TrendQuery, TrendSchema, UploadReportQuery } from './reports.schemas.js';
import { REPORT_TYPES, type ReportsService } from './reports.service.js';
import { receiveFile, type FilesService } from '../files/index.js';

const tags = ['lab reports'];

export async function reportUploadRoutes(root: FastifyInstance, reports: ReportsService, files: FilesService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/reports', {
    config: { access: anyUser },
    schema: {
      tags,
      summary:
        'Upload a CSV or PDF lab report (multipart field "file"); parsed into flagged observations. Staff name the patient with ?patient_id= (or a patient_id form field before the file).',
      consumes: ['multipart/form-data'],
      querystring: UploadReportQuery,
      response: { 201: Type.Ref('LabReport'), ...problemResponses },
    },
    handler: async (request, reply) => {
      const meta = requestMeta(request);
      const options = { patientId: request.query.patient_id, collectedAt: request.query.collected_at };
      // Authorise before reading the body when the patient is named in the query.
      await reports.assertMayUpload(meta.actor, options);
      const report = await reports.upload(meta, await receiveFile(request, files, REPORT_TYPES), options);
      return reply.code(201).header('location', `/api/v1/reports/${report.id}`).send(report);
    },
  });
}

export async function reportsRoutes(root: FastifyInstance, reports: ReportsService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get('/reports', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Lab reports you may see (own / your patients / all for staff); filters patient_id, status',
      querystring: ReportListQuery,
      response: { 200: pageOf(Type.Ref('LabReportSummary')), ...problemResponses },
    },
    handler: async (request) => reports.list(requestMeta(request), request.query),
  });
  app.get('/reports/:id', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'One lab report: observations, unparsed rows, original file link',
      params: IdParams,
      response: { 200: Type.Ref('LabReport'), ...problemResponses },
    },
    handler: async (request) => reports.get(requestMeta(request), request.params.id),
  });
  app.get('/patients/me/observations', {
    config: { access: rolesAllowed('patient') },
    schema: {
      tags,
      summary: 'Own trend of one analyte over time (?name=HbA1c), oldest first; like /patients/{id}/observations',
      querystring: TrendQuery,
      response: { 200: TrendSchema, ...problemResponses },
    },
    handler: async (request) => reports.trend(requestMeta(request), actorOf(request).id, request.query),
  });
  app.get('/patients/:id/observations', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Trend of one analyte over time (?name=HbA1c), oldest first',
      params: IdParams,
      querystring: TrendQuery,
      response: { 200: TrendSchema, ...problemResponses },
    },
    handler: async (request) => reports.trend(requestMeta(request), request.params.id, request.query),
  });
}
