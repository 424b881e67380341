import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

/**
 * One validated configuration object, built once at start-up from the environment.
 * A bad variable stops start-up with a ConfigError that names it, instead of
 * surfacing later as a confusing runtime failure.
 */
export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  dataDir: string;
  /** PostgreSQL connection string; when null the embedded PGlite database is used. */
  databaseUrl: string | null;
  /** Schema to place every table in (PostgreSQL only). Tests use one schema per app instance. */
  databaseSchema: string | null;
  databasePoolSize: number;
  /** Where PGlite keeps its files; `memory` keeps everything in memory (tests). */
  embeddedDatabase: 'memory' | string;
  redisUrl: string | null;
  /** Prefix for every Redis key this instance writes, so test runs and deployments don't collide. */
  redisPrefix: string;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  passwordResetTtlSeconds: number;
  logLevel: string;
  logFile: string | null;
  seedDemo: boolean;
  adminEmail: string | null;
  adminPassword: string | null;
  rateLimitAuthPerMin: number;
  rateLimitApiPerMin: number;
  /** Consecutive failed logins for one account before it is locked out for a while. */
  loginMaxFailures: number;
  loginLockoutSeconds: number;
  bodyLimitBytes: number;
  uploadLimitBytes: number;
  smtpUrl: string | null;
  mailFrom: string;
  publicBaseUrl: string;
  s3: {
    endpoint: string | null;
    bucket: string | null;
    region: string;
    accessKeyId: string | null;
    secretAccessKey: string | null;
    forcePathStyle: boolean;
  };
  /** Argon2id cost. Tests lower it so the suite stays fast; production keeps OWASP's recommendation. */
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === null) return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = str(env, name);
  if (raw === null) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = str(env, name);
  if (raw === null) return fallback;
  if (!allowed.includes(raw as T)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** Reads JWT_SECRET, or generates one and keeps it in DATA_DIR so tokens survive restarts. */
function jwtSecret(env: Env, dataDir: string, persist: boolean): string {
  const given = str(env, 'JWT_SECRET');
  if (given !== null) {
    if (given.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters');
    return given;
  }
  if (!persist) return randomBytes(48).toString('base64url');
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export function loadConfig(env: Env = process.env, overrides: Partial<Config> = {}): Config {
  const mode = oneOf(env, 'NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const dataDir = resolve(str(env, 'DATA_DIR') ?? './data');
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const schema = str(env, 'DATABASE_SCHEMA');
  if (schema !== null && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new ConfigError('DATABASE_SCHEMA', 'must be a lower-case SQL identifier');
  }
  const logLevel = oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info');
  const adminEmail = str(env, 'ADMIN_EMAIL');
  const adminPassword = str(env, 'ADMIN_PASSWORD');
  if ((adminEmail === null) !== (adminPassword === null)) {
    throw new ConfigError(adminEmail === null ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD', 'must be set together with its pair (ADMIN_EMAIL and ADMIN_PASSWORD)');
  }
  if (adminEmail !== null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(adminEmail)) {
    throw new ConfigError('ADMIN_EMAIL', 'is not an email address');
  }
  const inTest = mode === 'test';
  const port = int(env, 'PORT', 8000, 0, 65535);
  const host = str(env, 'HOST') ?? '127.0.0.1';

  const config: Config = {
    env: mode,
    host,
    port,
    dataDir,
    databaseUrl,
    databaseSchema: schema,
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    embeddedDatabase: join(dataDir, 'pglite'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: str(env, 'REDIS_PREFIX') ?? 'carebridge:',
    jwtSecret: jwtSecret(env, dataDir, !inTest),
    accessTokenTtlSeconds: int(env, 'ACCESS_TOKEN_TTL_SECONDS', 15 * 60, 30, 24 * 3600),
    refreshTokenTtlSeconds: int(env, 'REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600, 60, 365 * 24 * 3600),
    passwordResetTtlSeconds: int(env, 'PASSWORD_RESET_TTL_SECONDS', 3600, 60, 7 * 24 * 3600),
    logLevel,
    logFile: str(env, 'LOG_FILE'),
    seedDemo: bool(env, 'SEED_DEMO', false),
    adminEmail: adminEmail?.toLowerCase() ?? null,
    adminPassword,
    rateLimitAuthPerMin: int(env, 'RATE_LIMIT_AUTH_PER_MIN', 10, 1, 1_000_000),
    rateLimitApiPerMin: int(env, 'RATE_LIMIT_API_PER_MIN', 600, 1, 10_000_000),
    loginMaxFailures: int(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
    loginLockoutSeconds: int(env, 'LOGIN_LOCKOUT_SECONDS', 15 * 60, 1, 24 * 3600),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    uploadLimitBytes: int(env, 'UPLOAD_LIMIT_BYTES', 50 * 1024 * 1024, 1024, 5 * 1024 * 1024 * 1024),
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: str(env, 'MAIL_FROM') ?? 'CareBridge <no-reply@carebridge.local>',
    publicBaseUrl: url(env, 'PUBLIC_BASE_URL', ['http:', 'https:']) ?? `http://${host}:${port}`,
    s3: {
      endpoint: url(env, 'S3_ENDPOINT', ['http:', 'https:']),
      bucket: str(env, 'S3_BUCKET'),
      region: str(env, 'S3_REGION') ?? 'us-east-1',
      accessKeyId: str(env, 'S3_ACCESS_KEY_ID'),
      secretAccessKey: str(env, 'S3_SECRET_ACCESS_KEY'),
      forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', true),
    },
    argon2: inTest
      ? { memoryCost: 1024, timeCost: 1, parallelism: 1 }
      : { memoryCost: int(env, 'ARGON2_MEMORY_KIB', 19456, 1024, 1024 * 1024), timeCost: int(env, 'ARGON2_TIME_COST', 2, 1, 20), parallelism: 1 },
  };
  if ((config.s3.bucket === null) !== (config.s3.endpoint === null) && config.s3.bucket === null) {
    throw new ConfigError('S3_BUCKET', 'is required when S3_ENDPOINT is set');
  }
  return { ...config, ...overrides };
}
