import type { Actor, CareRelationships } from '../../platform/access.js';
import type { Db, Executor } from '../../platform/database/index.js';
import { isUniqueViolation } from '../../platform/database/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../../platform/errors.js';
import { iso } from '../../platform/http/schemas.js';
import type { AuditService, RequestMeta } from '../audit/index.js';
import type { PatientProfileDto } from '../scheduling/index.js';
import type { AllergiesRepository, AllergyRow } from './allergies.repository.js';
import { allergyTarget, substanceKey, type AllergyFact } from './drug-safety.js';
import type { CreateAllergyBody } from './medical.schemas.js';

export function allergyDto(row: AllergyRow) {
  return {
    id: row.id,
    patient_id: row.patient_id,
    substance: row.substance,
    reaction: row.reaction,
    severity: row.severity,
    notes: row.notes,
    drug_class: allergyTarget(row.substance).drugClass?.name ?? null,
    recorded_by: row.recorded_by,
    created_at: iso(row.created_at),
  };
}

/** Patient demographics, from scheduling's public API. */
export interface PatientProfiles {
  profile(patientId: string): Promise<PatientProfileDto | null>;
}

/**
 * Allergy records and the patient chart (`GET /patients/{id}`: demographics and
 * allergies). Patients manage their own allergies; clinicians (doctors, nurses) those of
 * patients in their care; admins may read. Everything else is a 404. Every read and write
 * is audited.
 */
export class AllergiesService {
  constructor(
    private readonly db: Db,
    private readonly allergies: AllergiesRepository,
    private readonly care: CareRelationships,
    private readonly audit: AuditService,
    private readonly profiles: PatientProfiles,
  ) {}

  /** The patient's profile if `actor` may see it; 404 for non-patients and patients out of reach. */
  private async reachablePatient(actor: Actor, patientId: string): Promise<PatientProfileDto> {
    if (!(await this.care.canAccessPatient(this.db, actor, patientId))) throw new NotFoundError('Patient');
    const profile = await this.profiles.profile(patientId);
    if (!profile) throw new NotFoundError('Patient');
    return profile;
  }

  /** GET /patients/{id}: demographics plus the allergy records, for the patient and their care team. */
  async chart(meta: RequestMeta, patientId: string) {
    const profile = await this.reachablePatient(meta.actor, patientId);
    const rows = await this.allergies.listLive(this.db, patientId);
    await this.audit.record(this.db, meta, [{ patientId, resourceType: 'patient_profile', resourceId: patientId, action: 'read' }]);
    return { ...profile, allergy_records: rows.map(allergyDto) };
  }

  async list(meta: RequestMeta, patientId: string) {
    await this.reachablePatient(meta.actor, patientId);
    const rows = await this.allergies.listLive(this.db, patientId);
    await this.audit.record(this.db, meta, [{ patientId, resourceType: 'allergy', resourceId: null, action: 'list' }]);
    return { items: rows.map(allergyDto), next_cursor: null };
  }

  async create(meta: RequestMeta, patientId: string, body: CreateAllergyBody) {
    await this.reachablePatient(meta.actor, patientId);
    const substance = body.substance.trim().replace(/\s+/g, ' ');
    const key = substanceKey(substance);
    if (!key) throw new ValidationError('Name the substance.', [{ path: '/substance', message: 'must contain letters or digits' }]);
    try {
      const row = await this.db.transaction().execute(async (trx) => {
        const created = await this.allergies.insert(trx, {
          patient_id: patientId,
          substance,
          substance_key: key,
          reaction: body.reaction?.trim() || null,
          severity: body.severity ?? 'unknown',
          notes: body.notes?.trim() || null,
          recorded_by: meta.actor.id,
        });
        await this.audit.record(trx, meta, [{ patientId, resourceType: 'allergy', resourceId: created.id, action: 'create', details: { substance } }]);
        return created;
      });
      return allergyDto(row);
    } catch (err) {
      if (isUniqueViolation(err, 'allergies_one_per_substance'))
        throw new ConflictError(`An allergy to "${substance}" is already recorded for this patient.`, 'allergy-exists');
      throw err;
    }
  }

  async remove(meta: RequestMeta, patientId: string, allergyId: string): Promise<void> {
    await this.reachablePatient(meta.actor, patientId);
    const existing = await this.allergies.findLive(this.db, patientId, allergyId);
    if (!existing) throw new NotFoundError('Allergy');
    await this.db.transaction().execute(async (trx) => {
      const removed = await this.allergies.remove(trx, allergyId, meta.actor.id);
      if (!removed) throw new NotFoundError('Allergy');
      await this.audit.record(trx, meta, [
        { patientId, resourceType: 'allergy', resourceId: allergyId, action: 'delete', details: { substance: removed.substance } },
      ]);
    });
  }

  /** What the prescription check compares against: allergy records and the profile's free-text allergies. */
  async facts(db: Executor, patientId: string): Promise<AllergyFact[]> {
    const [rows, profile] = await Promise.all([this.allergies.listLive(db, patientId), this.profiles.profile(patientId)]);
    const recorded: AllergyFact[] = rows.map((r) => ({ id: r.id, substance: r.substance, reaction: r.reaction, severity: r.severity, source: 'record' }));
    const keys = new Set(rows.map((r) => r.substance_key));
    const listed: AllergyFact[] = (profile?.allergies ?? [])
      .filter((text) => substanceKey(text) && !keys.has(substanceKey(text)))
      .map((text) => ({ id: null, substance: text, reaction: null, severity: null, source: 'profile' }));
    return [...recorded, ...listed];
  }
}
