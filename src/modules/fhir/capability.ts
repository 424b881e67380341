import type { FhirService } from './fhir.service.js';

/**
 * The CapabilityStatement (GET /fhir/R4/metadata), generated from the handlers FhirService
 * actually has, so it can never list a type, interaction or parameter that isn't implemented.
 */
export function capabilityStatement(fhir: FhirService, options: { baseUrl: string; version: string; date: string }) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: options.date,
    kind: 'instance',
    software: { name: 'CareBridge', version: options.version },
    implementation: { description: 'CareBridge FHIR R4 facade over the clinic data (docs/FHIR.md)', url: `${options.baseUrl}/fhir/R4` },
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Bearer tokens from POST /api/v1/auth/login; the same access rules as the REST API (docs/API.md §9). Errors are OperationOutcome resources.',
        security: {
          cors: false,
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth', display: 'OAuth' }] }],
          description: 'Authorization: Bearer <access token> (JWT, 15 minutes).',
        },
        resource: fhir.resourceTypes().map((t) => ({
          type: t.type,
          documentation: t.documentation,
          interaction: [
            ...(t.readable ? [{ code: 'read' }] : []),
            ...(t.versioned ? [{ code: 'vread' }] : []),
            { code: 'search-type' },
            ...(t.creatable ? [{ code: 'create' }] : []),
          ],
          versioning: t.versioned ? 'versioned' : 'no-version',
          ...(t.includes?.length && { searchInclude: t.includes }),
          searchParam: t.searchParams.map((p) => ({ name: p.name, type: p.type, documentation: p.documentation })),
        })),
      },
    ],
  };
}
