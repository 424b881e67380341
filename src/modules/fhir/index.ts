import type { AppModule } from '../../platform/context.js';
import { FhirService, type FhirDeps } from './fhir.service.js';
import { fhirRoutes } from './fhir.routes.js';
import { capabilityStatement } from './capability.js';
import { SmartService, type SmartDeps } from './smart/smart.service.js';
import { smartApiRoutes, smartOAuthRoutes } from './smart/smart.routes.js';

export { FhirService } from './fhir.service.js';

/** The FHIR R4 facade and SMART App Launch of one instance (`ctx.services.fhir`), built in src/modules/services.ts. */
export interface FhirServices {
  fhir: FhirService;
  smart: SmartService;
}

export function buildFhirServices(deps: FhirDeps & Pick<SmartDeps, 'config' | 'identity'>): FhirServices {
  return { fhir: new FhirService(deps), smart: new SmartService(deps) };
}

/**
 * FHIR R4 at /fhir/R4 (docs/API.md §9, docs/FHIR.md): read, search and a few writes over the clinic's
 * data, OperationOutcome errors; SMART App Launch (discovery, /oauth/authorize, /oauth/token, and the
 * consent page's /api/v1/smart/* calls).
 */
export const fhirModule: AppModule = {
  name: 'fhir',
  async routes(app, ctx) {
    await smartApiRoutes(app, ctx.services.fhir.smart);
  },
  async rootRoutes(app, ctx) {
    const { fhir, smart } = ctx.services.fhir;
    const statement = capabilityStatement(fhir, {
      baseUrl: ctx.config.publicBaseUrl,
      version: process.env.npm_package_version ?? '0.1.0',
      date: new Date().toISOString(),
    });
    await app.register((scope) => fhirRoutes(scope, fhir, () => statement, smart), { prefix: '/fhir/R4' });
    await app.register((scope) => smartOAuthRoutes(scope, smart));
  },
};
