import { copyFile, mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppContext } from '../../platform/context.js';
import type { StagedFile } from '../files/index.js';
import { parseCsvReport } from './parse.js';
import { ReportsRepository } from './reports.repository.js';
import { observationRows } from './reports.service.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/**
 * Demo lab report for Jane Doe, uploaded by Dr. Hause: a parsed CSV, collected at their
 * completed appointment when scheduling seeded one (medical's seed adds the record and the
 * prescription). Idempotent: does nothing if Jane already has a lab report.
 */
export async function seedClinicalDemo(ctx: AppContext): Promise<string[]> {
  const db = ctx.db;
  const users = await db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('email', 'in', ['jane@demo.carebridge.local', 'dr.house@demo.carebridge.local'])
    .execute();
  const jane = users.find((u) => u.email.startsWith('jane'))?.id;
  const hause = users.find((u) => u.email.startsWith('dr.house'))?.id;
  if (!jane || !hause) return [];
  const existing = await db.selectFrom('lab_reports').select('id').where('patient_id', '=', jane).executeTakeFirst();
  if (existing) return [];
  const appointment = await ctx.services.scheduling.lookups.lastCompletedAppointment(jane, hause);
  const collectedAt = appointment ? new Date(appointment.start_at) : new Date(Date.now() - 7 * 86_400_000);
  const audit = ctx.services.audit;

  // The lab report goes through the same storage path as an upload.
  const files = ctx.services.files;
  const source = join(fixtures, 'cbc-cmp.csv');
  const bytes = readFileSync(source);
  const tmp = files.tmpPath();
  await mkdir(dirname(tmp), { recursive: true });
  await copyFile(source, tmp);
  const staged: StagedFile = {
    path: tmp,
    filename: 'cbc-metabolic-panel.csv',
    contentType: 'text/csv',
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    fields: {},
    cleanup: [tmp],
  };
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
  return [`reports   Jane Doe: 1 lab report${appointment ? ' (collected at the completed appointment with Dr. Hause)' : ''}`];
}
