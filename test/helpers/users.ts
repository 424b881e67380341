import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { BuiltApp } from '../../src/app.js';
import type { Role } from '../../src/platform/auth/tokens.js';
import { completeLogin, stepUp as stepUpFlow, type Post } from './mfa.js';

export const GOOD_PASSWORD = 'correct horse battery staple';

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: Role;
  token: string;
  refreshToken: string;
  /** `{ authorization: 'Bearer …' }` for app.inject. */
  auth: { authorization: string };
}

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}@example.test`;
}

/** A fresh client address, so helpers don't trip the per-IP auth rate limit meant for real clients. */
export function randomIp(): string {
  const octet = () => Math.floor(Math.random() * 250) + 1;
  return `10.${octet()}.${octet()}.${octet()}`;
}

/** POST over app.inject, from a fresh client address (see randomIp). */
export function injectPost(app: FastifyInstance): Post {
  return async (url, payload, headers) => {
    const res = await app.inject({ method: 'POST', url, payload, headers, remoteAddress: randomIp() });
    return { status: res.statusCode, body: res.json() };
  };
}

/**
 * Signs in with a password. When the reply is `mfa_required` (admins must use a second
 * factor; accounts with one always do) it goes on through the real flow: enrols an
 * authenticator app the first time, verifies a code of it after (test/helpers/mfa.ts).
 */
export async function login(app: FastifyInstance, email: string, password: string) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: randomIp() });
  if (res.statusCode !== 200) throw new Error(`login failed ${res.statusCode}: ${res.body}`);
  return completeLogin(injectPost(app), email, res.json()) as Promise<{ access_token: string; refresh_token: string; user: { id: string } }>;
}

/**
 * A token with a second factor proved just now (prescribing, role changes and exports need
 * one within 10 minutes, docs/API.md §1.1): enrols TOTP the first time, then verifies codes.
 * Updates `user` in place (token, refreshToken, auth) and returns it.
 */
export async function stepUp(built: BuiltApp, user: TestUser): Promise<TestUser> {
  const pair = await stepUpFlow(injectPost(built.app), user.email, user.token, user.password);
  user.token = pair.access_token;
  user.refreshToken = pair.refresh_token;
  user.auth = { authorization: `Bearer ${pair.access_token}` };
  return user;
}

/**
 * Creates a signed-in user of any role. Doctors and nurses are approved (through the
 * admin API when `approvedBy` is given, otherwise directly) unless `pending` is set.
 */
export async function createUser(
  built: BuiltApp,
  role: Role,
  options: { pending?: boolean; fullName?: string; email?: string; /** a token with a fresh second factor (see stepUp) */ stepUp?: boolean } = {},
): Promise<TestUser> {
  const { app, ctx } = built;
  const email = options.email ?? uniqueEmail(role);
  const fullName = options.fullName ?? `Test ${role} ${randomBytes(2).toString('hex')}`;
  if (role === 'admin') {
    await ctx.services.identity.identity.ensureAdmin(email, GOOD_PASSWORD, fullName);
  } else {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: GOOD_PASSWORD, full_name: fullName, role },
      remoteAddress: randomIp(),
    });
    if (res.statusCode !== 201) throw new Error(`register failed ${res.statusCode}: ${res.body}`);
    if (role !== 'patient' && !options.pending) {
      await ctx.db.updateTable('users').set({ status: 'active', approved_at: new Date() }).where('email', '=', email).execute();
    }
  }
  const session = await login(app, email, GOOD_PASSWORD);
  const user: TestUser = {
    id: session.user.id,
    email,
    password: GOOD_PASSWORD,
    role,
    token: session.access_token,
    refreshToken: session.refresh_token,
    auth: { authorization: `Bearer ${session.access_token}` },
  };
  return options.stepUp ? stepUp(built, user) : user;
}
