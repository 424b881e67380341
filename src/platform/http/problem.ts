import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type FieldError } from '../errors.js';

/**
 * Maps every error to RFC 9457 problem+json, in one place.
 *  - AppError subclasses carry their own status.
 *  - Schema validation: 422 with `errors[]` (400 is reserved for bodies that can't be parsed);
 *    a malformed id in the path is a 404, since no resource can have it.
 *  - Fastify's own client errors (bad JSON 400, too large 413, media type 415) keep their status.
 *  - Anything else is a bug: logged with its stack, answered as a bare 500.
 */
export const PROBLEM_BASE = 'https://carebridge.dev/problems/';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldError[];
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const FASTIFY_CLIENT_ERRORS: Record<string, { status: number; detail: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, detail: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, detail: 'The request body is empty but Content-Type is application/json.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, detail: 'The request body is larger than the server accepts.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, detail: 'This endpoint does not accept that Content-Type.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, detail: 'Content-Length does not match the body.' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, detail: 'The Content-Type header is invalid.' },
  FST_ERR_BAD_URL: { status: 400, detail: 'The URL is malformed.' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, detail: 'The request could not be routed.' },
};

function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

function pointer(instancePath: string, missing?: string): string {
  const base = instancePath || '';
  return missing ? `${base}/${missing}` : base || '/';
}

interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** One reported error: where, what, and the AJV error(s) it came from. */
interface Reported {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message: string;
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function messageOf(e: AjvError): string {
  const params = (e.params ?? {}) as Record<string, unknown>;
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') return `unknown property "${params.additionalProperty}"`;
  if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) return `must be one of: ${params.allowedValues.map(show).join(', ')}`;
  if (e.keyword === 'const' && 'allowedValue' in params) return `must be ${show(params.allowedValue)}`;
  return e.message ?? 'is invalid';
}

/** Object-level failures: the value had the branch's shape, something inside it is wrong. */
const STRUCTURAL = new Set(['required', 'additionalProperties', 'minProperties', 'maxProperties', 'dependentRequired']);

/**
 * A union (`anyOf`/`oneOf`, e.g. an enum written as literals, or a nullable field) makes AJV
 * report one error per branch plus "must match a schema in anyOf": sixteen "must be equal
 * to constant" for one bad specialty. Each such group becomes ONE message naming what is
 * allowed ("must be one of: a, b, c"), unless the value matched one branch's shape (an
 * object) and failed inside it, in which case that branch's own errors are the useful ones.
 * Innermost unions are collapsed first, so nested ones compose.
 */
function collapseUnions(errors: AjvError[]): Reported[] {
  let list: Reported[] = errors.map((e) => ({
    instancePath: e.instancePath ?? '',
    schemaPath: e.schemaPath ?? '',
    keyword: e.keyword,
    params: (e.params ?? {}) as Record<string, unknown>,
    message: messageOf(e),
  }));
  const unions = list.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const union of unions) {
    const prefix = `${union.schemaPath}/`;
    const branchErrors = list.filter((e) => e !== union && e.schemaPath.startsWith(prefix) && e.instancePath.startsWith(union.instancePath));
    if (branchErrors.length === 0) continue;
    const branchOf = (e: Reported) => Number.parseInt(e.schemaPath.slice(prefix.length), 10);
    const deep = branchErrors.find((e) => e.instancePath.length > union.instancePath.length || STRUCTURAL.has(e.keyword));
    let replacement: Reported[];
    if (deep) {
      const branch = branchOf(deep);
      replacement = branchErrors.filter((e) => branchOf(e) === branch);
    } else {
      const allowed: string[] = [];
      const kinds: string[] = [];
      const others: string[] = [];
      for (const e of branchErrors) {
        if (e.keyword === 'const' && 'allowedValue' in e.params) allowed.push(show(e.params.allowedValue));
        else if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) allowed.push(...e.params.allowedValues.map(show));
        else if (e.keyword === 'type' && typeof e.params.type === 'string') kinds.push(e.params.type);
        else if (e.keyword === 'collapsed' && e.message.startsWith('must be one of: ')) allowed.push(...e.message.slice('must be one of: '.length).split(', '));
        else others.push(e.message.replace(/^must be /, ''));
      }
      const alternatives = [...new Set([...kinds, ...others])];
      const message = allowed.length
        ? `must be one of: ${[...new Set(allowed)].join(', ')}${alternatives.length ? ` (or ${alternatives.join(' or ')})` : ''}`
        : `must be ${alternatives.join(' or ')}`;
      replacement = [{ instancePath: union.instancePath, schemaPath: union.schemaPath, keyword: 'collapsed', params: {}, message }];
    }
    const drop = new Set<Reported>([union, ...branchErrors]);
    const at = list.indexOf(union);
    list = [...list.slice(0, at).filter((e) => !drop.has(e)), ...replacement, ...list.slice(at + 1).filter((e) => !drop.has(e))];
  }
  return list;
}

function validationErrors(error: FastifyError): FieldError[] {
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const e of collapseUnions((error.validation ?? []) as AjvError[])) {
    const missing = typeof e.params.missingProperty === 'string' ? e.params.missingProperty : undefined;
    const path = pointer(e.instancePath, missing);
    const message = missing ? 'is required' : e.message;
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  title: string,
  detail: string,
  extra: { code?: string; errors?: FieldError[]; headers?: Record<string, string> } = {},
) {
  const problem: Problem = {
    type: PROBLEM_BASE + (extra.code ?? slug(title)),
    title,
    status,
    detail,
    instance: request.url.split('?')[0] ?? request.url,
  };
  if (extra.errors?.length) problem.errors = extra.errors;
  for (const [name, value] of Object.entries(extra.headers ?? {})) reply.header(name, value);
  return reply.code(status).type('application/problem+json').send(problem);
}

/**
 * PostgreSQL "data exception" errors (SQLSTATE class 22) raised by a value that came from
 * the request: a NUL character, a malformed date or number, an out-of-range value.
 */
const PG_DATA_EXCEPTIONS: Record<string, string> = {
  '22021': 'A value in the request contains a character that cannot be stored (such as NUL).',
  '22P02': 'A value in the request is not in the expected format.',
  '22007': 'A date or time in the request is not valid.',
  '22008': 'A date or time in the request is out of range.',
  '22003': 'A number in the request is out of range.',
  '22001': 'A value in the request is too long.',
};

function databaseInputError(error: unknown): string | null {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code in PG_DATA_EXCEPTIONS ? PG_DATA_EXCEPTIONS[code]! : null;
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      return sendProblem(reply, request, error.status, error.title, error.detail, { code: error.code, errors: error.errors, headers: error.headers });
    }
    if (error.validation) {
      const context = error.validationContext;
      if (context === 'params') {
        return sendProblem(reply, request, 404, 'Not Found', 'No resource has that identifier.');
      }
      const where = context === 'querystring' ? 'query string' : context === 'headers' ? 'request headers' : 'request body';
      const errors = validationErrors(error);
      // The detail names the first problem, so a curl user sees it without reading errors[].
      const first = errors[0]
        ? ` ${errors[0].path === '/' ? 'The value' : errors[0].path.slice(1)} ${errors[0].message}${errors.length > 1 ? ` (and ${errors.length - 1} more in errors)` : ''}.`
        : '';
      return sendProblem(reply, request, 422, 'Unprocessable Content', `The ${where} failed validation.${first}`, {
        code: 'validation-failed',
        errors,
      });
    }
    const dataError = databaseInputError(error);
    if (dataError) {
      // Validation should have caught this; log it so the gap gets closed, but the client
      // sent something unusable, which is a 400, not our failure.
      request.log.warn({ err: error }, 'database rejected a value from the request');
      return sendProblem(reply, request, 400, 'Bad Request', dataError);
    }
    const known = error.code ? FASTIFY_CLIENT_ERRORS[error.code] : undefined;
    if (known) return sendProblem(reply, request, known.status, STATUS_TITLES[known.status] ?? 'Bad Request', known.detail);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // A client error from a plugin (multipart limits, websocket upgrade...). Its message is
      // written for clients, unlike a 500's.
      return sendProblem(reply, request, status, STATUS_TITLES[status] ?? 'Bad Request', error.message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, request, 500, 'Internal Server Error', 'Something went wrong on our side. The request id identifies it in our logs.');
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, 404, 'Not Found', `No route ${request.method} ${request.url.split('?')[0]}.`));
}
