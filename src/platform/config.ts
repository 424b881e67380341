import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { isIP } from 'node:net';
import { notificationsConfig, type NotificationsConfig } from './jobs/config.js';
import { authConfig, type AuthConfig } from './auth/config.js';
import { smartClientsConfig, type SmartClientConfig } from './auth/smart-config.js';

/**
 * One validated configuration object, built once at start-up from the environment.
 * A bad variable stops start-up with a ConfigError that names it, instead of
 * surfacing later as a confusing runtime failure.
 */
export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  /** Honour X-Forwarded-For (only behind a proxy you control). */
  trustProxy: boolean;
  dataDir: string;
  /** PostgreSQL connection string; when null the embedded PGlite database is used. */
  databaseUrl: string | null;
  /** Schema to place every table in (PostgreSQL only). Tests use one schema per app instance. */
  databaseSchema: string | null;
  databasePoolSize: number;
  /** Where PGlite keeps its files; `memory` keeps everything in memory (tests). */
  embeddedDatabase: 'memory' | string;
  /**
   * PGlite's shared_buffers. PostgreSQL's 128 MB default lives inside the WebAssembly heap
   * and is resident for good once touched; the OS page cache already holds the files.
   */
  embeddedSharedBuffersMb: number;
  /**
   * A PGlite data directory archive (from `dumpDataDir`) an in-memory embedded database starts
   * from instead of running initdb: the test runner makes one already migrated, once per run
   * (scripts/pglite-template.ts), which saves seconds per test file. Ignored for a database on disk.
   */
  embeddedTemplate: string | null;
  redisUrl: string | null;
  /** Prefix for every Redis key this instance writes, so test runs and deployments don't collide. */
  redisPrefix: string;
  jwtSecret: string;
  /**
   * Asymmetric signing (SSO-ready: other services verify our tokens from /.well-known/jwks.json).
   * When set, access tokens are signed with this key instead of JWT_SECRET.
   */
  jwtKeys: { algorithm: 'RS256' | 'ES256' | 'EdDSA'; privateKeyPem: string; publicKeyPem: string; kid: string } | null;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** How long a verified session is trusted without a database check (0: check every request). */
  sessionCacheSeconds: number;
  /** How long a rendered hot read (own appointment list) is kept per instance; writes drop it at once (0: off). */
  pageCacheSeconds: number;
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
  /** How long to wait for an SMTP server to connect and greet (a send may take 3× this). */
  smtpTimeoutMs: number;
  publicBaseUrl: string;
  /** SMART on FHIR apps that may ask patients and clinicians for access (SMART_CLIENTS). */
  smartClients: SmartClientConfig[];
  s3: {
    endpoint: string | null;
    bucket: string | null;
    region: string;
    accessKeyId: string | null;
    secretAccessKey: string | null;
    forcePathStyle: boolean;
  };
  /**
   * Azure Blob Storage (docs/STORAGE.md), chosen when AZURE_STORAGE_CONNECTION_STRING is set:
   * the connection string (account key or SAS; a secret, never logged) and an existing container.
   */
  azure: { connectionString: string | null; container: string | null };
  /** How often the symptom checker folds pending feedback into a new model version. */
  symptomLearningIntervalSeconds: number;
  /** An ONNX skin-image classifier (docs/DERMA.md "Pluggable model"); null: the rule-based analyser alone. */
  dermaModelPath: string | null;
  /**
   * Optional OpenAI-compatible model for the assistants (docs/ASSISTANTS.md "Optional model"): LLM_BASE_URL
   * (…/v1), LLM_MODEL, LLM_API_KEY (may be empty for a local server). null: the owned understanding alone.
   */
  assistantModel: { baseUrl: string; model: string; apiKey: string | null } | null;
  /** Argon2id cost. Tests lower it so the suite stays fast; production keeps OWASP's recommendation. */
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** The longest a client may take to send one whole request, headers and body (slow clients are dropped). */
  requestTimeoutSeconds: number;
  /** /metrics restrictions: a bearer token and/or the client addresses allowed (empty: no restriction of that kind). */
  metrics: { token: string | null; allowIps: string[] };
  /** Job queue, reminder offsets and web push (src/platform/jobs/config.ts). */
  notifications: NotificationsConfig;
  /** Second factors, step-up, passkeys and OpenID Connect providers (src/platform/auth/config.ts). */
  auth: AuthConfig;
  /** Real-time sockets: server ping interval and how long presence outlives a silent connection. */
  realtime: { heartbeatSeconds: number; presenceTtlSeconds: number };
  /** Video: STUN/TURN for WebRTC (TURN REST credentials) and an optional token provider. */
  video: {
    stunUrls: string[];
    turnUrls: string[];
    turnSecret: string | null;
    turnTtlSeconds: number;
    agora: { appId: string; appCertificate: string } | null;
    livekit: { url: string; apiKey: string; apiSecret: string } | null;
  };
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

function assistantModelConfig(env: Env): Config['assistantModel'] {
  const baseUrl = url(env, 'LLM_BASE_URL', ['http:', 'https:']);
  const model = str(env, 'LLM_MODEL');
  if (!baseUrl && !model) return null;
  if (!baseUrl || !model) throw new ConfigError(baseUrl ? 'LLM_MODEL' : 'LLM_BASE_URL', 'must be set together with the other (LLM_BASE_URL and LLM_MODEL)');
  return { baseUrl: baseUrl.replace(/\/+$/, ''), model, apiKey: str(env, 'LLM_API_KEY') };
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

/** Reads JWT_PRIVATE_KEY_FILE (PEM); the algorithm follows from the key type. */
function jwtKeys(env: Env): Config['jwtKeys'] {
  const file = str(env, 'JWT_PRIVATE_KEY_FILE');
  if (file === null) return null;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError('JWT_PRIVATE_KEY_FILE', `cannot be read (${file})`);
  }
  let key;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError('JWT_PRIVATE_KEY_FILE', 'is not a PEM private key');
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  let algorithm: 'RS256' | 'ES256' | 'EdDSA';
  if (type === 'rsa' && (details?.modulusLength ?? 0) >= 2048) algorithm = 'RS256';
  else if (type === 'ec' && details?.namedCurve === 'prime256v1') algorithm = 'ES256';
  else if (type === 'ed25519') algorithm = 'EdDSA';
  else throw new ConfigError('JWT_PRIVATE_KEY_FILE', 'must be an RSA (≥ 2048 bits), EC P-256 or Ed25519 key');
  const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  const kid = createHash('sha256').update(publicKeyPem).digest('base64url').slice(0, 16);
  return { algorithm, privateKeyPem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKeyPem, kid };
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

  const publicBaseUrl = url(env, 'PUBLIC_BASE_URL', ['http:', 'https:']) ?? `http://${host}:${port}`;
  const config: Config = {
    env: mode,
    host,
    port,
    trustProxy: bool(env, 'TRUST_PROXY', false),
    dataDir,
    databaseUrl,
    databaseSchema: schema,
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    embeddedDatabase: join(dataDir, 'pglite'),
    embeddedSharedBuffersMb: int(env, 'PGLITE_SHARED_BUFFERS_MB', 16, 1, 1024),
    embeddedTemplate: existingFile(env, 'PGLITE_TEMPLATE'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix: str(env, 'REDIS_PREFIX') ?? 'carebridge:',
    jwtSecret: jwtSecret(env, dataDir, !inTest),
    jwtKeys: jwtKeys(env),
    accessTokenTtlSeconds: int(env, 'ACCESS_TOKEN_TTL_SECONDS', 15 * 60, 30, 24 * 3600),
    refreshTokenTtlSeconds: int(env, 'REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600, 60, 365 * 24 * 3600),
    sessionCacheSeconds: int(env, 'SESSION_CACHE_SECONDS', 5, 0, 60),
    pageCacheSeconds: int(env, 'PAGE_CACHE_SECONDS', 5, 0, 60),
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
    smtpTimeoutMs: int(env, 'SMTP_TIMEOUT_MS', 10_000, 100, 120_000),
    publicBaseUrl,
    s3: {
      endpoint: url(env, 'S3_ENDPOINT', ['http:', 'https:']),
      bucket: str(env, 'S3_BUCKET'),
      region: str(env, 'S3_REGION') ?? 'us-east-1',
      accessKeyId: str(env, 'S3_ACCESS_KEY_ID'),
      secretAccessKey: str(env, 'S3_SECRET_ACCESS_KEY'),
      forcePathStyle: bool(env, 'S3_FORCE_PATH_STYLE', true),
    },
    azure: azureStorageConfig(env),
    symptomLearningIntervalSeconds: int(env, 'SYMPTOM_LEARNING_INTERVAL_SECONDS', 3600, 10, 7 * 24 * 3600),
    dermaModelPath: str(env, 'DERMA_MODEL_PATH'),
    assistantModel: assistantModelConfig(env),
    argon2: inTest
      ? { memoryCost: 1024, timeCost: 1, parallelism: 1 }
      : { memoryCost: int(env, 'ARGON2_MEMORY_KIB', 19456, 1024, 1024 * 1024), timeCost: int(env, 'ARGON2_TIME_COST', 2, 1, 20), parallelism: 1 },
    requestTimeoutSeconds: int(env, 'REQUEST_TIMEOUT_SECONDS', 120, 1, 3600),
    metrics: metricsConfig(env),
    notifications: notificationsConfig(env, (variable, message) => new ConfigError(variable, message)),
    realtime: {
      heartbeatSeconds: int(env, 'WS_HEARTBEAT_SECONDS', 10, 1, 300),
      presenceTtlSeconds: int(env, 'PRESENCE_TTL_SECONDS', 30, 2, 3600),
    },
    video: videoConfig(env),
    auth: authConfig(env, publicBaseUrl),
    smartClients: smartClientsConfig(env),
  };
  if ((config.s3.bucket === null) !== (config.s3.endpoint === null) && config.s3.bucket === null) {
    throw new ConfigError('S3_BUCKET', 'is required when S3_ENDPOINT is set');
  }
  if (config.s3.bucket !== null && config.azure.connectionString !== null) {
    throw new ConfigError('AZURE_STORAGE_CONNECTION_STRING', 'and S3_BUCKET are both set: choose one storage backend (docs/STORAGE.md)');
  }
  return { ...config, ...overrides };
}

function urlList(env: Env, name: string, schemes: string[]): string[] {
  const raw = str(env, name);
  if (raw === null) return [];
  const list = raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const item of list) {
    const scheme = item.split(':')[0] ?? '';
    if (!schemes.includes(scheme) || item.length <= scheme.length + 1)
      throw new ConfigError(name, `entries must be ${schemes.join(' or ')} URLs, got "${item}"`);
  }
  return list;
}

function metricsConfig(env: Env): Config['metrics'] {
  const token = str(env, 'METRICS_TOKEN');
  if (token !== null && token.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters');
  const allowIps = (str(env, 'METRICS_ALLOW_IPS') ?? '')
    .split(',')
    .map((ip) => ip.trim())
    .filter(Boolean);
  for (const ip of allowIps) if (isIP(ip) === 0) throw new ConfigError('METRICS_ALLOW_IPS', `entries must be IP addresses, got "${ip}"`);
  return { token, allowIps };
}

/**
 * AZURE_STORAGE_CONNECTION_STRING and AZURE_STORAGE_CONTAINER, checked here so a typo stops
 * start-up instead of failing the first upload. The SDK is not loaded for this (it is imported
 * on first use, src/platform/storage/azure.ts): the string is checked for the shapes Azure
 * documents — `UseDevelopmentStorage=true` (Azurite), an account name with an account key, or a
 * SAS with a blob endpoint. Messages never repeat the value: it holds the account key.
 */
function azureStorageConfig(env: Env): Config['azure'] {
  const connectionString = str(env, 'AZURE_STORAGE_CONNECTION_STRING');
  const container = str(env, 'AZURE_STORAGE_CONTAINER');
  if ((connectionString === null) !== (container === null)) {
    throw new ConfigError(
      connectionString === null ? 'AZURE_STORAGE_CONNECTION_STRING' : 'AZURE_STORAGE_CONTAINER',
      'must be set together with its pair (AZURE_STORAGE_CONNECTION_STRING and AZURE_STORAGE_CONTAINER)',
    );
  }
  if (connectionString === null || container === null) return { connectionString: null, container: null };
  const name = 'AZURE_STORAGE_CONNECTION_STRING';
  const parts = new Map<string, string>();
  for (const piece of connectionString.split(';')) {
    if (piece.trim() === '') continue;
    const at = piece.indexOf('=');
    if (at <= 0) throw new ConfigError(name, 'must be a list of Key=Value pairs separated by ";" (copy it from the storage account\'s "Access keys")');
    parts.set(piece.slice(0, at).trim().toLowerCase(), piece.slice(at + 1).trim());
  }
  const development = parts.get('usedevelopmentstorage')?.toLowerCase() === 'true';
  const protocol = parts.get('defaultendpointsprotocol');
  if (protocol !== undefined && protocol !== 'http' && protocol !== 'https')
    throw new ConfigError(name, 'has a DefaultEndpointsProtocol other than http or https');
  const endpoint = parts.get('blobendpoint');
  if (endpoint !== undefined) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(endpoint);
    } catch {
      // reported below
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw new ConfigError(name, 'has a BlobEndpoint that is not an http(s) URL');
  }
  const key = parts.get('accountkey');
  if (key !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) throw new ConfigError(name, 'has an AccountKey that is not base64');
  const withKey = Boolean(parts.get('accountname')) && Boolean(key);
  const withSas = Boolean(parts.get('sharedaccesssignature')) && endpoint !== undefined;
  if (!development && !withKey && !withSas) {
    throw new ConfigError(name, 'needs AccountName and AccountKey, or BlobEndpoint and SharedAccessSignature (or UseDevelopmentStorage=true for Azurite)');
  }
  // Azure's container naming rules: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit.
  if (!/^(?=.{3,63}$)[a-z0-9]+(?:-[a-z0-9]+)*$/.test(container)) {
    throw new ConfigError(
      'AZURE_STORAGE_CONTAINER',
      `must be an Azure container name (3-63 lower-case letters, digits and single hyphens), got "${container}"`,
    );
  }
  return { connectionString, container };
}

function videoConfig(env: Env): Config['video'] {
  const turnUrls = urlList(env, 'TURN_URLS', ['turn', 'turns']);
  const turnSecret = str(env, 'TURN_SECRET');
  if (turnUrls.length && turnSecret === null) throw new ConfigError('TURN_SECRET', 'is required when TURN_URLS is set');
  if (turnSecret !== null && turnSecret.length < 16) throw new ConfigError('TURN_SECRET', 'must be at least 16 characters');
  const appId = str(env, 'AGORA_APP_ID');
  const appCertificate = str(env, 'AGORA_APP_CERTIFICATE');
  if ((appId === null) !== (appCertificate === null))
    throw new ConfigError(
      appId === null ? 'AGORA_APP_ID' : 'AGORA_APP_CERTIFICATE',
      'must be set together with its pair (AGORA_APP_ID and AGORA_APP_CERTIFICATE)',
    );
  if (appId !== null && !/^[0-9a-f]{32}$/i.test(appId)) throw new ConfigError('AGORA_APP_ID', 'must be 32 hexadecimal characters');
  if (appCertificate !== null && !/^[0-9a-f]{32}$/i.test(appCertificate)) throw new ConfigError('AGORA_APP_CERTIFICATE', 'must be 32 hexadecimal characters');
  const lkUrl = url(env, 'LIVEKIT_URL', ['ws:', 'wss:', 'http:', 'https:']);
  const lkKey = str(env, 'LIVEKIT_API_KEY');
  const lkSecret = str(env, 'LIVEKIT_API_SECRET');
  const lkSet = [lkUrl, lkKey, lkSecret].filter((v) => v !== null).length;
  if (lkSet > 0 && lkSet < 3) {
    const missing = lkUrl === null ? 'LIVEKIT_URL' : lkKey === null ? 'LIVEKIT_API_KEY' : 'LIVEKIT_API_SECRET';
    throw new ConfigError(missing, 'must be set together with LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET');
  }
  return {
    stunUrls: urlList(env, 'STUN_URLS', ['stun', 'stuns']),
    turnUrls,
    turnSecret,
    turnTtlSeconds: int(env, 'TURN_TTL_SECONDS', 3600, 60, 48 * 3600),
    agora: appId && appCertificate ? { appId, appCertificate } : null,
    livekit: lkUrl && lkKey && lkSecret ? { url: lkUrl, apiKey: lkKey, apiSecret: lkSecret } : null,
  };
}

function existingFile(env: Env, name: string): string | null {
  const path = str(env, name);
  if (path !== null && !existsSync(path)) throw new ConfigError(name, `names a file that does not exist ("${path}")`);
  return path;
}
