import type { Db, Executor } from '../../platform/database/index.js';
import type { Actor } from '../../platform/access.js';
import { NotFoundError, ValidationError } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { DoctorRow, ProfilesRepository } from './profiles.repository.js';
import type { DoctorDto, DoctorListQuery, DoctorMeBody, PatientMeBody, PatientProfileDto } from './scheduling.schemas.js';
import { requireTimeZone } from './time.js';
import { parseTimeFilters } from '../../platform/http/time-filter.js';

export function toDoctorDto(row: DoctorRow): DoctorDto {
  return {
    id: row.id,
    full_name: row.full_name,
    specialty: row.specialty,
    qualifications: row.qualifications ?? [],
    bio: row.bio,
    languages: row.languages ?? [],
    consultation_fee: row.consultation_fee === null ? null : Number(row.consultation_fee),
    time_zone: row.time_zone ?? row.user_time_zone ?? 'UTC',
    default_slot_minutes: row.default_slot_minutes ?? 30,
    buffer_minutes: row.buffer_minutes ?? 0,
    next_available: row.next_available ? iso(row.next_available) : null,
  };
}

/** Patient and doctor profiles, and the public doctor directory (docs/API.md §2). */
export class ProfilesService {
  constructor(
    private readonly db: Db,
    private readonly profiles: ProfilesRepository,
    /** Is `fileId` an image this user may use as their photo? (files module; absent in unit wiring.) */
    private readonly isUsablePhoto: (actor: Actor, fileId: string) => Promise<boolean> = async () => false,
  ) {}

  async listDoctors(query: DoctorListQuery, callerId: string | null = null) {
    const limit = query.limit ?? 20;
    const { available_from } = await parseTimeFilters({ available_from: { value: query.available_from, bound: 'start' } }, query.tz, async () =>
      callerId ? this.profiles.timeZoneOf(this.db, callerId) : null,
    );
    const rows = await this.profiles.listDoctors(this.db, {
      specialty: query.specialty,
      q: query.q,
      language: query.language,
      availableFrom: available_from,
      after: decodeCursor(query.cursor),
      limit,
    });
    return toPage(rows, limit, (row) => row.full_name, toDoctorDto);
  }

  /** Public profile of an active doctor; pending or deactivated doctors are not found. */
  async getDoctor(id: string): Promise<DoctorDto> {
    const row = await this.profiles.findDoctor(this.db, id);
    if (!row || row.status !== 'active') throw new NotFoundError('Doctor');
    return toDoctorDto(row);
  }

  /** `/doctors/me` exists from approval on: the row is created on first read if the event was missed. */
  async getOwnDoctorProfile(actor: Actor): Promise<DoctorDto> {
    await this.profiles.ensureDoctorProfile(this.db, actor.id);
    const row = await this.profiles.findDoctor(this.db, actor.id);
    if (!row) throw new NotFoundError('Doctor');
    return toDoctorDto(row);
  }

  async updateOwnDoctorProfile(actor: Actor, body: DoctorMeBody): Promise<DoctorDto> {
    if (body.time_zone) requireTimeZone(body.time_zone, '/time_zone');
    const languages = body.languages ? [...new Set(body.languages.map((l) => l.toLowerCase()))] : undefined;
    await this.profiles.upsertDoctorProfile(this.db, actor.id, { ...body, ...(languages && { languages }) });
    return this.getOwnDoctorProfile(actor);
  }

  async createProfileOnApproval(userId: string, role: string): Promise<void> {
    if (role === 'doctor') await this.profiles.ensureDoctorProfile(this.db, userId);
  }

  async getOwnPatientProfile(actor: Actor): Promise<PatientProfileDto> {
    const profile = await this.patientProfile(actor.id);
    if (!profile) throw new NotFoundError('Patient');
    return profile;
  }

  /** A patient's profile as /patients/me shows it; null when the id is not a patient's. No access check: callers decide. */
  async patientProfile(patientId: string): Promise<PatientProfileDto | null> {
    const row = await this.profiles.findPatient(this.db, patientId);
    if (!row || row.role !== 'patient') return null;
    return patientProfileDto(row);
  }

  /** Patients by name / date of birth, in id order after `afterId` (no access rule: the caller applies it). */
  async searchPatients(filter: { ids?: string[]; name?: string; birthDate?: string }, afterId: string | null, limit: number): Promise<PatientProfileDto[]> {
    const rows = await this.profiles.searchPatients(this.db, filter, afterId, limit);
    return rows.map(patientProfileDto);
  }

  async updateOwnPatientProfile(actor: Actor, body: PatientMeBody): Promise<PatientProfileDto> {
    if (body.time_zone) requireTimeZone(body.time_zone, '/time_zone');
    if (body.date_of_birth) {
      const today = new Date().toISOString().slice(0, 10);
      if (body.date_of_birth > today || body.date_of_birth < '1900-01-01') {
        throw new ValidationError('date_of_birth must be a past date.', [{ path: '/date_of_birth', message: 'must be between 1900-01-01 and today' }]);
      }
    }
    if (body.photo_file_id && !(await this.isUsablePhoto(actor, body.photo_file_id))) {
      throw new ValidationError('photo_file_id must be an image you uploaded.', [{ path: '/photo_file_id', message: 'is not an image file of yours' }]);
    }
    await this.profiles.upsertPatientProfile(this.db, actor.id, body);
    return this.getOwnPatientProfile(actor);
  }

  /** Seed 004's photo upload: the stored image becomes the profile photo in the same transaction. */
  async setOwnPhoto(actor: Actor, store: (write: (trx: Executor, fileId: string) => Promise<void>) => Promise<void>): Promise<PatientProfileDto> {
    await store((trx, fileId) => this.profiles.upsertPatientProfile(trx, actor.id, { photo_file_id: fileId }));
    return this.getOwnPatientProfile(actor);
  }
}

function patientProfileDto(row: NonNullable<Awaited<ReturnType<ProfilesRepository['findPatient']>>>): PatientProfileDto {
  return {
    user_id: row.id,
    full_name: row.full_name,
    email: row.email,
    date_of_birth: row.date_of_birth ?? null,
    sex: row.sex ?? null,
    phone: row.phone ?? row.user_phone ?? null,
    address: row.address ?? null,
    allergies: row.allergies ?? [],
    chronic_conditions: row.chronic_conditions ?? [],
    emergency_contact: row.emergency_contact ?? null,
    time_zone: row.time_zone ?? row.user_time_zone,
    photo_file_id: row.photo_file_id ?? null,
    updated_at: row.updated_at ? iso(row.updated_at) : null,
  };
}
