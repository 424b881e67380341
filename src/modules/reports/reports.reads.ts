import type { Executor } from '../../platform/database/index.js';
import type { ObservationRow, ReportRow, ReportsRepository } from './reports.repository.js';

/** A bound of a date search: `inclusive` tells `ge`/`le` from `gt`/`lt` (docs/FHIR.md, "Search"). */
export interface DateBound {
  at: Date;
  inclusive: boolean;
}

/** Keyset position of the last row of the previous page, in the order of the search. */
export interface ReadPosition {
  at: Date;
  id: string;
}

export interface ObservationSearch {
  ids?: string[];
  /** Patients whose rows may be returned; the caller has already checked access to each. */
  patientIds?: string[];
  /** Analyte keys (analytes.ts `key`, or the normalised printed name). */
  codes?: string[];
  reportIds?: string[];
  from?: DateBound;
  to?: DateBound;
  /** When the report holding the result was uploaded (FHIR `_lastUpdated`). */
  lastUpdated?: { from?: DateBound; to?: DateBound };
  descending: boolean;
  after: ReadPosition | null;
  limit: number;
}

export interface ReportSearch {
  ids?: string[];
  patientIds?: string[];
  from?: DateBound;
  to?: DateBound;
  /** When the report was uploaded (FHIR `_lastUpdated`). */
  lastUpdated?: { from?: DateBound; to?: DateBound };
  descending: boolean;
  after: ReadPosition | null;
  limit: number;
}

export type ObservationReadRow = ObservationRow & { report_created_at: Date };

/**
 * Reads of lab reports and observations for other areas that apply the access rules
 * themselves (the FHIR facade, src/modules/fhir): no audit and no care check here — the
 * caller must check `care.canAccessPatient` for every patient id it passes or receives, and
 * audit what it returns. Ordered by the clinical time (observed_at / collected_at) and id, so
 * pages are keyset pages.
 */
export class ReportsReads {
  constructor(
    private readonly db: Executor,
    private readonly repository: ReportsRepository,
  ) {}

  observations(search: ObservationSearch): Promise<ObservationReadRow[]> {
    return this.repository.searchObservations(this.db, search);
  }

  reports(search: ReportSearch): Promise<ReportRow[]> {
    return this.repository.searchReports(this.db, search);
  }

  /** Observation ids of these reports, in report order (DiagnosticReport.result). */
  observationIdsOf(reportIds: string[]): Promise<{ report_id: string; id: string }[]> {
    return this.repository.observationIdsOf(this.db, reportIds);
  }
}
