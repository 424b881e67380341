import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type User = Schemas['User'];
export type Problem = Schemas['Problem'];

interface TokenPair {
  access_token: string;
  refresh_token: string;
  user: User;
}

/**
 * The signed-in session. The access token lives in memory only; the refresh token in
 * sessionStorage (this tab, cleared when it closes) so a reload does not sign the user out.
 * Every API call goes through `authFetch`: a 401 triggers one silent refresh (shared by
 * concurrent callers, since refresh tokens rotate and a reused one revokes the family) and the
 * call is retried once; if the refresh fails the session ends and the app shows the sign-in page.
 */
const REFRESH_KEY = 'carebridge.refresh';
let accessToken: string | null = null;
let currentUser: User | null = null;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<() => void>();

export type EndReason = 'signed-out' | 'expired';
let endReason: EndReason | null = null;

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
const notify = () => listeners.forEach((listener) => listener());

export const session = {
  get user(): User | null {
    return currentUser;
  },
  get endReason(): EndReason | null {
    return endReason;
  },
  hasRefreshToken: () => sessionStorage.getItem(REFRESH_KEY) !== null,
  start(pair: TokenPair) {
    accessToken = pair.access_token;
    currentUser = pair.user;
    endReason = null;
    sessionStorage.setItem(REFRESH_KEY, pair.refresh_token);
    notify();
  },
  end(reason: EndReason) {
    accessToken = null;
    currentUser = null;
    endReason = reason;
    sessionStorage.removeItem(REFRESH_KEY);
    notify();
  },
  /** The refresh token of this tab (sign-out revokes its family). */
  refreshToken: () => sessionStorage.getItem(REFRESH_KEY),
  /** The current access token (the live socket authenticates with it in its first frame). */
  accessToken: () => accessToken,
};

/** One refresh at a time: concurrent 401s wait for the same attempt. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    if (!refreshToken) return false;
    try {
      const res = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: refreshToken }),
      });
      if (!res.ok) return false;
      session.start((await res.json()) as TokenPair);
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  if (accessToken) input.headers.set('authorization', `Bearer ${accessToken}`);
  const res = await fetch(input);
  // A 401 from signing in or proving a factor means a wrong proof, not an expired token: never
  // refreshed and retried (a retry would spend another of the few attempts a code has).
  const isAuthRoute = /^\/api\/v1\/auth\/(login|refresh|mfa\/|webauthn\/login)/.test(new URL(input.url).pathname);
  if (res.status !== 401 || isAuthRoute || !session.hasRefreshToken() || needsStepUp(res)) return res;
  if (!(await refreshSession())) {
    session.end('expired');
    return res;
  }
  retry.headers.set('authorization', `Bearer ${accessToken}`);
  return fetch(retry);
}

/**
 * A 401 that asks for a recent second factor (docs/API.md §1.1, RFC 9470), not for a new access
 * token: refreshing would not help, the user must prove a factor (see StepUp in ui.tsx).
 */
export function needsStepUp(res: Response): boolean {
  return res.status === 401 && (res.headers.get('www-authenticate') ?? '').includes('insufficient_user_authentication');
}

export const api = createClient<paths>({ baseUrl: location.origin, fetch: authFetch });

/** What to tell the user about a failed call: the problem+json `detail` when there is one. */
export function problemText(error: unknown, fallback = 'Something went wrong. Please try again.'): string {
  if (error && typeof error === 'object') {
    const problem = error as Partial<Problem>;
    if (typeof problem.detail === 'string' && problem.detail) return problem.detail;
    if (typeof problem.title === 'string' && problem.title) return problem.title;
  }
  return fallback;
}

/** A network failure (offline, server down) surfaces as a thrown TypeError from fetch. */
export function networkText(err: unknown): string {
  return err instanceof TypeError ? 'The server could not be reached. Check your connection and try again.' : String(err);
}
