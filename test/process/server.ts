import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { completeLogin, type Post } from '../helpers/mfa.js';

/**
 * The real server as a child process, for what `app.inject` cannot show: signals, kill -9,
 * restarts on the same data, kept-alive sockets. Under `npm test` it runs on PGlite in a
 * temporary DATA_DIR; under `npm run test:services` on the run's PostgreSQL database (a
 * schema of its own, dropped by `cleanup`) and Redis (a key prefix of its own).
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const ADMIN = { email: 'admin@process.test', password: 'process-test-admin-password' };

/** One place (per test file) that several server runs share: the data directory, the schema. */
export interface Site {
  dataDir: string;
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export function site(): Site {
  const dataDir = mkdtempSync(join(tmpdir(), 'carebridge-process-'));
  const tag = `p${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const services = Boolean(process.env.DATABASE_URL);
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    // Production mode on purpose: real argon2 cost, JWT secret kept in DATA_DIR across restarts.
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    SEED_DEMO: 'false',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    ARGON2_MEMORY_KIB: '1024',
    ARGON2_TIME_COST: '1',
    RATE_LIMIT_AUTH_PER_MIN: '1000000',
    RATE_LIMIT_API_PER_MIN: '10000000',
  };
  if (services) {
    env.DATABASE_SCHEMA = tag;
    env.REDIS_PREFIX = `${process.env.TEST_REDIS_PREFIX ?? 'carebridge-test:'}${tag}:`;
  }
  return {
    dataDir,
    env,
    async cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
      // The schema goes with the test database at the end of the run (see test/helpers/build.ts:
      // dropping it here races other files' migrators).
    },
  };
}

export interface Running {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  base: string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
  /** Every stdout line so far (JSON log lines and the banner). */
  lines: string[];
  /** Resolves when a stdout line matches. */
  waitForLine(pattern: RegExp): Promise<string>;
}

/**
 * Starts `command` (default: the TypeScript entry through tsx's loader, in this process's
 * Node) and resolves once the banner names the port it listens on.
 */
export async function startServer(
  s: Site,
  command: string[] = [process.execPath, '--import', 'tsx', 'src/main.ts'],
  extraEnv: Record<string, string> = {},
): Promise<Running> {
  const { npm_lifecycle_event: _lifecycle, ...inherited } = process.env;
  const child = spawn(command[0]!, command.slice(1), { cwd: ROOT, env: { ...inherited, ...s.env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const exited = new Promise<number | string>((resolveExit) => child.once('exit', (code, signal) => resolveExit(code ?? signal ?? -1)));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const waitForLine = (pattern: RegExp) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolveLine, reject) => {
      waiters.push({ pattern, resolve: resolveLine });
      void exited.then((code) => reject(new Error(`server exited (${code}) before printing ${pattern}\n${stderr}\n${lines.slice(-20).join('\n')}`)));
    });
  };
  const banner = await waitForLine(/CareBridge is running on http:\/\/[\d.]+:\d+/);
  const base = banner.match(/http:\/\/[\d.]+:\d+/)![0];
  return { child, base, exited, lines, waitForLine };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/** One HTTP request; `agent` chooses the connection policy (keep-alive or not). */
export function request(base: string, method: string, path: string, options: { body?: unknown; token?: string; agent?: http.Agent } = {}): Promise<Reply> {
  return new Promise((resolveReply, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      `${base}${path}`,
      {
        method,
        agent: options.agent ?? false,
        headers: {
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolveReply({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export const PASSWORD = 'process-test-password-1';

/** Signs up a new account over HTTP (doctors then await approval). */
export async function register(base: string, role: 'patient' | 'doctor', agent?: http.Agent): Promise<{ email: string; reply: Reply }> {
  const email = `${role}-${randomBytes(6).toString('hex')}@process.test`;
  return {
    email,
    reply: await request(base, 'POST', '/api/v1/auth/register', { body: { email, password: PASSWORD, full_name: `Process ${role}`, role }, agent }),
  };
}

/** Signs in; an admin's required second factor goes through the real flow (test/helpers/mfa.ts). */
export async function login(base: string, email: string, password: string): Promise<{ token: string; id: string }> {
  const res = await request(base, 'POST', '/api/v1/auth/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  const post: Post = async (path, body, headers) => {
    const reply = await request(base, 'POST', path, { body, token: headers?.authorization?.replace(/^Bearer /, '') });
    return { status: reply.status, body: reply.body };
  };
  const pair = await completeLogin(post, email, res.body);
  return { token: pair.access_token, id: pair.user.id };
}

/** Builds the production entry once (into node_modules/.cache, so package imports resolve). */
export function buildProduction(): string {
  const outdir = join(ROOT, 'node_modules', '.cache', `carebridge-dist-${process.pid}`);
  const result = spawnSync(process.execPath, ['scripts/build.mjs', `--outdir=${outdir}`], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`npm run build failed:\n${result.stdout}\n${result.stderr}`);
  return outdir;
}

/**
 * A test file's production server: built once before its tests (`node dist/main.js`) on one data
 * site, both removed after. `start()` starts it (again) on the same data.
 */
export function productionServer(hooks: { before(fn: () => void): void; after(fn: () => Promise<void>): void }): { start(): Promise<Running> } {
  let dist = '';
  let place: Site | undefined;
  hooks.before(() => {
    dist = buildProduction();
    place = site();
  });
  hooks.after(async () => {
    rmSync(dist, { recursive: true, force: true });
    await place?.cleanup();
  });
  return { start: () => startServer(place!, [process.execPath, join(dist, 'main.js')]) };
}
