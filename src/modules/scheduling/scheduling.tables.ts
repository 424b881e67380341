import type { ColumnType, Generated, JSONColumnType } from 'kysely';

export type SlotState = 'free' | 'held' | 'booked' | 'blocked';
export type AppointmentType = 'video' | 'in_person' | 'chat';
export type AppointmentStatus = 'scheduled' | 'confirmed' | 'in_progress' | 'completed' | 'cancelled' | 'no_show';
export type Sex = 'female' | 'male' | 'other' | 'unknown';

export interface DoctorProfilesTable {
  user_id: string;
  specialty: string | null;
  qualifications: JSONColumnType<string[], string, string>;
  bio: string | null;
  languages: ColumnType<string[], string[] | undefined, string[]>;
  consultation_fee: number | null;
  time_zone: Generated<string>;
  default_slot_minutes: Generated<number>;
  buffer_minutes: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface EmergencyContact {
  name: string;
  phone: string;
  relationship?: string;
}

export interface PatientProfilesTable {
  user_id: string;
  date_of_birth: string | null;
  sex: Sex | null;
  phone: string | null;
  address: string | null;
  allergies: JSONColumnType<string[], string, string>;
  chronic_conditions: JSONColumnType<string[], string, string>;
  emergency_contact: JSONColumnType<EmergencyContact | null, string | null, string | null>;
  time_zone: string | null;
  photo_file_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface SlotsTable {
  id: Generated<string>;
  doctor_id: string;
  start_at: Date;
  end_at: Date;
  status: Generated<SlotState>;
  created_at: Generated<Date>;
  deleted_at: Date | null;
}

export interface AppointmentsTable {
  id: Generated<string>;
  slot_id: string;
  doctor_id: string;
  patient_id: string;
  start_at: Date;
  end_at: Date;
  type: AppointmentType;
  status: Generated<AppointmentStatus>;
  reason: string | null;
  notes: string | null;
  cancel_reason: string | null;
  cancelled_by: string | null;
  cancelled_at: Date | null;
  booked_by: string;
  reschedule_count: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WaitlistEntriesTable {
  id: Generated<string>;
  patient_id: string;
  doctor_id: string | null;
  specialty: string | null;
  window_start: Date;
  window_end: Date;
  type: AppointmentType | null;
  status: Generated<'waiting' | 'offered' | 'fulfilled' | 'cancelled'>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface WaitlistOffersTable {
  id: Generated<string>;
  entry_id: string;
  slot_id: string;
  patient_id: string;
  created_at: Generated<Date>;
}

export interface ClientsTable {
  id: Generated<string>;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  date_of_birth: string | null;
  sex: Sex | null;
  address: string | null;
  medical_history: string | null;
  notes: string | null;
  assigned_doctor_id: string | null;
  user_id: string | null;
  /** `pending` until the patient accepts (or an admin linked); only `active` is a care link. */
  user_link_status: 'pending' | 'active' | null;
  user_linked_by: string | null;
  user_link_confirmed_at: Date | null;
  created_by: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  deleted_at: Date | null;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    doctor_profiles: DoctorProfilesTable;
    patient_profiles: PatientProfilesTable;
    slots: SlotsTable;
    appointments: AppointmentsTable;
    waitlist_entries: WaitlistEntriesTable;
    waitlist_offers: WaitlistOffersTable;
    clients: ClientsTable;
  }
}
