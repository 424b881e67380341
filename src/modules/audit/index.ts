import type { AppContext, AppModule } from '../../platform/context.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';
import { auditRoutes } from './audit.routes.js';
import { AuditEntrySchema } from './audit.schemas.js';
import './audit.tables.js';

export { AuditService, requestMeta, type RequestMeta, type AuditEvent } from './audit.service.js';

const instances = new WeakMap<AppContext, AuditService>();

/**
 * The one AuditService of an app instance. Any module that reads or writes patient data
 * records it: `auditFor(ctx).record(trxOrDb, requestMeta(request), [{ patientId,
 * resourceType, resourceId, action }])`.
 */
export function auditFor(ctx: AppContext): AuditService {
  let service = instances.get(ctx);
  if (!service) {
    service = new AuditService(ctx.db, new AuditRepository());
    instances.set(ctx, service);
  }
  return service;
}

export const auditModule: AppModule = {
  name: 'audit',
  async routes(app, ctx) {
    app.addSchema(AuditEntrySchema);
    await auditRoutes(app, auditFor(ctx));
  },
};
