import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../helpers/build.js';
import { createUser, stepUp, type TestUser } from '../helpers/users.js';
import sharp from 'sharp';
import { multipartBody, upload } from '../helpers/files.js';
import { irregularLesion } from '../../src/modules/infections/analysis/testing.js';
import { createSlot, futureHour } from '../helpers/scheduling.js';

/**
 * Issue 11, item 4: every read or write of patient data writes an audit row. This walks
 * /openapi.json: every operation of a patient-data area (by tag) or named below must have
 * a request in `calls`, and each such request, answered 2xx, must have added at least one
 * audit row naming the caller. A new PHI route without a request here, or without an audit
 * row, fails the test.
 */
const PHI_TAGS = new Set([
  'appointments',
  'clients',
  'medical records',
  'prescriptions',
  'lab reports',
  'files',
  'symptom-checker',
  // Added in the security review of this week's routes: skin images and their consults, the waitlist (a patient's wish to be seen).
  'skin image analysis',
  'waitlist',
]);
/** PHI operations in otherwise non-PHI areas. */
const PHI_OPERATIONS = new Set([
  'GET /api/v1/chat/rooms/{id}/history',
  'POST /api/v1/chat/rooms/{id}/messages',
  'GET /api/v1/patients/{id}',
  'GET /api/v1/patients/me/allergies',
  'POST /api/v1/patients/me/allergies',
  'GET /api/v1/patients/{id}/allergies',
  'POST /api/v1/patients/{id}/allergies',
  'DELETE /api/v1/patients/{id}/allergies/{allergy_id}',
  'GET /api/v1/patients/me/client-links',
  'POST /api/v1/patients/me/client-links/{id}/accept',
  'DELETE /api/v1/patients/me/client-links/{id}',
  // "Download my data" and an admin's export of a patient (identity area): the whole record.
  'GET /api/v1/users/me/export',
  'GET /api/v1/users/{user}/export',
  // The patient's own profile (demographics, emergency contact) and photo.
  'GET /api/v1/patients/me',
  'PUT /api/v1/patients/me',
  'POST /api/v1/patients/me',
  'PUT /api/v1/patients/me/photo',
  'POST /api/v1/patients/me/photo',
]);
/** Operations under a PHI tag that read or write no patient data, and why. */
const NOT_PHI: Record<string, string> = {
  'GET /api/v1/appointments/{id}/token': 'video-provider credentials for a party of the appointment; reveals nothing about the patient',
  'GET /api/v1/ml/symptom-checker/conditions': 'the public knowledge base (conditions, evidence, sources); no patient data',
  'GET /api/v1/ml/symptom-checker/model': 'admin view of model versions: aggregate adjustments and counts, no patient data',
  'POST /api/v1/ml/symptom-checker/model/apply': 'folds pending feedback into aggregate model adjustments; no patient data is read out',
  'POST /api/v1/ml/symptom-checker/model/versions/{id}/activate': 'switches the active model version; no patient data',
};

type Call = {
  who: () => TestUser;
  method: string;
  url: () => string;
  payload?: () => unknown;
  multipart?: () => { filename: string; data: string | Buffer; contentType?: string; field?: string };
};

test('every PHI route in the OpenAPI document writes an audit row', async (t) => {
  const built = await build(t, {}, { RATE_LIMIT_API_PER_MIN: '1000000' });
  const { app, ctx } = built;
  const [patient, doctor, nurse, admin] = await Promise.all([
    createUser(built, 'patient'),
    createUser(built, 'doctor', { stepUp: true }),
    createUser(built, 'nurse'),
    createUser(built, 'admin'),
  ]);
  const inject = async (who: TestUser, method: string, url: string, payload?: unknown) =>
    app.inject({ method: method as 'GET', url, headers: who.auth, ...(payload !== undefined && { payload: payload as object }) });
  const ok = async (res: { statusCode: number; body: string; json(): any }) => {
    assert.ok(res.statusCode < 300, res.body);
    return res.json();
  };

  // The cast: an appointment the patient booked (the care link), a client, a record, a prescription, a file, a report, a room.
  const slots = [
    await createSlot(built, doctor, futureHour(48)),
    await createSlot(built, doctor, futureHour(49)),
    await createSlot(built, doctor, futureHour(72)),
    await createSlot(built, doctor, futureHour(96)),
  ];
  const appointment = await ok(await inject(patient, 'POST', '/api/v1/appointments', { slot_id: slots[0]!.id, reason: 'cough' }));
  const client = await ok(await inject(admin, 'POST', '/api/v1/clients', { first_name: 'Ann', last_name: 'Audit', medical_history: 'asthma' }));
  const linked = await ok(
    await inject(nurse, 'POST', '/api/v1/clients', { first_name: 'Pat', last_name: 'Linked', user_id: patient.id, assigned_doctor_id: doctor.id }),
  );
  const record = await ok(
    await inject(doctor, 'POST', '/api/v1/medical/records', { patient_id: patient.id, record_type: 'note', title: 'Note', content: 'Seen.' }),
  );
  const prescription = await ok(
    await inject(doctor, 'POST', '/api/v1/prescriptions', { patient_id: patient.id, items: [{ drug: 'Paracetamol', dose: '500 mg', frequency: 'qid' }] }),
  );
  const prescription2 = await ok(
    await inject(doctor, 'POST', '/api/v1/prescriptions', { patient_id: patient.id, items: [{ drug: 'Cetirizine', dose: '10 mg', frequency: 'qd' }] }),
  );
  const file = await ok(await upload(built, patient, '/api/v1/files', { filename: 'notes.csv', data: 'a,b\n1,2\n' }));
  const report = await ok(
    await upload(built, patient, '/api/v1/reports', { filename: 'labs.csv', data: 'test,value,unit,range\nGlucose,5.1,mmol/L,3.9-5.5\n' }),
  );
  const allergy = await ok(await inject(nurse, 'POST', `/api/v1/patients/${patient.id}/allergies`, { substance: 'Peanuts' }));
  const room = await ok(await inject(patient, 'POST', '/api/v1/chat/rooms', { kind: 'direct', participant_ids: [doctor.id] }));
  const interview = await ok(
    await inject(patient, 'POST', '/api/v1/ml/symptom-checker/start', { age: 30, sex: 'female', text: 'sore throat and a cough for two days' }),
  );
  await ok(await inject(patient, 'POST', `/api/v1/chat/rooms/${room.id}/messages`, { content: 'hello' }));
  // A skin image and a dermatologist with a free slot for its consult.
  const lesion = irregularLesion();
  const png = await sharp(Buffer.from(lesion.rgb), { raw: { width: lesion.width, height: lesion.height, channels: 3 } })
    .png()
    .toBuffer();
  const dermatologist = await createUser(built, 'doctor');
  await ok(await inject(dermatologist, 'PUT', '/api/v1/doctors/me', { specialty: 'dermatology' }));
  await createSlot(built, dermatologist, futureHour(120));
  const image = multipartBody([{ name: 'image', filename: 'arm.png', contentType: 'image/png', data: png }]);
  const skin = await ok(
    await app.inject({ method: 'POST', url: '/api/v1/infections/diagnose', payload: image.payload, headers: { ...image.headers, ...patient.auth } }),
  );
  const wish = await ok(
    await inject(patient, 'POST', '/api/v1/waitlist', { doctor_id: doctor.id, from_date: '2030-01-01', to_date: '2030-01-10', time_zone: 'UTC' }),
  );
  // The exports need a recent second factor (docs/API.md §1.1): stepUp gives these accounts one (their tokens change in place).
  await Promise.all([stepUp(built, patient), stepUp(built, admin)]);

  // In the order they run (destructive ones last).
  const calls: Record<string, Call> = {
    'GET /api/v1/appointments': { who: () => doctor, method: 'GET', url: () => '/api/v1/appointments' },
    'GET /api/v1/appointments/{id}': { who: () => nurse, method: 'GET', url: () => `/api/v1/appointments/${appointment.id}` },
    'GET /api/v1/appointments/{id}.ics': { who: () => patient, method: 'GET', url: () => `/api/v1/appointments/${appointment.id}.ics` },
    'PATCH /api/v1/appointments/{id}': {
      who: () => doctor,
      method: 'PATCH',
      url: () => `/api/v1/appointments/${appointment.id}`,
      payload: () => ({ notes: 'bring inhaler' }),
    },
    'POST /api/v1/appointments/{id}/reschedule': {
      who: () => patient,
      method: 'POST',
      url: () => `/api/v1/appointments/${appointment.id}/reschedule`,
      payload: () => ({ slot_id: slots[1]!.id }),
    },
    'PATCH /api/v1/appointments/{id}/status': {
      who: () => doctor,
      method: 'PATCH',
      url: () => `/api/v1/appointments/${appointment.id}`.concat('/status'),
      payload: () => ({ status: 'confirmed' }),
    },
    'POST /api/v1/appointments': {
      who: () => nurse,
      method: 'POST',
      url: () => '/api/v1/appointments',
      payload: () => ({ slot_id: slots[2]!.id, patient_id: patient.id }),
    },
    'POST /api/v1/appointments/request': {
      who: () => patient,
      method: 'POST',
      url: () => '/api/v1/appointments/request',
      payload: () => ({ doctor_id: doctor.id, after: futureHour(80).toISOString() }),
    },
    'POST /api/v1/appointments/{id}/cancel': {
      who: () => patient,
      method: 'POST',
      url: () => `/api/v1/appointments/${appointment.id}/cancel`,
      payload: () => ({ reason: 'better' }),
    },
    'POST /api/v1/clients': { who: () => admin, method: 'POST', url: () => '/api/v1/clients', payload: () => ({ first_name: 'New', last_name: 'Client' }) },
    'GET /api/v1/clients': { who: () => nurse, method: 'GET', url: () => '/api/v1/clients' },
    'GET /api/v1/clients/{id}': { who: () => nurse, method: 'GET', url: () => `/api/v1/clients/${client.id}` },
    'PUT /api/v1/clients/{id}': { who: () => nurse, method: 'PUT', url: () => `/api/v1/clients/${client.id}`, payload: () => ({ notes: 'called back' }) },
    'GET /api/v1/patients/me/client-links': { who: () => patient, method: 'GET', url: () => '/api/v1/patients/me/client-links' },
    'POST /api/v1/patients/me/client-links/{id}/accept': {
      who: () => patient,
      method: 'POST',
      url: () => `/api/v1/patients/me/client-links/${linked.id}/accept`,
    },
    'POST /api/v1/medical/records': {
      who: () => doctor,
      method: 'POST',
      url: () => '/api/v1/medical/records',
      payload: () => ({ patient_id: patient.id, record_type: 'note', title: 'Two', content: 'x' }),
    },
    'GET /api/v1/medical/records': { who: () => patient, method: 'GET', url: () => '/api/v1/medical/records' },
    'GET /api/v1/medical/records/{id}': { who: () => doctor, method: 'GET', url: () => `/api/v1/medical/records/${record.id}` },
    'PUT /api/v1/medical/records/{id}': {
      who: () => doctor,
      method: 'PUT',
      url: () => `/api/v1/medical/records/${record.id}`,
      payload: () => ({ record_type: 'note', title: 'Note', content: 'Seen again.' }),
    },
    'GET /api/v1/medical/records/{id}/versions': { who: () => patient, method: 'GET', url: () => `/api/v1/medical/records/${record.id}/versions` },
    'POST /api/v1/medical/records/{id}/upload': {
      who: () => patient,
      method: 'POST',
      url: () => `/api/v1/medical/records/${record.id}/upload`,
      multipart: () => ({ filename: 'att.csv', data: 'x,y\n1,2\n' }),
    },
    'POST /api/v1/prescriptions': {
      who: () => doctor,
      method: 'POST',
      url: () => '/api/v1/prescriptions',
      payload: () => ({ patient_id: patient.id, items: [{ drug: 'Ibuprofen', dose: '200 mg', frequency: 'tid' }] }),
    },
    'GET /api/v1/prescriptions': { who: () => patient, method: 'GET', url: () => '/api/v1/prescriptions' },
    'GET /api/v1/prescriptions/{id}': { who: () => doctor, method: 'GET', url: () => `/api/v1/prescriptions/${prescription.id}` },
    'PATCH /api/v1/prescriptions/{id}/status': {
      who: () => doctor,
      method: 'PATCH',
      url: () => `/api/v1/prescriptions/${prescription.id}/status`,
      payload: () => ({ status: 'completed' }),
    },
    'PUT /api/v1/prescriptions/{id}/status': {
      who: () => doctor,
      method: 'PUT',
      url: () => `/api/v1/prescriptions/${prescription2.id}/status`,
      payload: () => ({ status: 'cancelled', reason: 'done' }),
    },
    'POST /api/v1/files': { who: () => patient, method: 'POST', url: () => '/api/v1/files', multipart: () => ({ filename: 'more.csv', data: 'c,d\n3,4\n' }) },
    'GET /api/v1/files/{id}': { who: () => patient, method: 'GET', url: () => `/api/v1/files/${file.id}` },
    'GET /api/v1/files/{id}/download': { who: () => patient, method: 'GET', url: () => `/api/v1/files/${file.id}/download` },
    'POST /api/v1/reports': {
      who: () => patient,
      method: 'POST',
      url: () => '/api/v1/reports',
      multipart: () => ({ filename: 'labs2.csv', data: 'test,value,unit,range\nGlucose,5.3,mmol/L,3.9-5.5\n' }),
    },
    'GET /api/v1/reports': { who: () => patient, method: 'GET', url: () => '/api/v1/reports' },
    'GET /api/v1/reports/{id}': { who: () => doctor, method: 'GET', url: () => `/api/v1/reports/${report.id}` },
    'GET /api/v1/patients/{id}/observations': { who: () => doctor, method: 'GET', url: () => `/api/v1/patients/${patient.id}/observations?name=glucose` },
    'GET /api/v1/patients/me/observations': { who: () => patient, method: 'GET', url: () => '/api/v1/patients/me/observations?name=glucose' },
    'GET /api/v1/chat/rooms/{id}/history': { who: () => doctor, method: 'GET', url: () => `/api/v1/chat/rooms/${room.id}/history` },
    'POST /api/v1/chat/rooms/{id}/messages': {
      who: () => doctor,
      method: 'POST',
      url: () => `/api/v1/chat/rooms/${room.id}/messages`,
      payload: () => ({ content: 'Your results are back.' }),
    },
    'POST /api/v1/ml/symptom-checker/start': {
      who: () => patient,
      method: 'POST',
      url: () => '/api/v1/ml/symptom-checker/start',
      payload: () => ({ age: 30, sex: 'female', text: 'headache since yesterday' }),
    },
    'POST /api/v1/ml/symptom-checker/continue': {
      who: () => patient,
      method: 'POST',
      url: () => '/api/v1/ml/symptom-checker/continue',
      payload: () => ({ session_id: interview.session_id, answer: { question_id: interview.question.id, value: 'unknown' } }),
    },
    'GET /api/v1/ml/symptom-checker/sessions/{id}': {
      who: () => patient,
      method: 'GET',
      url: () => `/api/v1/ml/symptom-checker/sessions/${interview.session_id}`,
    },
    'GET /api/v1/ml/symptom-checker/history': { who: () => patient, method: 'GET', url: () => '/api/v1/ml/symptom-checker/history' },
    'POST /api/v1/ml/symptom-checker/feedback': {
      who: () => patient,
      method: 'POST',
      url: () => '/api/v1/ml/symptom-checker/feedback',
      payload: () => ({ session_id: interview.session_id, helpful: true }),
    },
    'GET /api/v1/patients/{id}': { who: () => doctor, method: 'GET', url: () => `/api/v1/patients/${patient.id}` },
    'POST /api/v1/patients/me/allergies': {
      who: () => patient,
      method: 'POST',
      url: () => '/api/v1/patients/me/allergies',
      payload: () => ({ substance: 'Penicillin', severity: 'severe' }),
    },
    'GET /api/v1/patients/me/allergies': { who: () => patient, method: 'GET', url: () => '/api/v1/patients/me/allergies' },
    'POST /api/v1/patients/{id}/allergies': {
      who: () => nurse,
      method: 'POST',
      url: () => `/api/v1/patients/${patient.id}/allergies`,
      payload: () => ({ substance: 'Latex' }),
    },
    'GET /api/v1/patients/{id}/allergies': { who: () => doctor, method: 'GET', url: () => `/api/v1/patients/${patient.id}/allergies` },
    'GET /api/v1/users/me/export': { who: () => patient, method: 'GET', url: () => '/api/v1/users/me/export' },
    'GET /api/v1/users/{user}/export': { who: () => admin, method: 'GET', url: () => `/api/v1/users/${patient.id}/export` },
    'POST /api/v1/infections/diagnose': {
      who: () => patient,
      method: 'POST',
      url: () => '/api/v1/infections/diagnose',
      multipart: () => ({ filename: 'leg.png', data: png, contentType: 'image/png', field: 'image' }),
    },
    'GET /api/v1/infections': { who: () => patient, method: 'GET', url: () => '/api/v1/infections' },
    'GET /api/v1/infections/{id}': { who: () => patient, method: 'GET', url: () => `/api/v1/infections/${skin.id}` },
    'POST /api/v1/infections/{id}/consult': { who: () => patient, method: 'POST', url: () => `/api/v1/infections/${skin.id}/consult` },
    'GET /api/v1/patients/me': { who: () => patient, method: 'GET', url: () => '/api/v1/patients/me' },
    'PUT /api/v1/patients/me': { who: () => patient, method: 'PUT', url: () => '/api/v1/patients/me', payload: () => ({ time_zone: 'Europe/Berlin' }) },
    'POST /api/v1/patients/me': { who: () => patient, method: 'POST', url: () => '/api/v1/patients/me', payload: () => ({ time_zone: 'Europe/Paris' }) },
    'PUT /api/v1/patients/me/photo': {
      who: () => patient,
      method: 'PUT',
      url: () => '/api/v1/patients/me/photo',
      multipart: () => ({ filename: 'me.png', data: png, contentType: 'image/png' }),
    },
    'POST /api/v1/patients/me/photo': {
      who: () => patient,
      method: 'POST',
      url: () => '/api/v1/patients/me/photo',
      multipart: () => ({ filename: 'me2.png', data: png, contentType: 'image/png' }),
    },
    'GET /api/v1/waitlist': { who: () => patient, method: 'GET', url: () => '/api/v1/waitlist' },
    'POST /api/v1/waitlist': {
      who: () => patient,
      method: 'POST',
      url: () => '/api/v1/waitlist',
      payload: () => ({ doctor_id: doctor.id, from_date: '2030-02-01', to_date: '2030-02-10', time_zone: 'UTC' }),
    },
    'DELETE /api/v1/waitlist/{id}': { who: () => patient, method: 'DELETE', url: () => `/api/v1/waitlist/${wish.id}` },
    'DELETE /api/v1/patients/me/client-links/{id}': { who: () => patient, method: 'DELETE', url: () => `/api/v1/patients/me/client-links/${linked.id}` },
    'DELETE /api/v1/clients/{id}': { who: () => admin, method: 'DELETE', url: () => `/api/v1/clients/${client.id}` },
    'DELETE /api/v1/patients/{id}/allergies/{allergy_id}': {
      who: () => doctor,
      method: 'DELETE',
      url: () => `/api/v1/patients/${patient.id}/allergies/${allergy.id}`,
    },
  };

  const doc = (await app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, { tags?: string[] }>> };
  const phi: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const key = `${method.toUpperCase()} ${path}`;
      if (NOT_PHI[key]) continue;
      if ((op.tags ?? []).some((tag) => PHI_TAGS.has(tag)) || PHI_OPERATIONS.has(key)) phi.push(key);
    }
  }
  assert.ok(phi.length >= 30, `found only ${phi.length} PHI operations`);
  assert.deepEqual(
    phi.filter((key) => !calls[key]),
    [],
    'PHI operations without an audit check in this test',
  );
  assert.deepEqual(
    Object.keys(calls).filter((key) => !phi.includes(key)),
    [],
    'checks for operations that are not in the OpenAPI document',
  );

  const count = async () =>
    Number(
      (
        await ctx.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  for (const [key, call] of Object.entries(calls)) {
    await t.test(key, async () => {
      const before = await count();
      const who = call.who();
      const file = call.multipart?.();
      const res = file
        ? call.method === 'POST' && !file.field
          ? await upload(built, who, call.url(), file)
          : await (() => {
              const { payload, headers } = multipartBody([
                { name: file.field ?? 'file', filename: file.filename, contentType: file.contentType, data: file.data },
              ]);
              return app.inject({ method: call.method as 'POST', url: call.url(), payload, headers: { ...headers, ...who.auth } });
            })()
        : await inject(who, call.method, call.url(), call.payload?.());
      assert.ok(res.statusCode < 300, `${key} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
      const rows = await ctx.db
        .selectFrom('audit_log')
        .select(['actor_id', 'resource_type', 'action'])
        .orderBy('at', 'desc')
        .limit(Math.max(1, (await count()) - before))
        .execute();
      assert.ok((await count()) > before, `${key} wrote no audit row`);
      assert.ok(
        rows.some((r) => r.actor_id === who.id),
        `${key}: no audit row names the caller`,
      );
    });
  }
});
