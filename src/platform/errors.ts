/**
 * The one error hierarchy of the service. Services throw these; the HTTP layer maps
 * them once to RFC 9457 problem+json (see http/problem.ts). Anything else that reaches
 * the handler is a bug and becomes a 500 without details.
 */
export interface FieldError {
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail?: string,
    readonly errors?: FieldError[],
    /** Short machine-readable slug, used in the problem `type` URI. */
    readonly code: string = title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
    this.name = new.target.name;
  }

  get detail(): string {
    return this.message;
  }
}

export class BadRequestError extends AppError {
  constructor(detail: string, errors?: FieldError[]) {
    super(400, 'Bad Request', detail, errors);
  }
}

export class UnauthorizedError extends AppError {
  constructor(detail = 'Authentication is required.') {
    super(401, 'Unauthorized', detail, undefined, 'unauthorized', { 'www-authenticate': 'Bearer' });
  }
}

export class ForbiddenError extends AppError {
  constructor(detail = 'You are not allowed to do this.') {
    super(403, 'Forbidden', detail);
  }
}

/** Also used where an object exists but the caller may not know it does. */
export class NotFoundError extends AppError {
  constructor(resource = 'Resource', detail?: string) {
    super(404, 'Not Found', detail ?? `${resource} not found.`);
  }
}

export class ConflictError extends AppError {
  constructor(detail: string, code = 'conflict') {
    super(409, 'Conflict', detail, undefined, code);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(detail: string) {
    super(413, 'Payload Too Large', detail);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(detail: string) {
    super(415, 'Unsupported Media Type', detail);
  }
}

export class ValidationError extends AppError {
  constructor(detail: string, errors?: FieldError[]) {
    super(422, 'Unprocessable Content', detail, errors, 'validation-failed');
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, detail = 'Too many requests; try again later.') {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
    super(429, 'Too Many Requests', detail, undefined, 'rate-limited', { 'retry-after': String(seconds) });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(title: string, detail: string) {
    super(503, title, detail, undefined, 'service-unavailable');
  }
}
