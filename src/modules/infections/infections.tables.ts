import type { ColumnType, Generated } from 'kysely';

export interface InfectionRecordsTable {
  id: Generated<string>;
  patient_id: string;
  image_file_id: string;
  body_site: string | null;
  notes: string | null;
  scale_mm_per_px: number | null;
  model_name: string;
  model_version: string;
  model_kind: 'rules' | 'onnx';
  top_label: string;
  confidence: number;
  risk: 'low' | 'medium' | 'high';
  predictions: ColumnType<{ label: string; probability: number }[], string, string>;
  features: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
}

/** A consult requested on a record: the patient's consent to share it with that dermatologist. */
export interface InfectionConsultsTable {
  id: Generated<string>;
  record_id: string;
  patient_id: string;
  doctor_id: string | null;
  appointment_id: string | null;
  waitlist_entry_id: string | null;
  chat_room_id: string | null;
  /** `cancelled` when the consult's appointment was cancelled: it then shares nothing (review M3). */
  status: 'booked' | 'waitlisted' | 'cancelled';
  created_at: Generated<Date>;
  ended_at: Date | null;
  /** The consult opened `chat_room_id` itself (the pair had no room before). */
  chat_room_opened: Generated<boolean>;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    infection_records: InfectionRecordsTable;
    infection_consults: InfectionConsultsTable;
  }
}
