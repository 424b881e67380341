import type { Executor } from './database/index.js';
import type { Role } from './auth/tokens.js';
import { NotFoundError } from './errors.js';

/** Who is calling, as resolved from a valid access token and a live session. */
export interface Actor {
  id: string;
  role: Role;
  status: 'active' | 'pending';
  sessionId: string;
  /**
   * Present when the caller is a SMART app acting for the user (src/modules/fhir/smart): the
   * granted scopes and launch patient. Such a token works on /fhir/R4 only (platform/http/auth.ts).
   */
  app?: AppGrant;
}

export interface AppGrant {
  clientId: string;
  scopes: string[];
  patient: string | null;
}

/**
 * The care relationship of docs/API.md §3: a doctor may read a patient's data if they have
 * or had an appointment, are the assigned doctor, or share a chat room. Each area that
 * creates such a link registers a check here (scheduling: appointments and client
 * assignment; chat: shared rooms), so every resource uses the same rule.
 */
export type CareLinkCheck = (db: Executor, doctorId: string, patientId: string) => Promise<boolean>;

/** The same rule as a set: every patient the link gives `doctorId` today (for list reads filtered in SQL). */
export type CareLinkPatients = (db: Executor, doctorId: string) => Promise<string[]>;

/**
 * The same rule as a SQL condition, so a list can apply it inside its one statement (as Medplum
 * compiles access policies into its searches): `doctor` and `patient` are SQL expressions (a
 * placeholder, a column of the caller's query). Aliases inside must not clash with the caller's
 * (prefix them with `care_`).
 */
export type CareLinkSql = (doctor: string, patient: string) => string;

export class CareRelationships {
  private readonly checks: { name: string; check: CareLinkCheck; patientsOf: CareLinkPatients; sql?: CareLinkSql }[] = [];

  register(name: string, check: CareLinkCheck, patientsOf: CareLinkPatients, sql?: CareLinkSql): void {
    this.checks.push({ name, check, patientsOf, sql });
  }

  /**
   * `exists` as one SQL condition (the checks joined with `or`), or null when a registered check
   * has no SQL form (callers then filter row by row with `canAccessPatient`).
   */
  sqlCondition(doctor: string, patient: string): string | null {
    if (this.checks.length === 0) return 'false';
    if (this.checks.some((c) => !c.sql)) return null;
    return `(${this.checks.map((c) => c.sql!(doctor, patient)).join(' or ')})`;
  }

  /**
   * Every patient a doctor may see, so a list can filter in one query instead of checking rows one
   * by one (which needs bounded rounds and can end a page early). Same rules as `exists`.
   */
  async patientIdsOf(db: Executor, doctorId: string): Promise<Set<string>> {
    const lists = await Promise.all(this.checks.map(({ patientsOf }) => patientsOf(db, doctorId)));
    return new Set(lists.flat());
  }

  async exists(db: Executor, doctorId: string, patientId: string): Promise<boolean> {
    for (const { check } of this.checks) {
      if (await check(db, doctorId, patientId)) return true;
    }
    return false;
  }

  /**
   * May `actor` read data about patient `patientId`? Patients: only themselves.
   * Doctors: their patients. Nurses and admins: everyone (clinic staff).
   * Callers turn `false` into a 404 so existence stays private.
   */
  async canAccessPatient(db: Executor, actor: Actor, patientId: string): Promise<boolean> {
    switch (actor.role) {
      case 'patient':
        return actor.id === patientId;
      case 'doctor':
        return actor.status === 'active' && (await this.exists(db, actor.id, patientId));
      case 'nurse':
      case 'admin':
        return actor.status === 'active';
    }
  }

  /**
   * The patient scope of a list request (`?patient_id=`): a patient always gets their own
   * data, whatever they ask for someone else (404); staff and doctors get the patient they
   * name if they may see them (404 otherwise), or, without a name, every row they may see.
   * `everyRowVisible` tells the caller whether rows still need a per-row care check.
   */
  async listScope(db: Executor, actor: Actor, requestedPatientId: string | undefined): Promise<{ patientId: string | undefined; everyRowVisible: boolean }> {
    if (actor.role === 'patient') {
      if (requestedPatientId && requestedPatientId !== actor.id) throw new NotFoundError('Patient');
      return { patientId: actor.id, everyRowVisible: true };
    }
    if (requestedPatientId) {
      if (!(await this.canAccessPatient(db, actor, requestedPatientId))) throw new NotFoundError('Patient');
      return { patientId: requestedPatientId, everyRowVisible: true };
    }
    return { patientId: undefined, everyRowVisible: actor.role === 'admin' || actor.role === 'nurse' };
  }
}
