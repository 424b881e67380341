import { copyFile, mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.js';
import { auditFor } from '../audit/index.js';
import { filesFor, type StagedFile } from '../files/index.js';
import { PrescriptionsRepository, RecordsRepository } from '../medical/medical.repository.js';
import { parseCsvReport } from './parse.js';
import { ReportsRepository } from './reports.repository.js';
import { observationRows } from './reports.service.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/**
 * Demo clinical data for Jane Doe and Dr. Hause: a consultation record, a prescription
 * and a parsed lab report, tied to their completed appointment when scheduling seeded
 * one. Idempotent: does nothing if Jane already has a record.
 */
export async function seedClinicalDemo(ctx: AppContext): Promise<string[]> {
  const db = ctx.db;
  const users = await db.selectFrom('users').select(['id', 'email']).where('email', 'in', ['jane@demo.carebridge.local', 'dr.house@demo.carebridge.local']).execute();
  const jane = users.find((u) => u.email.startsWith('jane'))?.id;
  const hause = users.find((u) => u.email.startsWith('dr.house'))?.id;
  if (!jane || !hause) return [];
  const existing = await db.selectFrom('medical_records').select('id').where('patient_id', '=', jane).executeTakeFirst();
  if (existing) return [];

  let appointmentId: string | null = null;
  let collectedAt = new Date(Date.now() - 7 * 86_400_000);
  const table = await sql<{ t: string | null }>`select to_regclass('appointments')::text as t`.execute(db);
  if (table.rows[0]?.t) {
    const row = await sql<{ id: string; start_at: Date }>`
      select id, start_at from appointments where patient_id = ${jane} and doctor_id = ${hause} and status = 'completed' order by start_at desc limit 1`.execute(db);
    appointmentId = row.rows[0]?.id ?? null;
    if (row.rows[0]) collectedAt = new Date(row.rows[0].start_at);
  }

  const records = new RecordsRepository();
  const audit = auditFor(ctx);
  await db.transaction().execute(async (trx) => {
    const record = await records.insert(trx, {
      patient_id: jane,
      author_id: hause,
      appointment_id: appointmentId,
      record_type: 'consultation',
      title: 'Follow-up: fatigue and thirst',
      content: 'Two months of tiredness and increased thirst. Exam unremarkable. Labs ordered: CBC, metabolic panel, HbA1c. Advised diet review; follow up with results.',
      diagnoses: [
        { code: 'R53.83', text: 'Other fatigue' },
        { code: 'R73.03', text: 'Prediabetes (pending HbA1c)' },
      ],
    });
    const rx = await new PrescriptionsRepository().insert(trx, {
      patient_id: jane,
      doctor_id: hause,
      appointment_id: appointmentId,
      items: [{ drug: 'Metformin', strength: '500 mg', dose: '1 tablet', route: 'oral', frequency: 'twice daily with meals', duration_days: 90, quantity: 180, refills: 1, instructions: 'Start with one tablet daily for the first week.' }],
      notes: 'Demo prescription',
    });
    await audit.record(trx, null, [
      { patientId: jane, resourceType: 'medical_record', resourceId: record.id, action: 'create', details: { seed: true } },
      { patientId: jane, resourceType: 'prescription', resourceId: rx.id, action: 'create', details: { seed: true } },
    ]);
  });

  // The lab report goes through the same storage path as an upload.
  const files = filesFor(ctx);
  const source = join(fixtures, 'cbc-cmp.csv');
  const bytes = readFileSync(source);
  const tmp = files.tmpPath();
  await mkdir(dirname(tmp), { recursive: true });
  await copyFile(source, tmp);
  const staged: StagedFile = { path: tmp, filename: 'cbc-metabolic-panel.csv', contentType: 'text/csv', size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), fields: {}, cleanup: [tmp] };
  const parsed = parseCsvReport(bytes);
  const observations = observationRows(parsed.observations, jane, collectedAt);
  await files.storeWith(staged, { ownerId: hause, patientId: jane }, async (trx, file) => {
    const report = await new ReportsRepository().insert(
      trx,
      {
        patient_id: jane,
        uploaded_by: hause,
        file_id: file.id,
        format: 'csv',
        status: parsed.unparsed.length ? 'partial' : 'parsed',
        collected_at: collectedAt,
        unparsed: JSON.stringify(parsed.unparsed),
        observation_count: observations.length,
        abnormal_count: observations.filter((o) => o.flag && o.flag !== 'normal').length,
      },
      observations,
    );
    await audit.record(trx, null, [{ patientId: jane, resourceType: 'lab_report', resourceId: report.id, action: 'create', details: { seed: true } }]);
  });
  return [`clinical  Jane Doe: 1 record, 1 prescription, 1 lab report${appointmentId ? ' (on the completed appointment with Dr. Hause)' : ''}`];
}
