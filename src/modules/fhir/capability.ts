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
          'Bearer tokens from POST /api/v1/auth/login, or from SMART App Launch (/fhir/R4/.well-known/smart-configuration); the same access rules as the REST API (docs/API.md §9), narrowed by a SMART app’s scopes. Errors are OperationOutcome resources.',
        security: {
          cors: false,
          // The SMART oauth-uris extension (SMART App Launch 2.0 §Conformance) points apps at the endpoints.
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: `${options.baseUrl}/oauth/authorize` },
                { url: 'token', valueUri: `${options.baseUrl}/oauth/token` },
              ],
            },
          ],
          service: [
            { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR', display: 'SMART-on-FHIR' }] },
            { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth', display: 'OAuth' }] },
          ],
          description: 'Authorization: Bearer <access token> (JWT, 15 minutes): a user token, or a SMART app token limited to its scopes.',
        },
        resource: fhir.resourceTypes().map((t) => ({
          type: t.type,
          documentation: t.documentation,
          interaction: [
            ...(t.readable ? [{ code: 'read' }] : []),
            ...(t.versioned ? [{ code: 'vread' }] : []),
            { code: 'search-type' },
            ...(t.creatable ? [{ code: 'create' }] : []),
            ...(t.updatable ? [{ code: 'update' }] : []),
          ],
          versioning: t.versioned ? 'versioned' : t.updatable ? 'versioned-update' : 'no-version',
          ...(t.updatable && { readHistory: false, updateCreate: false }),
          ...(t.creatable && { conditionalCreate: true }),
          ...(t.includes?.length && { searchInclude: t.includes }),
          ...(t.revIncludes?.length && { searchRevInclude: t.revIncludes }),
          searchParam: t.searchParams.map((p) => ({ name: p.name, type: p.type, documentation: p.documentation })),
          ...(t.type === 'Patient' && { operation: [{ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }] }),
        })),
      },
    ],
  };
}
