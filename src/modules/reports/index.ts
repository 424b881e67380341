import type { AppContext, AppModule } from '../../platform/context.js';
import { auditFor } from '../audit/index.js';
import { filesFor, withMultipart } from '../files/index.js';
import { ReportsRepository } from './reports.repository.js';
import { ReportsService } from './reports.service.js';
import { reportsRoutes, reportUploadRoutes } from './reports.routes.js';
import { LabReportSchema, LabReportSummarySchema, ObservationSchema } from './reports.schemas.js';
import { seedClinicalDemo } from './demo.js';
import './reports.tables.js';

export { ReportsService } from './reports.service.js';
export { ANALYTES, findAnalyte } from './analytes.js';

const instances = new WeakMap<AppContext, ReportsService>();

/** The lab-report service (e.g. for the assistant's "view_reports" / "lab_question"). Event: `lab_report.created`. */
export function reportsFor(ctx: AppContext): ReportsService {
  let service = instances.get(ctx);
  if (!service) {
    service = new ReportsService(ctx.db, new ReportsRepository(), filesFor(ctx), ctx.care, auditFor(ctx), ctx.events);
    instances.set(ctx, service);
  }
  return service;
}

export const reportsModule: AppModule = {
  name: 'reports',
  async routes(app, ctx) {
    app.addSchema(ObservationSchema);
    app.addSchema(LabReportSummarySchema);
    app.addSchema(LabReportSchema);
    const reports = reportsFor(ctx);
    await withMultipart(app, ctx, (scope) => reportUploadRoutes(scope, reports));
    await reportsRoutes(app, reports);
  },
  /** Demo record, prescription and lab report for Jane Doe / Dr. Hause (after scheduling's seed). */
  seedDemo: (ctx) => seedClinicalDemo(ctx),
};
