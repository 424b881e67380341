import type { Executor } from '../../platform/database/index.js';
import type { AppointmentSearch, SchedulingReadsRepository } from './scheduling-reads.repository.js';

export type { AppointmentSearch } from './scheduling-reads.repository.js';
export type AppointmentReadRow = Awaited<ReturnType<SchedulingReadsRepository['appointments']>>[number];

/**
 * Appointment reads for areas that apply the access rules themselves — the FHIR facade
 * (src/modules/fhir): no audit and no party check here. Appointments are visible to their two
 * parties and to clinic staff (appointments.service.ts `partyOf`); the caller must apply that.
 */
export class SchedulingReads {
  constructor(
    private readonly db: Executor,
    private readonly repository: SchedulingReadsRepository,
  ) {}

  appointments(search: AppointmentSearch): Promise<AppointmentReadRow[]> {
    return this.repository.appointments(this.db, search);
  }
}
