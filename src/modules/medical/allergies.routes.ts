import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUser, rolesAllowed } from '../../platform/http/auth.js';
import { IdParams, problemResponses } from '../../platform/http/schemas.js';
import { pageOf } from '../../platform/http/pagination.js';
import { idempotent } from '../../platform/http/idempotency.js';
import type { Db } from '../../platform/database/index.js';
import { requestMeta } from '../audit/index.js';
import { PatientProfileSchema } from '../scheduling/index.js';
import { AllergyParams, CreateAllergyBody } from './medical.schemas.js';
import type { AllergiesService } from './allergies.service.js';

const Allergy = Type.Ref('Allergy');
const writers = rolesAllowed('patient', 'doctor', 'nurse');
const patientOnly = rolesAllowed('patient');

/** The patient chart (demographics + allergies) and allergy records. */
export async function allergiesRoutes(root: FastifyInstance, db: Db, allergies: AllergiesService): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['patients'];
  const Chart = Type.Object({ ...PatientProfileSchema.properties, allergy_records: Type.Array(Allergy) }, { additionalProperties: false });

  app.get('/patients/:id', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: "A patient's demographics and allergies: the patient themselves, clinicians with a care relationship, nurses and admins (others 404). Audited.",
      params: IdParams,
      response: { 200: Chart, ...problemResponses },
    },
    handler: async (request) => allergies.chart(requestMeta(request), request.params.id),
  });

  app.get('/patients/me/allergies', {
    config: { access: patientOnly },
    schema: { tags, summary: 'Own allergy records', response: { 200: pageOf(Allergy), ...problemResponses } },
    handler: async (request) => allergies.list(requestMeta(request), actorOf(request).id),
  });
  app.post('/patients/me/allergies', {
    config: { access: patientOnly },
    schema: {
      tags,
      summary: 'Record an own allergy (409 if that substance is already recorded)',
      body: CreateAllergyBody,
      response: { 201: Allergy, ...problemResponses },
    },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => allergies.create(requestMeta(request), actorOf(request).id, request.body)),
  });
  app.get('/patients/:id/allergies', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: "A patient's allergy records (patient: own; clinicians: patients in their care)",
      params: IdParams,
      response: { 200: pageOf(Allergy), ...problemResponses },
    },
    handler: async (request) => allergies.list(requestMeta(request), request.params.id),
  });
  app.post('/patients/:id/allergies', {
    config: { access: writers },
    schema: {
      tags,
      summary: 'Record an allergy (the patient, or a doctor or nurse caring for them); checked when prescribing. 409 if that substance is already recorded.',
      params: IdParams,
      body: CreateAllergyBody,
      response: { 201: Allergy, ...problemResponses },
    },
    handler: async (request, reply) => idempotent(db, request, reply, 201, () => allergies.create(requestMeta(request), request.params.id, request.body)),
  });
  app.delete('/patients/:id/allergies/:allergy_id', {
    config: { access: writers },
    schema: {
      tags,
      summary: 'Remove an allergy record (kept in history, no longer checked)',
      params: AllergyParams,
      response: { 204: Type.Null(), ...problemResponses },
    },
    handler: async (request, reply) => {
      await allergies.remove(requestMeta(request), request.params.id, request.params.allergy_id);
      return reply.code(204).send(null);
    },
  });
}
