import type { BuiltApp } from '../../src/app.js';
import { createUser, type TestUser } from './users.js';

/** A future instant on a whole hour, `hoursAhead` from now. */
export function futureHour(hoursAhead: number): Date {
  const d = new Date(Date.now() + hoursAhead * 3600_000);
  d.setUTCMinutes(0, 0, 0);
  return d;
}

export async function createSlot(built: BuiltApp, doctor: TestUser, start: Date, minutes = 30): Promise<{ id: string; start: string; end: string }> {
  const res = await built.app.inject({
    method: 'POST',
    url: '/api/v1/doctors/me/slots',
    headers: doctor.auth,
    payload: { start: start.toISOString(), duration_minutes: minutes },
  });
  if (res.statusCode !== 201) throw new Error(`slot ${res.statusCode}: ${res.body}`);
  return res.json();
}

export async function book(built: BuiltApp, user: TestUser, payload: Record<string, unknown>, headers: Record<string, string> = {}) {
  return built.app.inject({ method: 'POST', url: '/api/v1/appointments', headers: { ...user.auth, ...headers }, payload });
}

export async function users(built: BuiltApp) {
  const [doctor, otherDoctor, patient, otherPatient, nurse, admin] = await Promise.all([
    // Stepped up: prescribing needs a recent second factor (docs/API.md §1.1).
    createUser(built, 'doctor', { stepUp: true }),
    createUser(built, 'doctor', { stepUp: true }),
    createUser(built, 'patient'),
    createUser(built, 'patient'),
    createUser(built, 'nurse'),
    createUser(built, 'admin'),
  ]);
  return { doctor, otherDoctor, patient, otherPatient, nurse, admin };
}
