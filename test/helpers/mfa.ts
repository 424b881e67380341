import { totpCode, TOTP_PERIOD_SECONDS } from '../../src/modules/identity/second-factor.js';

/**
 * The real second-factor flows (docs/API.md §1.1) for test helpers, over any transport:
 * `post(url, body, headers)` is app.inject in-process or HTTP against a started server.
 * Admins must use a second factor (MFA_REQUIRED_ROLES defaults to admin), so signing one in
 * enrols an authenticator app the first time; the helpers remember each account's secret
 * and recovery codes (per test process) to answer later sign-ins and step-ups.
 */
export type Post = (url: string, body: Record<string, unknown>, headers?: Record<string, string>) => Promise<{ status: number; body: any }>;

interface Known {
  secret: string;
  lastStep: number;
  recoveryCodes: string[];
}

const known = new Map<string, Known>();

export function knownSecret(email: string): string | undefined {
  return known.get(email.toLowerCase())?.secret;
}

/** The next proof the server will accept: a code of an unused step within ±1, else a recovery code. */
export function nextProof(email: string): { code: string } | { recovery_code: string } {
  const entry = known.get(email.toLowerCase());
  if (!entry) throw new Error(`no authenticator app known for ${email}`);
  const seconds = Date.now() / 1000;
  const now = Math.floor(seconds / TOTP_PERIOD_SECONDS);
  // The previous step's code is accepted only until the current step ends: in its second half
  // too little time may be left to type it (a browser journey at load 40-65 ran out of it).
  const oldest = seconds - now * TOTP_PERIOD_SECONDS > TOTP_PERIOD_SECONDS / 2 ? now : now - 1;
  const step = Math.max(oldest, entry.lastStep + 1);
  if (step <= now + 1) {
    entry.lastStep = step;
    return { code: totpCode(entry.secret, step * TOTP_PERIOD_SECONDS * 1000) };
  }
  const recovery = entry.recoveryCodes.shift();
  if (!recovery) throw new Error(`no unused TOTP step or recovery code left for ${email}`);
  return { recovery_code: recovery };
}

function expectOk(what: string, res: { status: number; body: any }): any {
  if (res.status !== 200) throw new Error(`${what} failed ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Sets up and confirms TOTP: with an enrolment mfa_token, or signed in (bearer + password).
 * Returns the confirm reply: a token pair whose amr includes otp, plus recovery codes.
 */
export async function enrolTotp(post: Post, email: string, via: { mfa_token: string } | { token: string; password: string }) {
  const headers = 'token' in via ? { authorization: `Bearer ${via.token}` } : undefined;
  const setupBody = 'token' in via ? { password: via.password } : { mfa_token: via.mfa_token };
  const setup = expectOk('TOTP setup', await post('/api/v1/auth/mfa/totp/setup', setupBody, headers));
  const step = Math.floor(Date.now() / 1000 / TOTP_PERIOD_SECONDS);
  const confirmBody = { code: totpCode(setup.secret, step * TOTP_PERIOD_SECONDS * 1000), ...('mfa_token' in via && { mfa_token: via.mfa_token }) };
  const confirmed = expectOk('TOTP confirm', await post('/api/v1/auth/mfa/totp/confirm', confirmBody, headers));
  known.set(email.toLowerCase(), { secret: setup.secret, lastStep: step, recoveryCodes: [...confirmed.recovery_codes] });
  return confirmed as { access_token: string; refresh_token: string; user: { id: string }; recovery_codes: string[] };
}

/** Finishes a login reply: as is, or through enrolment / verification when it says mfa_required. */
export async function completeLogin(
  post: Post,
  email: string,
  reply: any,
): Promise<{ access_token: string; refresh_token: string; user: { id: string; role?: string } }> {
  if (!reply.mfa_required) return reply;
  if (reply.enrolment_required) return enrolTotp(post, email, { mfa_token: reply.mfa_token });
  return expectOk('MFA verify', await post('/api/v1/auth/mfa/verify', { mfa_token: reply.mfa_token, ...nextProof(email) }));
}

/** A stepped-up token pair for a signed-in account: enrols TOTP the first time, else verifies a code. */
export async function stepUp(post: Post, email: string, token: string, password: string) {
  if (!known.has(email.toLowerCase())) return enrolTotp(post, email, { token, password });
  return expectOk('step-up', await post('/api/v1/auth/mfa/step-up', nextProof(email), { authorization: `Bearer ${token}` })) as {
    access_token: string;
    refresh_token: string;
  };
}
