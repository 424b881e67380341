import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';

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
  const base = { level: config.logLevel, redact, base: { service: 'carebridge' } };
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
