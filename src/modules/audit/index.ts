import type { AppModule } from '../../platform/context.js';
import type { Db } from '../../platform/database/index.js';
import type { IdentityLookups } from '../identity/index.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { auditRoutes } from './audit.routes.js';
import { AuditEntrySchema } from './audit.schemas.js';
import './audit.tables.js';

export { AuditService, listEvents, type AuditEvent } from './audit.service.js';
// Routes import requestMeta from here too; it lives in the platform (any route needs it).
export { requestMeta, type RequestMeta } from '../../platform/http/request-meta.js';

/**
 * The audit trail. Built once per instance by src/modules/services.ts (`services.audit`);
 * any module that reads or writes patient data receives it as a constructor argument and
 * records: `audit.record(trxOrDb, requestMeta(request), [{ patientId, resourceType,
 * resourceId, action }])`.
 */
export function buildAuditServices(deps: { db: Db; identity: Pick<IdentityLookups, 'accountTimeZone'> }): AuditService {
  return new AuditService(deps.db, new AuditRepository(), (userId) => deps.identity.accountTimeZone(userId));
}

export const auditModule: AppModule = {
  name: 'audit',
  async routes(app, ctx) {
    app.addSchema(AuditEntrySchema);
    await auditRoutes(app, ctx.services.audit);
  },
};
