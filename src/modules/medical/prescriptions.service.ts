import type { Actor, CareRelationships } from '../../platform/access.js';
import type { Db, Executor } from '../../platform/database/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { decodeCursor } from '../../platform/http/pagination.js';
import { iso } from '../../platform/http/schemas.js';
import type { EventBus } from '../../platform/events.js';
import { listEvents, type AuditService, type RequestMeta } from '../audit/index.js';
import type { PrescriptionRow, PrescriptionsRepository } from './medical.repository.js';
import type { CreatePrescriptionBody, PrescriptionListQuery, PrescriptionStatusBody } from './medical.schemas.js';
import type { PrescriptionStatus } from './medical.tables.js';
import { visiblePage } from '../../platform/http/visible-page.js';
import type { SchedulingLookups } from '../scheduling/index.js';
import { findConflicts, type Conflict } from './drug-safety.js';
import type { AllergiesService } from './allergies.service.js';
import { AppError } from '../../platform/errors.js';

/**
 * 422 for a prescription that conflicts with recorded allergies or active drugs, listing
 * each conflict as an error of the item's `drug` field. Sending it again with
 * `confirm_warnings: true` prescribes anyway (the override is audited).
 */
export class PrescriptionWarningsError extends AppError {
  constructor(conflicts: Conflict[]) {
    super(
      422,
      'Prescription Needs Confirmation',
      `The prescription conflicts with the patient's recorded allergies or active medication (${conflicts.length} warning${conflicts.length === 1 ? '' : 's'}). Review them; to prescribe anyway, send the same request with "confirm_warnings": true.`,
      conflicts.map((c) => ({ path: `/items/${c.itemIndex}/drug`, message: c.message })),
      'prescription-warnings',
    );
  }
}

export function prescriptionDto(row: PrescriptionRow) {
  return {
    id: row.id,
    patient_id: row.patient_id,
    doctor_id: row.doctor_id,
    appointment_id: row.appointment_id,
    items: row.items,
    notes: row.notes,
    status: row.status,
    status_reason: row.status_reason,
    status_changed_at: row.status_changed_at ? iso(row.status_changed_at) : null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** Legal status changes: an active prescription is completed or cancelled; those are final. */
const TRANSITIONS: Record<PrescriptionStatus, PrescriptionStatus[]> = { active: ['completed', 'cancelled'], completed: [], cancelled: [] };

/**
 * Prescriptions (docs/API.md §3): doctors prescribe for patients in their care, patients see
 * their own, doctors those of their patients, nurses and admins all. Emits
 * `prescription.created` and `prescription.status_changed` (notifications listen).
 */
export class PrescriptionsService {
  constructor(
    private readonly db: Db,
    private readonly prescriptions: PrescriptionsRepository,
    private readonly care: CareRelationships,
    private readonly audit: AuditService,
    private readonly events: EventBus,
    private readonly allergies: Pick<AllergiesService, 'facts'>,
    private readonly scheduling: Pick<SchedulingLookups, 'appointmentOfPatient'>,
  ) {}

  /** Allergy and duplicate conflicts of a new prescription (docs/API.md, "Prescription warnings"). */
  async conflicts(patientId: string, items: { drug: string }[]): Promise<Conflict[]> {
    const [allergies, active] = await Promise.all([this.allergies.facts(this.db, patientId), this.prescriptions.active(this.db, patientId)]);
    const activeDrugs = active.flatMap((p) => p.items.map((item) => ({ prescriptionId: p.id, drug: item.drug })));
    return findConflicts(items, allergies, activeDrugs);
  }

  private async visible(db: Executor, actor: Actor, id: string): Promise<PrescriptionRow> {
    const row = await this.prescriptions.findById(db, id);
    if (!row || !(await this.care.canAccessPatient(db, actor, row.patient_id))) throw new NotFoundError('Prescription');
    return row;
  }

  async create(meta: RequestMeta, body: CreatePrescriptionBody) {
    if (!(await this.care.canAccessPatient(this.db, meta.actor, body.patient_id))) throw new NotFoundError('Patient');
    if (body.appointment_id) {
      const found = await this.scheduling.appointmentOfPatient(this.db, body.appointment_id, body.patient_id);
      if (!found)
        throw new ValidationError('The appointment does not exist or is not this patient’s.', [
          { path: '/appointment_id', message: 'is not an appointment of this patient' },
        ]);
    }
    const items = body.items.map((item) => ({ ...item, drug: item.drug.trim() }));
    const conflicts = await this.conflicts(body.patient_id, items);
    if (conflicts.length && body.confirm_warnings !== true) throw new PrescriptionWarningsError(conflicts);
    const row = await this.db.transaction().execute(async (trx) => {
      const created = await this.prescriptions.insert(trx, {
        patient_id: body.patient_id,
        doctor_id: meta.actor.id,
        appointment_id: body.appointment_id ?? null,
        items,
        notes: body.notes ?? null,
      });
      const overridden = conflicts.length
        ? { overridden_warnings: conflicts.map((c) => ({ item: c.itemIndex, kind: c.kind, message: c.message })) }
        : undefined;
      await this.audit.record(trx, meta, [
        { patientId: created.patient_id, resourceType: 'prescription', resourceId: created.id, action: 'create', ...(overridden && { details: overridden }) },
      ]);
      // The patient's notification is written in this transaction (contract §6, docs/NOTIFICATIONS.md).
      await this.events.publishInTransaction(trx, 'prescription.created', {
        prescription_id: created.id,
        patient_id: created.patient_id,
        doctor_id: created.doctor_id,
        drugs: items.map((i) => i.drug),
      });
      return created;
    });
    await this.events.publish('prescription.created', {
      prescription_id: row.id,
      patient_id: row.patient_id,
      doctor_id: row.doctor_id,
      drugs: body.items.map((i) => i.drug),
    });
    return prescriptionDto(row);
  }

  async get(meta: RequestMeta, id: string) {
    const row = await this.visible(this.db, meta.actor, id);
    await this.audit.record(this.db, meta, [{ patientId: row.patient_id, resourceType: 'prescription', resourceId: row.id, action: 'read' }]);
    return prescriptionDto(row);
  }

  async changeStatus(meta: RequestMeta, id: string, body: PrescriptionStatusBody) {
    const current = await this.visible(this.db, meta.actor, id);
    if (!TRANSITIONS[current.status].includes(body.status)) {
      throw new ConflictError(`A prescription that is ${current.status} cannot become ${body.status}.`, 'illegal-transition');
    }
    const row = await this.db.transaction().execute(async (trx) => {
      const updated = await this.prescriptions.changeStatus(trx, id, current.status, body.status, body.reason ?? null, meta.actor.id);
      if (!updated) throw new ConflictError('The prescription was changed meanwhile; reload it.', 'illegal-transition');
      await this.audit.record(trx, meta, [
        {
          patientId: updated.patient_id,
          resourceType: 'prescription',
          resourceId: updated.id,
          action: 'status_change',
          details: { from: current.status, to: updated.status },
        },
      ]);
      return updated;
    });
    await this.events.publish('prescription.status_changed', { prescription_id: row.id, patient_id: row.patient_id, status: row.status });
    return prescriptionDto(row);
  }

  async list(meta: RequestMeta, query: PrescriptionListQuery) {
    const actor = meta.actor;
    const { patientId, everyRowVisible } = await this.care.listScope(this.db, actor, query.patient_id);
    // As the records list: a doctor's list of all their patients applies the care relationship in SQL.
    const compiled = !everyRowVisible && actor.role === 'doctor' && actor.status === 'active' && this.care.sqlCondition('', '') !== null;
    const visibleTo = compiled ? { doctorId: actor.id, condition: (doctor: string, patient: string) => this.care.sqlCondition(doctor, patient)! } : undefined;
    const filter = { patientId, status: query.status, appointmentId: query.appointment_id, visibleTo };
    const page = await visiblePage({
      db: this.db,
      care: this.care,
      actor,
      limit: query.limit ?? 20,
      after: decodeCursor(query.cursor),
      prefiltered: everyRowVisible || visibleTo !== undefined,
      fetch: (after, count) => this.prescriptions.list(this.db, filter, after, count),
      position: (row) => ({ v: iso(row.created_at), id: row.id }),
    });
    // One audit row per patient on the page, with the listed prescription ids (audit/index.ts);
    // a list scoped to one patient is audited even when empty (it tells that nothing is prescribed).
    await this.audit.record(
      this.db,
      meta,
      patientId && page.rows.length === 0
        ? [{ patientId, resourceType: 'prescription', resourceId: null, resourceIds: [], action: 'list' }]
        : listEvents(
            page.rows,
            'prescription',
            (r) => r.patient_id,
            (r) => r.id,
          ),
    );
    return { items: page.rows.map(prescriptionDto), next_cursor: page.next_cursor };
  }
}
