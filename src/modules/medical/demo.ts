import type { AppContext } from '../../platform/context.js';
import { PrescriptionsRepository, RecordsRepository } from './medical.repository.js';

/**
 * Demo record and prescription for Jane Doe by Dr. Hause, tied to their completed
 * appointment when scheduling seeded one (asked through scheduling's lookups). Runs after
 * scheduling's seed; reports' seed adds the lab report. Idempotent: does nothing if Jane
 * already has a record.
 */
export async function seedMedicalDemo(ctx: AppContext): Promise<string[]> {
  const db = ctx.db;
  const users = await db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('email', 'in', ['jane@demo.carebridge.local', 'dr.house@demo.carebridge.local'])
    .execute();
  const jane = users.find((u) => u.email.startsWith('jane'))?.id;
  const hause = users.find((u) => u.email.startsWith('dr.house'))?.id;
  if (!jane || !hause) return [];
  const existing = await db.selectFrom('medical_records').select('id').where('patient_id', '=', jane).executeTakeFirst();
  if (existing) return [];
  const appointmentId = (await ctx.services.scheduling.lookups.lastCompletedAppointment(jane, hause))?.id ?? null;

  const records = new RecordsRepository();
  const audit = ctx.services.audit;
  await db.transaction().execute(async (trx) => {
    const record = await records.insert(trx, {
      patient_id: jane,
      author_id: hause,
      appointment_id: appointmentId,
      record_type: 'consultation',
      title: 'Follow-up: fatigue and thirst',
      content:
        'Two months of tiredness and increased thirst. Exam unremarkable. Labs ordered: CBC, metabolic panel, HbA1c. Advised diet review; follow up with results.',
      diagnoses: [
        { code: 'R53.83', text: 'Other fatigue' },
        { code: 'R73.03', text: 'Prediabetes (pending HbA1c)' },
      ],
    });
    const rx = await new PrescriptionsRepository().insert(trx, {
      patient_id: jane,
      doctor_id: hause,
      appointment_id: appointmentId,
      items: [
        {
          drug: 'Metformin',
          strength: '500 mg',
          dose: '1 tablet',
          route: 'oral',
          frequency: 'twice daily with meals',
          duration_days: 90,
          quantity: 180,
          refills: 1,
          instructions: 'Start with one tablet daily for the first week.',
        },
      ],
      notes: 'Demo prescription',
    });
    await audit.record(trx, null, [
      { patientId: jane, resourceType: 'medical_record', resourceId: record.id, action: 'create', details: { seed: true } },
      { patientId: jane, resourceType: 'prescription', resourceId: rx.id, action: 'create', details: { seed: true } },
    ]);
  });
  return [`medical   Jane Doe: 1 record, 1 prescription${appointmentId ? ' (on the completed appointment with Dr. Hause)' : ''}`];
}
