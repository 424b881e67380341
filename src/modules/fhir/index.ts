import type { AppModule } from '../../platform/context.js';
import { FhirService, type FhirDeps } from './fhir.service.js';
import { fhirRoutes } from './fhir.routes.js';
import { capabilityStatement } from './capability.js';

export { FhirService } from './fhir.service.js';

/** The FHIR R4 facade of one instance (`ctx.services.fhir`), built in src/modules/services.ts. */
export function buildFhirServices(deps: FhirDeps): FhirService {
  return new FhirService(deps);
}

/** FHIR R4 at /fhir/R4 (docs/API.md §9, docs/FHIR.md): read and search over the clinic's data, OperationOutcome errors. */
export const fhirModule: AppModule = {
  name: 'fhir',
  routes() {},
  async rootRoutes(app, ctx) {
    const fhir = ctx.services.fhir;
    const statement = capabilityStatement(fhir, {
      baseUrl: ctx.config.publicBaseUrl,
      version: process.env.npm_package_version ?? '0.1.0',
      date: new Date().toISOString(),
    });
    await app.register((scope) => fhirRoutes(scope, fhir, () => statement), { prefix: '/fhir/R4' });
  },
};
