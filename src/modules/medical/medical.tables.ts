import type { ColumnType, Generated } from 'kysely';

export type RecordType = 'consultation' | 'diagnosis' | 'lab' | 'imaging' | 'note';
export interface Diagnosis {
  code: string | null;
  text: string;
}
type Json<T> = ColumnType<T, string, string>;

/** The current head of each record; every version (including the first) is also in medical_record_versions. */
export interface MedicalRecordsTable {
  id: Generated<string>;
  patient_id: string;
  author_id: string;
  appointment_id: string | null;
  record_type: RecordType;
  title: string;
  content: string;
  diagnoses: Json<Diagnosis[]>;
  version: number;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  updated_by: string;
}

/** Append-only history (a trigger refuses UPDATE and DELETE). */
export interface MedicalRecordVersionsTable {
  record_id: string;
  version: number;
  record_type: RecordType;
  title: string;
  content: string;
  diagnoses: Json<Diagnosis[]>;
  appointment_id: string | null;
  written_by: string;
  created_at: Generated<Date>;
}

export interface MedicalRecordAttachmentsTable {
  record_id: string;
  file_id: string;
  added_by: string;
  created_at: Generated<Date>;
}

export type PrescriptionStatus = 'active' | 'completed' | 'cancelled';
export interface PrescriptionItem {
  drug: string;
  strength?: string;
  dose: string;
  route?: string;
  frequency: string;
  duration_days?: number;
  quantity?: number;
  refills?: number;
  instructions?: string;
}

export interface PrescriptionsTable {
  id: Generated<string>;
  patient_id: string;
  doctor_id: string;
  appointment_id: string | null;
  items: Json<PrescriptionItem[]>;
  notes: string | null;
  status: PrescriptionStatus;
  status_reason: string | null;
  status_changed_at: Date | null;
  status_changed_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export type AllergySeverity = 'mild' | 'moderate' | 'severe' | 'unknown';

/** A recorded allergy; `removed_at` set means it was deleted (kept for the record). */
export interface AllergiesTable {
  id: Generated<string>;
  patient_id: string;
  substance: string;
  /** Normalised substance, one live record per patient and key. */
  substance_key: string;
  reaction: string | null;
  severity: Generated<AllergySeverity>;
  notes: string | null;
  recorded_by: string;
  created_at: Generated<Date>;
  removed_at: Date | null;
  removed_by: string | null;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    allergies: AllergiesTable;
    medical_records: MedicalRecordsTable;
    medical_record_versions: MedicalRecordVersionsTable;
    medical_record_attachments: MedicalRecordAttachmentsTable;
    prescriptions: PrescriptionsTable;
  }
}
