import { sql } from 'kysely';
import type { Executor } from '../../platform/database/index.js';
import type { KeysetPosition } from '../../platform/http/pagination.js';
import type { EmergencyContact, Sex } from './scheduling.tables.js';
import { afterPosition, idsOrNone } from '../../platform/database/keyset.js';

export interface DoctorRow {
  id: string;
  full_name: string;
  status: string;
  user_time_zone: string;
  specialty: string | null;
  qualifications: string[] | null;
  bio: string | null;
  languages: string[] | null;
  consultation_fee: number | null;
  time_zone: string | null;
  default_slot_minutes: number | null;
  buffer_minutes: number | null;
  next_available: Date | null;
}

export interface DoctorFilter {
  specialty?: string;
  q?: string;
  language?: string;
  availableFrom?: Date;
  after: KeysetPosition | null;
  limit: number;
}

export interface DoctorProfileValues {
  specialty?: string | null;
  qualifications?: string[];
  bio?: string | null;
  languages?: string[];
  consultation_fee?: number | null;
  time_zone?: string;
  default_slot_minutes?: number;
  buffer_minutes?: number;
}

export interface PatientProfileValues {
  date_of_birth?: string | null;
  sex?: Sex | null;
  phone?: string | null;
  address?: string | null;
  allergies?: string[];
  chronic_conditions?: string[];
  emergency_contact?: EmergencyContact | null;
  time_zone?: string;
  photo_file_id?: string | null;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export class ProfilesRepository {
  /**
   * Doctors are users with role `doctor`; the profile row holds the optional details, so an
   * approved doctor is listed (and bookable) before they ever fill it in.
   */
  private doctorQuery(db: Executor, from: Date) {
    return db
      .selectFrom('users as u')
      .leftJoin('doctor_profiles as p', 'p.user_id', 'u.id')
      .select([
        'u.id',
        'u.full_name',
        'u.status',
        'u.time_zone as user_time_zone',
        'p.specialty',
        'p.qualifications',
        'p.bio',
        'p.languages',
        'p.consultation_fee',
        'p.time_zone',
        'p.default_slot_minutes',
        'p.buffer_minutes',
        sql<Date | null>`(select min(s.start_at) from slots s where s.doctor_id = u.id and s.status = 'free' and s.deleted_at is null and s.start_at >= ${from})`.as(
          'next_available',
        ),
      ])
      .where('u.role', '=', 'doctor');
  }

  async findDoctor(db: Executor, id: string, from = new Date()): Promise<DoctorRow | undefined> {
    return (await this.doctorQuery(db, from).where('u.id', '=', id).executeTakeFirst()) as DoctorRow | undefined;
  }

  async listDoctors(db: Executor, filter: DoctorFilter): Promise<DoctorRow[]> {
    const from = filter.availableFrom && filter.availableFrom > new Date() ? filter.availableFrom : new Date();
    let query = this.doctorQuery(db, from).where('u.status', '=', 'active');
    if (filter.specialty) query = query.where('p.specialty', '=', filter.specialty);
    if (filter.language) query = query.where(sql<boolean>`${filter.language.toLowerCase()} = any(p.languages)`);
    if (filter.q) query = query.where(sql<string>`lower(u.full_name)`, 'like', `%${escapeLike(filter.q.toLowerCase())}%`);
    if (filter.availableFrom) {
      query = query.where(
        sql<boolean>`exists (select 1 from slots s where s.doctor_id = u.id and s.status = 'free' and s.deleted_at is null and s.start_at >= ${from})`,
      );
    }
    if (filter.after) {
      const name = String(filter.after.v);
      const id = filter.after.id;
      query = query.where(afterPosition('u.full_name', 'u.id', false, name, id));
    }
    return (await query
      .orderBy('u.full_name')
      .orderBy('u.id')
      .limit(filter.limit + 1)
      .execute()) as DoctorRow[];
  }

  async ensureDoctorProfile(db: Executor, userId: string): Promise<void> {
    await db
      .insertInto('doctor_profiles')
      .values({ user_id: userId, qualifications: '[]' })
      .onConflict((oc) => oc.column('user_id').doNothing())
      .execute();
  }

  async upsertDoctorProfile(db: Executor, userId: string, values: DoctorProfileValues): Promise<void> {
    const row = {
      ...values,
      ...(values.qualifications && { qualifications: JSON.stringify(values.qualifications) }),
    } as Record<string, unknown>;
    await db
      .insertInto('doctor_profiles')
      .values({ user_id: userId, qualifications: '[]', ...row } as never)
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ ...row, updated_at: new Date() } as never))
      .execute();
  }

  async findPatient(db: Executor, userId: string) {
    return this.patientQuery(db).where('u.id', '=', userId).executeTakeFirst();
  }

  /**
   * Patients by name (case-insensitive substring of the full name) and date of birth, in id
   * order from `afterId` (keyset): FHIR Patient search (src/modules/fhir). No access rule
   * here; the caller filters by care relationship.
   */
  async searchPatients(db: Executor, filter: { ids?: string[]; name?: string; birthDate?: string }, afterId: string | null, limit: number) {
    let query = this.patientQuery(db).where('u.role', '=', 'patient').where('u.deleted_at', 'is', null);
    if (filter.ids) query = query.where('u.id', 'in', idsOrNone(filter.ids));
    if (filter.name) query = query.where(sql<boolean>`lower(u.full_name) like ${'%' + filter.name.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%'}`);
    if (filter.birthDate) query = query.where('p.date_of_birth', '=', filter.birthDate);
    if (afterId) query = query.where('u.id', '>', afterId);
    return query.orderBy('u.id').limit(limit).execute();
  }

  private patientQuery(db: Executor) {
    return db
      .selectFrom('users as u')
      .leftJoin('patient_profiles as p', 'p.user_id', 'u.id')
      .select([
        'u.id',
        'u.role',
        'u.full_name',
        'u.email',
        'u.phone as user_phone',
        'u.time_zone as user_time_zone',
        'p.date_of_birth',
        'p.sex',
        'p.phone',
        'p.address',
        'p.allergies',
        'p.chronic_conditions',
        'p.emergency_contact',
        'p.time_zone',
        'p.photo_file_id',
        'p.updated_at',
      ]);
  }

  async upsertPatientProfile(db: Executor, userId: string, values: PatientProfileValues): Promise<void> {
    const row: Record<string, unknown> = { ...values };
    for (const key of ['allergies', 'chronic_conditions', 'emergency_contact'] as const) {
      if (key in values) row[key] = values[key] === null ? null : JSON.stringify(values[key]);
    }
    await db
      .insertInto('patient_profiles')
      .values({ user_id: userId, allergies: '[]', chronic_conditions: '[]', ...row } as never)
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ ...row, updated_at: new Date() } as never))
      .execute();
  }

  /** The zone a user's profile shows: the patient or doctor profile's, else the account's. */
  async timeZoneOf(db: Executor, userId: string): Promise<string | null> {
    const row = await db
      .selectFrom('users as u')
      .leftJoin('patient_profiles as p', 'p.user_id', 'u.id')
      .leftJoin('doctor_profiles as d', 'd.user_id', 'u.id')
      .select(sql<string>`coalesce(p.time_zone, d.time_zone, u.time_zone)`.as('zone'))
      .where('u.id', '=', userId)
      .executeTakeFirst();
    return row?.zone ?? null;
  }

  async userRoleStatus(db: Executor, userId: string): Promise<{ id: string; role: string; status: string; full_name: string } | undefined> {
    return db.selectFrom('users').select(['id', 'role', 'status', 'full_name']).where('id', '=', userId).executeTakeFirst();
  }
}
