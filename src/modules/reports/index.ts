import type { AppModule } from '../../platform/context.js';
import type { CareRelationships } from '../../platform/access.js';
import type { Db } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { AuditService } from '../audit/index.js';
import { withMultipart, type FilesService } from '../files/index.js';
import { ReportsRepository } from './reports.repository.js';
import { ReportsService } from './reports.service.js';
import { ReportsReads } from './reports.reads.js';
import { reportsRoutes, reportUploadRoutes } from './reports.routes.js';
import { LabReportSchema, LabReportSummarySchema, ObservationSchema } from './reports.schemas.js';
import { seedClinicalDemo } from './demo.js';
import './reports.tables.js';

export { ReportsService } from './reports.service.js';
export { ANALYTES, findAnalyte } from './analytes.js';
export { ReportsReads, type ObservationSearch, type ReportSearch, type ObservationReadRow, type DateBound, type ReadPosition } from './reports.reads.js';
export type { ReportRow } from './reports.repository.js';

/** Reads without access checks for areas that apply the rules themselves (the FHIR facade): see reports.reads.ts. */
export function buildReportsReads(deps: { db: Db }): ReportsReads {
  return new ReportsReads(deps.db, new ReportsRepository());
}

export interface ReportsDeps {
  db: Db;
  care: CareRelationships;
  events: EventBus;
  audit: AuditService;
  files: FilesService;
}

/** The lab-report service (`ctx.services.reports`; e.g. for the assistant's "view_reports" / "lab_question"). Event: `lab_report.created`. */
export function buildReportsServices(deps: ReportsDeps): ReportsService {
  return new ReportsService(deps.db, new ReportsRepository(), deps.files, deps.care, deps.audit, deps.events);
}

export const reportsModule: AppModule = {
  name: 'reports',
  async routes(app, ctx) {
    app.addSchema(ObservationSchema);
    app.addSchema(LabReportSummarySchema);
    app.addSchema(LabReportSchema);
    const reports = ctx.services.reports;
    await withMultipart(app, ctx, (scope) => reportUploadRoutes(scope, reports, ctx.services.files));
    await reportsRoutes(app, reports);
  },
  /** Demo lab report for Jane Doe / Dr. Hause (after scheduling's and medical's seeds). */
  seedDemo: (ctx) => seedClinicalDemo(ctx),
};
