import argon2 from 'argon2';
import { createRequire } from 'node:module';
import type { Config } from '../config.js';
import type { FieldError } from '../errors.js';

/**
 * ~49k passwords seen in breaches (the zxcvbn-ts common list), lower-cased for lookup. Built on
 * the first password checked, not at start-up: the package holds every zxcvbn dictionary
 * (~15 MB resident; docs/BENCHMARKS.md "Footprint"). `require` because the check is synchronous.
 */
let commonPasswordSet: Set<string> | undefined;
function commonPasswords(): Set<string> {
  if (!commonPasswordSet) {
    const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    commonPasswordSet = new Set((dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));
  }
  return commonPasswordSet;
}

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

/** Returns why a password is unacceptable, or null. Rules follow NIST SP 800-63B §5.1.1.2. */
export function passwordProblems(password: string, context: { email?: string; username?: string | null } = {}): FieldError[] {
  const problems: FieldError[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) {
    problems.push({ path: '/password', message: `must be at least ${PASSWORD_MIN_LENGTH} characters` });
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    problems.push({ path: '/password', message: `must be at most ${PASSWORD_MAX_LENGTH} characters` });
  }
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) {
    problems.push({ path: '/password', message: 'is too common; choose a less predictable password' });
  } else if (/^(.)\1+$/.test(password)) {
    problems.push({ path: '/password', message: 'must not be a single repeated character' });
  }
  const localPart = context.email?.split('@')[0]?.toLowerCase();
  if ((localPart && localPart.length >= 4 && lower.includes(localPart)) || (context.username && lower.includes(context.username.toLowerCase()))) {
    problems.push({ path: '/password', message: 'must not contain your email or username' });
  }
  return problems;
}

export class PasswordHasher {
  constructor(private readonly cost: Config['argon2']) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.cost });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /**
   * A hash to verify against when the account does not exist, so a login for an unknown
   * email costs the same time as one for a known email (no user enumeration by timing).
   */
  private dummy: Promise<string> | null = null;
  async burn(password: string): Promise<void> {
    this.dummy ??= this.hash('carebridge-timing-equaliser');
    await this.verify(await this.dummy, password);
  }
}
