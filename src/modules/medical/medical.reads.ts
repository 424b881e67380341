import type { Executor } from '../../platform/database/index.js';
import type { PrescriptionRow, RecordRow, RecordVersionRow } from './medical.repository.js';
import type { MedicalReadsRepository, MedicalSearch } from './medical-reads.repository.js';
import type { PrescriptionStatus } from './medical.tables.js';

export type { MedicalSearch, RowPosition } from './medical-reads.repository.js';
export type { PrescriptionRow, RecordRow };

/**
 * Reads of records (with their diagnoses) and prescriptions for areas that apply the access
 * rules themselves — the FHIR facade (src/modules/fhir): no audit and no care check here; the
 * caller checks `care.canAccessPatient` for every patient it passes or receives and audits what
 * it returns.
 */
export class MedicalReads {
  constructor(
    private readonly db: Executor,
    private readonly repository: MedicalReadsRepository,
  ) {}

  recordsWithDiagnoses(search: MedicalSearch): Promise<RecordRow[]> {
    return this.repository.recordsWithDiagnoses(this.db, search);
  }

  /** One stored version of a record (medical_record_versions is append-only), with its patient. */
  recordVersion(id: string, version: number): Promise<(RecordVersionRow & { patient_id: string; author_id: string }) | undefined> {
    return this.repository.recordVersion(this.db, id, version);
  }

  prescriptions(search: MedicalSearch & { statuses?: PrescriptionStatus[] }): Promise<PrescriptionRow[]> {
    return this.repository.prescriptions(this.db, search);
  }
}
