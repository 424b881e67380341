import type { Generated } from 'kysely';

/**
 * Metadata of one stored file. The bytes live in the ObjectStorage under `storage_key`
 * (server-generated; the user's filename is only ever metadata).
 */
export interface FilesTable {
  id: Generated<string>;
  owner_id: string;
  /** The patient whose data this is, when known (own uploads of a patient, record attachments, lab reports). */
  patient_id: string | null;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  storage_backend: 'local' | 's3' | 'azure';
  storage_key: string;
  created_at: Generated<Date>;
}

declare module '../../platform/database/schema.js' {
  interface Database {
    files: FilesTable;
  }
}
