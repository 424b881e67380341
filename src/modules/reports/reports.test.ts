import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { TestUser } from '../../../test/helpers/users.js';
import { clinicOnStorage, upload } from '../../../test/helpers/files.js';
import { parseCsvReport, parseRange, parseValue, classify } from './parse.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name));
type Obs = { name: string; value: number; unit: string | null; reference_range: string | null; flag: string | null; code: string; observed_at: string };
const byName = (items: Obs[]) => Object.fromEntries(items.map((o) => [o.name, o]));

test('parsing units: ranges, values, flags', () => {
  assert.deepEqual(parseRange('3.5-5.1'), { low: 3.5, high: 5.1 });
  assert.deepEqual(parseRange('3,5 – 5,1'), { low: 3.5, high: 5.1 });
  assert.deepEqual(parseRange('<200'), { low: null, high: 200 });
  assert.deepEqual(parseRange('≥ 40 mg/dL'), { low: 40, high: null });
  assert.equal(parseRange('see note'), null);
  assert.equal(parseValue('13.2 H'), 13.2);
  assert.equal(parseValue('5,4'), 5.4);
  assert.equal(parseValue('<0.5'), 0.5);
  assert.equal(parseValue('Positive'), null);
  assert.equal(classify('Potassium', 6.8, 'mmol/L', '3.5-5.1').flag, 'critical');
  assert.equal(classify('K+', 5.5, 'mmol/L', null).flag, 'high');
  assert.equal(classify('Glucose', 5.4, 'mmol/L', null).flag, 'normal', 'converted to mg/dL for the built-in range');
  assert.equal(classify('Glucose', 5.4, 'furlongs', null).flag, null, 'unknown unit: no guess');
  assert.equal(classify('Mystery marker', 3, 'U', null).flag, null);
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Test\tResult\tUnit\nTSH\t2.0\tmIU/L\n', 'utf16le')]);
  assert.equal(parseCsvReport(utf16).observations[0]?.flag, 'normal');
});

for (const backend of ['local', 's3', 'azure'] as const) {
  test(`lab reports (${backend} storage)`, async (t) => {
    const { built, app, patient, otherPatient, doctor, otherDoctor, nurse, admin, pendingDoctor } = await clinicOnStorage(t, backend);
    const events: { abnormal_count: number }[] = [];
    built.ctx.events.subscribe('lab_report.created', (e: { abnormal_count: number }) => void events.push(e));
    const get = (user: TestUser | null, url: string) => app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user?.auth ?? {} });

    let csvReport = '';
    await t.test('CSV (UTF-8): flags from the report and the built-in table; unparsed rows with reasons', async () => {
      const res = await upload(built, patient, '/api/v1/reports?collected_at=2026-01-10T09:00:00Z', { filename: 'cbc-cmp.csv', data: fixture('cbc-cmp.csv') });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      csvReport = body.id;
      assert.equal(body.format, 'csv');
      assert.equal(body.status, 'partial');
      const obs = byName(body.observations);
      assert.equal(obs.Hemoglobin?.flag, 'low');
      assert.equal(obs.WBC?.flag, 'normal');
      assert.equal(obs.Platelets?.flag, 'high');
      assert.equal(obs.Potassium?.flag, 'critical');
      assert.equal(obs.Glucose?.flag, 'high');
      assert.equal(obs.HbA1c?.flag, 'high');
      assert.equal(obs.HbA1c?.reference_range, '4-5.6', 'built-in range shown');
      assert.equal(obs.Hemoglobin?.reference_range, '12.0-15.5');
      assert.equal(obs.Hemoglobin?.unit, 'g/dL');
      assert.equal(body.observations.length, 8);
      assert.equal(body.unparsed.length, 2);
      assert.match(body.unparsed[0].reason, /not a number/);
      assert.match(body.unparsed[1].reason, /no result value/);
      assert.equal(body.abnormal_count, 5);
      assert.equal(body.collected_at, '2026-01-10T09:00:00.000Z');
      assert.equal(body.file.content_type, 'text/csv');
      assert.equal(events.at(-1)?.abnormal_count, 5);
    });

    await t.test('CSV (Latin-1, semicolons, decimal commas, French headers, SI units)', async () => {
      const res = await upload(built, patient, '/api/v1/reports', { filename: 'lipides.csv', data: fixture('lipids-fr-latin1.csv') });
      assert.equal(res.statusCode, 201, res.body);
      const obs = byName(res.json().observations);
      assert.equal(res.json().status, 'parsed');
      assert.equal(obs['Cholestérol total']?.value, 5.9);
      assert.equal(obs['Cholestérol total']?.flag, 'high');
      assert.equal(obs.HDL?.flag, 'normal');
      assert.equal(obs['Triglycérides']?.flag, 'normal', 'built-in range after mmol/L → mg/dL');
      assert.equal(obs.LDL?.flag, 'high');
      assert.equal(obs['Hémoglobine']?.flag, 'normal');
    });

    let pdfReport = '';
    await t.test('PDF (pdfkit): text extracted, rows parsed, noise reported, date read', async () => {
      const res = await upload(built, doctor, `/api/v1/reports?patient_id=${patient.id}`, { filename: 'labs.pdf', data: fixture('thyroid-diabetes.pdf') });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      pdfReport = body.id;
      assert.equal(body.format, 'pdf');
      assert.equal(body.collected_at, '2026-03-02T08:15:00.000Z');
      const obs = byName(body.observations);
      assert.equal(obs.TSH?.flag, 'high');
      assert.equal(obs.TSH?.unit, 'mIU/L');
      assert.equal(obs['Free T4']?.flag, 'normal');
      assert.equal(obs.HbA1c?.value, 7.2);
      assert.equal(obs.HbA1c?.flag, 'high');
      assert.equal(obs['Glucose fasting']?.flag, 'high');
      assert.equal(obs.Potassium?.flag, 'critical');
      assert.equal(obs['Vitamin D']?.flag, 'low');
      assert.ok(body.unparsed.some((u: { text: string }) => u.text.includes('Page 1 of 1')));
    });

    await t.test('unreadable reports: encrypted → 422, image-only → unparsed, malformed CSV → rows unparsed', async () => {
      const enc = await upload(built, patient, '/api/v1/reports', { filename: 'enc.pdf', data: fixture('encrypted.pdf') });
      assert.equal(enc.statusCode, 422, enc.body);
      assert.match(enc.json().detail, /password/);
      const scan = await upload(built, patient, '/api/v1/reports', { filename: 'scan.pdf', data: fixture('scanned-image-only.pdf') });
      assert.equal(scan.statusCode, 201, scan.body);
      assert.equal(scan.json().status, 'unparsed');
      assert.equal(scan.json().observations.length, 0);
      assert.match(scan.json().unparsed[0].reason, /no text layer/);
      const bad = await upload(built, patient, '/api/v1/reports', { filename: 'bad.csv', data: fixture('malformed.csv') });
      assert.equal(bad.statusCode, 201, bad.body);
      assert.ok(bad.json().observations.some((o: Obs) => o.name === 'Hemoglobin'));
      assert.ok(bad.json().unparsed.length >= 1, JSON.stringify(bad.json().unparsed));
      const noCols = await upload(built, patient, '/api/v1/reports', { filename: 'x.csv', data: fixture('no-columns.csv') });
      assert.equal(noCols.statusCode, 422, noCols.body);
      const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#fff' } })
        .png()
        .toBuffer();
      assert.equal((await upload(built, patient, '/api/v1/reports', { filename: 'x.png', data: png })).statusCode, 415);
      assert.equal((await upload(built, patient, '/api/v1/reports', { filename: 'x.csv', data: '' })).statusCode, 422);
      // Nothing half-stored: only the successful uploads have file rows.
      const files = await built.ctx.db.selectFrom('files').select('id').execute();
      const reports = await built.ctx.db.selectFrom('lab_reports').select('file_id').execute();
      assert.equal(files.length, reports.length);
    });

    await t.test('who may upload for whom', async () => {
      const csv = fixture('cbc-cmp.csv');
      assert.equal((await upload(built, otherDoctor, `/api/v1/reports?patient_id=${patient.id}`, { filename: 'a.csv', data: csv })).statusCode, 404);
      assert.equal((await upload(built, otherDoctor, '/api/v1/reports', { filename: 'a.csv', data: csv }, { patient_id: patient.id })).statusCode, 404);
      assert.equal((await upload(built, otherPatient, `/api/v1/reports?patient_id=${patient.id}`, { filename: 'a.csv', data: csv })).statusCode, 404);
      assert.equal((await upload(built, nurse, '/api/v1/reports', { filename: 'a.csv', data: csv })).statusCode, 422);
      assert.equal((await upload(built, nurse, '/api/v1/reports', { filename: 'a.csv', data: csv }, { patient_id: patient.id })).statusCode, 201);
      assert.equal((await upload(built, pendingDoctor, `/api/v1/reports?patient_id=${patient.id}`, { filename: 'a.csv', data: csv })).statusCode, 403);
      assert.equal((await upload(built, null, '/api/v1/reports', { filename: 'a.csv', data: csv })).statusCode, 401);
    });

    await t.test('BOLA: reports, original file, trend', async () => {
      for (const user of [patient, doctor, nurse, admin]) {
        const res = await get(user, `/reports/${pdfReport}`);
        assert.equal(res.statusCode, 200, user.role);
        assert.equal((await get(user, res.json().file_url.replace('/api/v1', ''))).statusCode, 200, `${user.role} file`);
      }
      const fileUrl = (await get(patient, `/reports/${pdfReport}`)).json().file_url.replace('/api/v1', '');
      for (const user of [otherPatient, otherDoctor]) {
        assert.equal((await get(user, `/reports/${pdfReport}`)).statusCode, 404);
        assert.equal((await get(user, fileUrl)).statusCode, 404);
        assert.equal((await get(user, `/patients/${patient.id}/observations?name=HbA1c`)).statusCode, 404);
        assert.equal((await get(user, `/reports?patient_id=${patient.id}`)).statusCode, 404);
        assert.equal((await get(user, '/reports')).json().items.length, 0);
      }
      assert.equal((await get(pendingDoctor, `/reports/${pdfReport}`)).statusCode, 403);
      assert.equal((await get(null, `/reports/${pdfReport}`)).statusCode, 401);
      const mine = (await get(patient, '/reports')).json().items;
      assert.ok(mine.length >= 5);
      assert.ok(mine.every((r: { patient_id: string }) => r.patient_id === patient.id));
      assert.ok(mine.some((r: { id: string }) => r.id === csvReport));
      const page = await get(doctor, '/reports?limit=2');
      assert.equal(page.json().items.length, 2);
      assert.ok(page.json().next_cursor);
    });

    await t.test('trend: one analyte over time, any alias', async () => {
      const res = await get(doctor, `/patients/${patient.id}/observations?name=A1c`);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.code, 'hba1c');
      assert.equal(body.name, 'HbA1c');
      const points = body.items.map((o: Obs & { report_id: string }) => [o.observed_at.slice(0, 10), o.value, o.flag]);
      assert.deepEqual(points.slice(0, 2), [
        ['2026-01-10', 6.1, 'high'],
        ['2026-03-02', 7.2, 'high'],
      ]);
      const mine = await get(patient, `/patients/${patient.id}/observations?name=${encodeURIComponent('Glycated hemoglobin')}`);
      assert.equal(mine.json().items.length, body.items.length);
      assert.equal((await get(patient, `/patients/${patient.id}/observations`)).statusCode, 422);
    });

    await t.test('audit of report reads', async () => {
      const rows = await built.ctx.db
        .selectFrom('audit_log')
        .selectAll()
        .where('resource_type', '=', 'lab_report')
        .where('resource_id', '=', pdfReport)
        .execute();
      assert.ok(rows.some((r) => r.action === 'create' && r.actor_id === doctor.id));
      assert.ok(rows.some((r) => r.action === 'read' && r.actor_id === nurse.id));
    });
  });
}
