import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { hashToken } from '../../platform/auth/tokens.js';

/**
 * TOTP (RFC 6238) and recovery codes: the pieces with no database in them.
 * 30-second steps, 6 digits, SHA-1 (what every authenticator app supports), ±1 step
 * accepted for clock drift (ASVS 6.5.5). Which step a code matched is returned so the
 * caller can refuse any step at or before the last one used (a code works once, 6.5.1).
 */
export const TOTP_PERIOD_SECONDS = 30;
const WINDOW = 1;

export function newTotpSecret(): string {
  // 160 bits, the RFC 4226 recommendation.
  return new Secret({ size: 20 }).base32;
}

function totp(secretBase32: string, issuer = 'CareBridge', label = 'account'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secretBase32) });
}

export function otpauthUri(secretBase32: string, issuer: string, label: string): string {
  return totp(secretBase32, issuer, label).toString();
}

export async function qrSvg(text: string): Promise<string> {
  // Loaded on the first TOTP enrolment, not at start-up (~9 MB; docs/BENCHMARKS.md "Footprint").
  const { default: QRCode } = await import('qrcode');
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The step a code matches (within ±1 of `now`), or null. */
export function matchTotp(secretBase32: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secretBase32).validate({ token: code, timestamp: now, window: WINDOW });
  if (delta === null) return null;
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS) + delta;
}

/** The code of a given time (tests and the demo seed use it; the service never does). */
export function totpCode(secretBase32: string, at = Date.now()): string {
  return totp(secretBase32).generate({ timestamp: at });
}

/**
 * Secrets at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the instance's
 * JWT_SECRET, so a database dump alone doesn't yield working TOTP seeds.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(masterSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', masterSecret, 'carebridge', 'mfa-secret-v1', 32));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || !body) throw new Error('unknown sealed secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const RECOVERY_CODE_COUNT = 10;

/**
 * A recovery code: 24 base32 characters (120 bits), shown as six groups of four.
 * At ≥ 112 bits ASVS 6.5.2 allows a plain cryptographic hash instead of a password hash.
 */
export function newRecoveryCode(): string {
  const bytes = randomBytes(24);
  let out = '';
  for (let i = 0; i < 24; i++) out += BASE32[bytes[i]! & 31];
  return out.match(/.{4}/g)!.join('-').toLowerCase();
}

/** Spaces, dashes and case don't matter when a code is typed back. */
export function hashRecoveryCode(code: string): string {
  return hashToken(code.replace(/[\s-]/g, '').toUpperCase());
}
