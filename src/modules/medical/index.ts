import type { AppContext, AppModule } from '../../platform/context.js';
import { auditFor } from '../audit/index.js';
import { filesFor, withMultipart } from '../files/index.js';
import { PrescriptionsRepository, RecordsRepository } from './medical.repository.js';
import { AllergySchema, PrescriptionSchema, RecordSchema, RecordVersionSchema } from './medical.schemas.js';
import { AllergiesRepository } from './allergies.repository.js';
import { AllergiesService } from './allergies.service.js';
import { allergiesRoutes } from './allergies.routes.js';
import { patientProfilesFor, timeZonesFor } from '../scheduling/index.js';
import { RecordsService } from './records.service.js';
import { PrescriptionsService } from './prescriptions.service.js';
import { prescriptionsRoutes, recordsRoutes, recordUploadRoutes } from './medical.routes.js';
import './medical.tables.js';

export { RecordsService } from './records.service.js';
export { PrescriptionsService } from './prescriptions.service.js';
export { visiblePage, appointmentOfPatient } from './visible-page.js';

/**
 * Medical records (append-only versions, diagnoses with ICD-10, attachments) and
 * prescriptions. `medicalFor(ctx)` gives the services to other modules (e.g. the
 * assistant's "add_prescription" goes through `prescriptions.create`, same checks).
 * Events: `medical_record.created`, `prescription.created`, `prescription.status_changed`.
 */
const instances = new WeakMap<AppContext, { records: RecordsService; prescriptions: PrescriptionsService; allergies: AllergiesService }>();

export function medicalFor(ctx: AppContext) {
  let services = instances.get(ctx);
  if (!services) {
    const audit = auditFor(ctx);
    const allergies = new AllergiesService(ctx.db, new AllergiesRepository(), ctx.care, audit, patientProfilesFor(ctx));
    services = {
      records: new RecordsService(ctx.db, new RecordsRepository(), filesFor(ctx), ctx.care, audit, ctx.events, timeZonesFor(ctx)),
      prescriptions: new PrescriptionsService(ctx.db, new PrescriptionsRepository(), ctx.care, audit, ctx.events, allergies),
      allergies,
    };
    instances.set(ctx, services);
  }
  return services;
}

export const medicalModule: AppModule = {
  name: 'medical',
  async routes(app, ctx) {
    app.addSchema(RecordSchema);
    app.addSchema(RecordVersionSchema);
    app.addSchema(PrescriptionSchema);
    app.addSchema(AllergySchema);
    const { records, prescriptions, allergies } = medicalFor(ctx);
    await recordsRoutes(app, ctx.db, records);
    await withMultipart(app, ctx, (scope) => recordUploadRoutes(scope, records));
    await prescriptionsRoutes(app, ctx.db, prescriptions);
    await allergiesRoutes(app, ctx.db, allergies);
  },
};
