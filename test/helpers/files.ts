import { randomBytes } from 'node:crypto';
import type { BuiltApp } from '../../src/app.js';
import { build } from './build.js';
import { createUser, type TestUser } from './users.js';
import { startS3Server } from './s3.js';
import { startAzurite } from './azurite.js';

/** Test helpers for multipart uploads and care links (imported by tests only). */
export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer | string;
}

export function multipartBody(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----carebridge${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.filename !== undefined) head += `Content-Type: ${part.contentType ?? 'application/octet-stream'}\r\n`;
    chunks.push(Buffer.from(head + '\r\n', 'utf8'), Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data, 'utf8'), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export async function upload(
  built: BuiltApp,
  user: TestUser | null,
  url: string,
  file: { filename: string; data: Buffer | string; contentType?: string },
  fields: Record<string, string> = {},
) {
  const parts: Part[] = [...Object.entries(fields).map(([name, data]) => ({ name, data })), { name: 'file', ...file }];
  const { payload, headers } = multipartBody(parts);
  return built.app.inject({ method: 'POST', url, payload, headers: { ...headers, ...(user?.auth ?? {}), 'user-agent': 'carebridge-tests/1.0' } });
}

/** A PDF made by a real PDF writer (pdfkit), with the given text lines. */
export async function makePdf(lines: string[], options: { userPassword?: string } = {}): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: 'CareBridge test document', CreationDate: new Date('2026-01-01T00:00:00Z') },
    ...(options.userPassword ? { userPassword: options.userPassword, pdfVersion: '1.7' } : {}),
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  doc.font('Courier').fontSize(10);
  for (const line of lines) doc.text(line);
  doc.end();
  return done;
}

/** Creates a care relationship between a doctor and a patient for tests: a slot of the doctor's, booked by the patient. */
export async function linkCare(built: BuiltApp, doctor: TestUser, patient: TestUser): Promise<void> {
  const start = new Date(Date.now() + (2 + Math.floor(Math.random() * 500)) * 3600_000);
  start.setUTCMinutes(0, 0, 0);
  const slot = await built.app.inject({
    method: 'POST',
    url: '/api/v1/doctors/me/slots',
    headers: doctor.auth,
    payload: { start: start.toISOString(), duration_minutes: 30 },
  });
  if (slot.statusCode !== 201 && slot.statusCode !== 200) throw new Error(`slot creation failed ${slot.statusCode}: ${slot.body}`);
  const booked = await built.app.inject({
    method: 'POST',
    url: '/api/v1/appointments',
    headers: patient.auth,
    payload: { slot_id: slot.json().id, type: 'video', reason: 'test' },
  });
  if (booked.statusCode !== 201 && booked.statusCode !== 200) throw new Error(`booking failed ${booked.statusCode}: ${booked.body}`);
}

/**
 * The cast of the storage-backed tests (files, medical, reports): an app on local disk, on
 * a real S3-compatible server (s3rver) or on Azure Blob Storage (Azurite), two patients, two doctors, a nurse, an admin and a pending
 * doctor, with `doctor` caring for `patient` through a real appointment.
 */
export async function clinicOnStorage(t: Parameters<typeof build>[0] & Parameters<typeof startS3Server>[0], backend: 'local' | 's3' | 'azure') {
  const s3 = backend === 's3' ? await startS3Server(t) : null;
  const azure = backend === 'azure' ? await startAzurite(t) : null;
  const built = await build(t, s3 ? { s3 } : azure ? { azure } : {});
  const [patient, otherPatient, doctor, otherDoctor, nurse, admin, pendingDoctor] = await Promise.all([
    createUser(built, 'patient'),
    createUser(built, 'patient'),
    // Stepped up: prescribing needs a recent second factor (docs/API.md §1.1).
    createUser(built, 'doctor', { stepUp: true }),
    createUser(built, 'doctor', { stepUp: true }),
    createUser(built, 'nurse'),
    createUser(built, 'admin'),
    createUser(built, 'doctor', { pending: true }),
  ]);
  await linkCare(built, doctor, patient);
  return { built, app: built.app, patient, otherPatient, doctor, otherDoctor, nurse, admin, pendingDoctor };
}
