/**
 * FHIR errors are OperationOutcome resources (docs/API.md §9), with the HTTP statuses of §0.
 * Errors raised elsewhere (AppError, schema validation, auth) are mapped to the same shape in
 * fhir.routes.ts, so an integrator never sees problem+json under /fhir/R4.
 */
export type IssueCode =
  | 'invalid'
  | 'not-found'
  | 'not-supported'
  | 'security'
  | 'forbidden'
  | 'login'
  | 'processing'
  | 'too-costly'
  | 'throttled'
  | 'conflict'
  | 'duplicate'
  | 'exception'
  | 'informational';

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: { severity: 'fatal' | 'error' | 'warning' | 'information'; code: IssueCode; diagnostics: string; expression?: string[] }[];
}

export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly issueCode: IssueCode,
    readonly diagnostics: string,
    readonly expression?: string,
  ) {
    super(diagnostics);
  }
}

export function outcome(severity: OperationOutcome['issue'][number]['severity'], code: IssueCode, diagnostics: string, expression?: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics, ...(expression && { expression: [expression] }) }] };
}

export const notFound = (type: string, id: string) => new FhirError(404, 'not-found', `${type}/${id} is not known, or you may not see it.`);
export const invalid = (diagnostics: string, expression?: string) => new FhirError(400, 'invalid', diagnostics, expression);
