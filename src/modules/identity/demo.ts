import type { IdentityService } from './identity.service.js';
import type { MfaService } from './mfa.service.js';

/**
 * The demo clinic's accounts for `npm start`. Passwords are fixed and printed at start
 * so a newcomer can sign in right away; SEED_DEMO=false on any real deployment.
 */
export const DEMO_PASSWORD = 'CareBridge-demo-2026';
export const DEMO_ACCOUNTS = [
  { email: 'admin@demo.carebridge.local', full_name: 'Ada Admin', role: 'admin', username: 'admin' },
  { email: 'dr.house@demo.carebridge.local', full_name: 'Dr. Gregory Hause', role: 'doctor', username: 'drhause', specialty: 'general_practice' },
  { email: 'dr.derm@demo.carebridge.local', full_name: 'Dr. Dana Dermis', role: 'doctor', username: 'drdermis', specialty: 'dermatology' },
  { email: 'dr.heart@demo.carebridge.local', full_name: 'Dr. Carl Cardio', role: 'doctor', username: 'drcardio', specialty: 'cardiology' },
  { email: 'nurse@demo.carebridge.local', full_name: 'Nina Nurse', role: 'nurse', username: 'nurse' },
  { email: 'jane@demo.carebridge.local', full_name: 'Jane Doe', role: 'patient', username: 'jane' },
  { email: 'john@demo.carebridge.local', full_name: 'John Roe', role: 'patient', username: 'john' },
] as const;

/**
 * Admins must sign in with a second factor (MFA_REQUIRED_ROLES). The demo admin's authenticator
 * app secret is fixed and printed at start, like its password, so `npm start` never locks a
 * newcomer out: add it to any authenticator app (or `otpauth` URI) and type the 6-digit code
 * at POST /auth/mfa/verify. Demo data only: SEED_DEMO=false on any real deployment.
 */
export const DEMO_ADMIN_TOTP_SECRET = 'KNEVGRKJLJHUWQKDKNFUSR2FGVDUIT2U';

export async function seedDemoAccounts(identity: IdentityService, mfa: MfaService): Promise<string[]> {
  for (const account of DEMO_ACCOUNTS) {
    const user = await identity.createApproved({
      email: account.email,
      password: DEMO_PASSWORD,
      full_name: account.full_name,
      role: account.role,
      username: account.username,
    });
    if (account.role === 'admin') await mfa.ensureTotp(user, DEMO_ADMIN_TOTP_SECRET);
  }
  return DEMO_ACCOUNTS.map(
    (a) => `${a.role.padEnd(8)} ${a.email.padEnd(34)} ${DEMO_PASSWORD}${a.role === 'admin' ? `  + authenticator app secret ${DEMO_ADMIN_TOTP_SECRET}` : ''}`,
  );
}
