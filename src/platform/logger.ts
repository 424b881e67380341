import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import { destination, pino, stdSerializers, type Logger } from 'pino';
import type { Config } from './config.js';

/**
 * Properties of database errors that carry the statement, its bound values or the values
 * of the offending row (PGlite adds `query`/`params`; PostgreSQL's `detail` and `where`
 * quote row values), and of framework errors that may carry a request body. None is logged.
 */
const UNSAFE_ERROR_KEYS = new Set([
  'query',
  'params',
  'parameters',
  'queryOptions',
  'detail',
  'where',
  'internalQuery',
  'hint',
  'body',
  'validation',
  'data',
  'request',
  'response',
  'config',
]);
/** SQLSTATE codes: five digits or capitals. Database messages quote values ("invalid input syntax for type uuid: \"…\""). */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * The `err` serializer of every log line (issue 11): the error's type, message, code and
 * stack, with bound values, statement text, row details and bodies removed, and quoted
 * values in database messages masked. Database errors are logged by constraint and code.
 */
export function safeError(err: unknown): { type: string; message: string; stack: string; [key: string]: unknown } {
  if (!err || typeof err !== 'object') return { type: typeof err, message: String(err), stack: '' };
  const serialized = stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  const out: { type: string; message: string; stack: string; [key: string]: unknown } = { type: 'Error', message: '', stack: '' };
  const isDatabase = typeof serialized.code === 'string' && SQLSTATE.test(serialized.code);
  for (const [key, value] of Object.entries(serialized)) {
    if (UNSAFE_ERROR_KEYS.has(key)) continue;
    if (isDatabase && (key === 'message' || key === 'stack') && typeof value === 'string') out[key] = maskQuoted(value);
    else if (key === 'cause' && value && typeof value === 'object') out[key] = safeError(value);
    else out[key] = value;
  }
  return out;
}

function maskQuoted(text: string): string {
  return text
    .replace(/"[^"\n]*"/g, '"…"')
    .replace(/'[^'\n]*'/g, "'…'")
    .replace(/\(([^()\n]*)\)=\(([^\n]*?)\)/g, '($1)=(…)');
}

/**
 * pino options: JSON lines, request ids, and no secrets or PHI. Request logging is done
 * by our own onResponse hook (route pattern, never the raw URL, whose query string may
 * carry names or tokens), so pino only needs to redact what ends up in error objects.
 */
export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  const redact = {
    paths: [
      'req.headers.authorization',
      'req.headers.cookie',
      '*.password',
      '*.current_password',
      '*.new_password',
      '*.refresh_token',
      '*.access_token',
      '*.token',
      '*.password_hash',
    ],
    censor: '[redacted]',
  };
  const base = { level: config.logLevel, redact, base: { service: 'carebridge' }, serializers: { err: safeError, error: safeError } };
  if (config.logFile) {
    return {
      ...base,
      transport: {
        target: 'pino-roll',
        options: { file: config.logFile, size: '10m', limit: { count: 5 }, mkdir: true },
      },
    };
  }
  return base;
}

/**
 * The logger of the access log (one line per request, app.ts): in production on standard
 * output, a logger of its own whose lines are written in blocks (below); otherwise a child of
 * the app's logger. Its lines have fixed fields and hold no secret, so it skips pino's
 * redaction, which walks every field of every line (~6 % of the CPU of /auth/me;
 * docs/BENCHMARKS.md "Read paths"). Other lines (errors, shutdown) stay unbuffered.
 */
export function accessLogger(config: Config, appLog: Logger | FastifyBaseLogger): Pick<Logger, 'info'> {
  if (config.env !== 'production' || config.logFile) return appLog.child({}, { redact: [] });
  return pino({ level: config.logLevel, base: { service: 'carebridge' } }, bufferedStdout());
}

/**
 * Standard output for the access log in production, written in blocks of ≥ 4 KiB (and at
 * least once a second) instead of one write(2) per request. Still
 * synchronous writes — an asynchronous destination cost more CPU per line than it saved
 * (node, 200k access-log lines: 4.8–7.7 µs per line one write each, 3.6–5.8 µs buffered
 * synchronously, 6.2–8.9 µs buffered asynchronously; to /dev/null and to a pipe;
 * docs/BENCHMARKS.md "Read paths"). What is buffered is written when the process exits
 * (also after a signal, main.ts); a `kill -9` loses at most the last second of log lines.
 */
let stdoutBlocks: ReturnType<typeof destination> | undefined;
function bufferedStdout() {
  // One per process (standard output is one), however many apps the process builds.
  if (stdoutBlocks) return stdoutBlocks;
  const stream = (stdoutBlocks = destination({ dest: 1, sync: true, minLength: 4096 }));
  const flush = () => {
    try {
      stream.flushSync();
    } catch {
      // stdout gone (closed pipe): nothing more can be written.
    }
  };
  setInterval(flush, 1000).unref();
  process.once('exit', flush);
  return stream;
}
