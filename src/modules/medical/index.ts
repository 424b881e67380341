import type { AppModule } from '../../platform/context.js';
import type { CareRelationships } from '../../platform/access.js';
import type { Db } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { AuditService } from '../audit/index.js';
import { withMultipart, type FilesService } from '../files/index.js';
import { PrescriptionsRepository, RecordsRepository } from './medical.repository.js';
import { AllergySchema, PrescriptionSchema, RecordSchema, RecordVersionSchema } from './medical.schemas.js';
import { AllergiesRepository } from './allergies.repository.js';
import { AllergiesService } from './allergies.service.js';
import { allergiesRoutes } from './allergies.routes.js';
import type { SchedulingLookups } from '../scheduling/index.js';
import { RecordsService } from './records.service.js';
import { MedicalReads } from './medical.reads.js';
import { MedicalReadsRepository } from './medical-reads.repository.js';
import { PrescriptionsService } from './prescriptions.service.js';
import { prescriptionsRoutes, recordsRoutes, recordUploadRoutes } from './medical.routes.js';
import { seedMedicalDemo } from './demo.js';
import './medical.tables.js';

export { RecordsService } from './records.service.js';
export { PrescriptionsService } from './prescriptions.service.js';
export { AllergiesService } from './allergies.service.js';
export { MedicalReads, type MedicalSearch, type RowPosition, type PrescriptionRow, type RecordRow } from './medical.reads.js';
export type { Diagnosis, PrescriptionItem, PrescriptionStatus } from './medical.tables.js';

/** Reads without access checks for areas that apply the rules themselves (the FHIR facade): see medical.reads.ts. */
export function buildMedicalReads(deps: { db: Db }): MedicalReads {
  return new MedicalReads(deps.db, new MedicalReadsRepository());
}

/**
 * Medical records (append-only versions, diagnoses with ICD-10, attachments), prescriptions
 * and allergies. Built once per instance (`ctx.services.medical`); other modules receive
 * these services as constructor arguments (e.g. the assistant's "add_prescription" goes
 * through `prescriptions.create`, same checks).
 * Events: `medical_record.created`, `prescription.created`, `prescription.status_changed`.
 */
export interface MedicalServices {
  records: RecordsService;
  prescriptions: PrescriptionsService;
  allergies: AllergiesService;
}

export interface MedicalDeps {
  db: Db;
  care: CareRelationships;
  events: EventBus;
  audit: AuditService;
  files: FilesService;
  scheduling: Pick<SchedulingLookups, 'patientProfile' | 'timeZoneOf' | 'appointmentOfPatient'>;
}

export function buildMedicalServices(deps: MedicalDeps): MedicalServices {
  const { db, care, events, audit, files, scheduling } = deps;
  const allergies = new AllergiesService(db, new AllergiesRepository(), care, audit, { profile: (patientId) => scheduling.patientProfile(patientId) });
  return {
    records: new RecordsService(db, new RecordsRepository(), files, care, audit, events, scheduling),
    prescriptions: new PrescriptionsService(db, new PrescriptionsRepository(), care, audit, events, allergies, scheduling),
    allergies,
  };
}

export const medicalModule: AppModule = {
  name: 'medical',
  async routes(app, ctx) {
    app.addSchema(RecordSchema);
    app.addSchema(RecordVersionSchema);
    app.addSchema(PrescriptionSchema);
    app.addSchema(AllergySchema);
    const { records, prescriptions, allergies } = ctx.services.medical;
    await recordsRoutes(app, ctx.db, records);
    await withMultipart(app, ctx, (scope) => recordUploadRoutes(scope, records, ctx.services.files));
    await prescriptionsRoutes(app, ctx.db, prescriptions);
    await allergiesRoutes(app, ctx.db, allergies);
  },
  /** Demo record and prescription for Jane Doe / Dr. Hause (after scheduling's seed). */
  seedDemo: (ctx) => seedMedicalDemo(ctx),
};
