import type { ColumnType, Generated } from 'kysely';
import type { Flag, UnparsedRow } from './parse.js';

export interface LabReportsTable {
  id: Generated<string>;
  patient_id: string;
  uploaded_by: string;
  file_id: string;
  format: 'csv' | 'pdf';
  status: 'parsed' | 'partial' | 'unparsed';
  collected_at: Date;
  unparsed: ColumnType<UnparsedRow[], string, string>;
  observation_count: number;
  abnormal_count: number;
  created_at: Generated<Date>;
}

export interface ObservationsTable {
  id: Generated<string>;
  report_id: string;
  patient_id: string;
  position: number;
  name: string;
  /** Built-in analyte key or the normalised name: what trends group by. */
  code: string;
  value: number;
  unit: string | null;
  reference_range: string | null;
  ref_low: number | null;
  ref_high: number | null;
  flag: Flag | null;
  range_source: 'report' | 'built_in' | null;
  observed_at: Date;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    lab_reports: LabReportsTable;
    observations: ObservationsTable;
  }
}
