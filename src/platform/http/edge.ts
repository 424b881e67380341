import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { PROBLEM_BASE, sendProblem } from './problem.js';

/** Longest request target (path and query) accepted; longer is 414. Node's 16 KB header limit still applies above it (431). */
export const MAX_URL_LENGTH = 8 * 1024;

/**
 * The HTTP edge (issue 11, item 7):
 *  - security headers through helmet on every reply, errors included: nosniff, no
 *    framing (X-Frame-Options DENY and frame-ancestors 'none'), Referrer-Policy no-referrer,
 *    and a Content-Security-Policy that lets /docs (Swagger UI) and /redoc run from our own
 *    origin only (their scripts are files, not inline; both need inline styles, data: images
 *    and, for ReDoc, a blob: worker);
 *  - `Cache-Control: no-store` on every reply to an authenticated request and on every
 *    /api/v1/auth reply (login and refresh carry tokens), so no shared or browser cache keeps
 *    patient data or tokens;
 *  - 414 problem+json for an over-long request target.
 */
export async function registerEdge(app: FastifyInstance): Promise<void> {
  // Built once: @fastify/helmet rebuilt this middleware — parsing the CSP directives — on every
  // request, ~9 % of the CPU of a small authenticated reply (docs/BENCHMARKS.md, "Read paths").
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
  // The headers helmet sets do not depend on the request (no nonces, static directives): run it
  // once against a recording response and set the same headers on every reply, without its
  // chain of ~13 middlewares per request (6–7 % of the CPU of a cached list read,
  // docs/BENCHMARKS.md "Read paths"). test/security/http-edge checks the headers.
  const headers = recordHeaders(securityHeaders);
  const names = headers.map(([name]) => name);
  const values = headers.map(([, value]) => value);
  // On every reply, errors and 404s included; Swagger UI's own CSP option is not used (it would
  // replace this policy per route), the one policy above covers it.
  app.addHook('onRequest', (_request, reply, done) => {
    const raw = reply.raw;
    for (let i = 0; i < names.length; i++) raw.setHeader(names[i]!, values[i]!);
    done();
  });

  // Callback form: every request passes here, and an async hook costs a promise each.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.raw.url && request.raw.url.length > MAX_URL_LENGTH) {
      sendProblem(reply, request, 414, 'URI Too Long', `The request target is longer than ${MAX_URL_LENGTH} characters; send long inputs in a request body.`);
      return;
    }
    done();
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.headers.authorization || request.actor || request.url.startsWith('/api/v1/auth')) {
      reply.header('cache-control', 'no-store');
    }
    done(null, payload);
  });
}

/** The headers a helmet middleware sets, in order, found by running it once on a stand-in response. */
function recordHeaders(middleware: ReturnType<typeof helmet>): [string, string | string[]][] {
  const set = new Map<string, string | string[]>();
  const res = {
    setHeader(name: string, value: string | string[]) {
      set.set(name, value);
      return res;
    },
    removeHeader(name: string) {
      set.delete(name);
    },
  };
  let failed: unknown = null;
  middleware({ headers: {}, method: 'GET', url: '/' } as never, res as never, (err?: unknown) => (failed = err ?? null));
  if (failed) throw failed instanceof Error ? failed : new Error(String(failed));
  return [...set];
}

const CLIENT_ERRORS: Record<string, { status: number; title: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, title: 'Request Header Fields Too Large', detail: 'The request headers are too large.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, title: 'Request Timeout', detail: 'The request was not received in time.' },
  ERR_HTTP_HEADERS_TIMEOUT: { status: 408, title: 'Request Timeout', detail: 'The request headers were not received in time.' },
};

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (headers too large, a
 * request or its headers too slow, malformed HTTP): answered as problem+json and closed,
 * instead of Node's or Fastify's plain replies. A request line alone over the header limit
 * is a 414 (URI Too Long), other header overflows 431.
 */
export function clientErrorHandler(error: Error, socket: Socket): void {
  const err = error as Error & { code?: string; rawPacket?: unknown };
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  let problem = (err.code && CLIENT_ERRORS[err.code]) || { status: 400, title: 'Bad Request', detail: 'The request is not valid HTTP.' };
  if (err.code === 'HPE_HEADER_OVERFLOW' && Buffer.isBuffer(err.rawPacket)) {
    const lineEnd = err.rawPacket.indexOf('\r\n');
    if (lineEnd === -1 || lineEnd > MAX_URL_LENGTH)
      problem = { status: 414, title: 'URI Too Long', detail: `The request target is longer than ${MAX_URL_LENGTH} characters.` };
  }
  const body = JSON.stringify({
    type: PROBLEM_BASE + problem.title.toLowerCase().replace(/\s+/g, '-'),
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
  });
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Errors Fastify raises before routing (a malformed percent-encoded URL, a failing
 * constraint): problem+json like every other error, with the headers the hooks would add.
 */
export function frameworkErrors(error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff').header('cache-control', 'no-store');
  const detail = error.code === 'FST_ERR_BAD_URL' ? 'The request URL is not valid (malformed percent-encoding).' : 'The request could not be routed.';
  void sendProblem(reply, request, 400, 'Bad Request', detail);
}
