import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { upload } from '../../../test/helpers/files.js';
import { book, createSlot, futureHour, users } from '../../../test/helpers/scheduling.js';

/**
 * The guide: "every read or write of patient data is audited". A doctor with a care
 * relationship (the patient booked them) walks the patient's data — REST and FHIR, reads and
 * writes — and each request must leave an audit row that names both the doctor (actor) and
 * the patient (so the patient sees it in GET /audit). test/e2e/audit-coverage.test.ts checks
 * every PHI route in /openapi.json writes some row; this one checks, for the doctor's view,
 * that the row is about the right patient.
 */
test('a doctor with access: every read and write of the patient’s data is audited against that patient', async (t) => {
  const built = await build(t, {}, { RATE_LIMIT_API_PER_MIN: '1000000' });
  const { app, ctx } = built;
  const u = await users(built);
  const { doctor, patient } = u;
  const slot = await createSlot(built, doctor, futureHour(30));
  const appointment = await book(built, patient, { slot_id: slot.id, reason: 'cough' });
  assert.equal(appointment.statusCode, 201, appointment.body);
  const inject = (method: string, url: string, payload?: unknown, who = doctor) =>
    app.inject({ method: method as 'GET', url, headers: who.auth, ...(payload !== undefined && { payload: payload as object }) });
  const ok = async (res: { statusCode: number; body: string; json(): any }) => {
    assert.ok(res.statusCode < 300, res.body);
    return res.body ? res.json() : null;
  };
  const fetched = async (res: { statusCode: number; body: string }) => assert.ok(res.statusCode < 300, `${res.statusCode} ${res.body.slice(0, 300)}`);

  // The patient's own data: a chat room with the doctor (a lab report comes below).
  const room = await ok(await inject('POST', '/api/v1/chat/rooms', { kind: 'direct', participant_ids: [doctor.id] }, patient));
  await ok(await inject('POST', `/api/v1/chat/rooms/${room.id}/messages`, { content: 'my cough is worse' }, patient));

  const state: Record<string, string> = {};
  let report: { id: string; file_id?: string; file?: { id: string } } = { id: '' };
  const fhir = (path: string | (() => string)) => async () => {
    path = typeof path === 'function' ? path() : path;
    const res = await app.inject({ method: 'GET', url: `/fhir/R4/${path}`, headers: { ...doctor.auth, accept: 'application/fhir+json' } });
    assert.ok(res.statusCode < 300, `${path}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    return res.json();
  };
  // In order; each creates what the next may need.
  const steps: [string, () => Promise<unknown>][] = [
    ['GET /patients/{id}', async () => ok(await inject('GET', `/api/v1/patients/${patient.id}`))],
    // A list scoped to the patient tells something even when empty ("nothing recorded").
    ['GET /medical/records (none yet)', async () => ok(await inject('GET', `/api/v1/medical/records?patient_id=${patient.id}`))],
    ['GET /prescriptions (none yet)', async () => ok(await inject('GET', `/api/v1/prescriptions?patient_id=${patient.id}`))],
    ['GET /reports (none yet)', async () => ok(await inject('GET', `/api/v1/reports?patient_id=${patient.id}`))],
    [
      'POST /patients/{id}/allergies',
      async () => (state.allergy = (await ok(await inject('POST', `/api/v1/patients/${patient.id}/allergies`, { substance: 'Latex' }))).id),
    ],
    ['GET /patients/{id}/allergies', async () => ok(await inject('GET', `/api/v1/patients/${patient.id}/allergies`))],
    ['DELETE /patients/{id}/allergies/{allergy_id}', async () => ok(await inject('DELETE', `/api/v1/patients/${patient.id}/allergies/${state.allergy}`))],
    [
      'POST /medical/records',
      async () =>
        (state.record = (
          await ok(
            await inject('POST', '/api/v1/medical/records', {
              patient_id: patient.id,
              record_type: 'diagnosis',
              title: 'Cough',
              content: 'Seen.',
              diagnoses: [{ code: 'J20.9', text: 'Acute bronchitis' }],
            }),
          )
        ).id),
    ],
    ['GET /medical/records', async () => ok(await inject('GET', `/api/v1/medical/records?patient_id=${patient.id}`))],
    ['GET /medical/records/{id}', async () => ok(await inject('GET', `/api/v1/medical/records/${state.record}`))],
    [
      'PUT /medical/records/{id}',
      async () =>
        ok(
          await inject('PUT', `/api/v1/medical/records/${state.record}`, {
            record_type: 'diagnosis',
            title: 'Cough',
            content: 'Seen again.',
            diagnoses: [{ code: 'J20.9', text: 'Acute bronchitis' }],
          }),
        ),
    ],
    ['GET /medical/records/{id}/versions', async () => ok(await inject('GET', `/api/v1/medical/records/${state.record}/versions`))],
    [
      'POST /medical/records/{id}/upload',
      async () =>
        (state.attachment = (
          await ok(await upload(built, doctor, `/api/v1/medical/records/${state.record}/upload`, { filename: 'xray.csv', data: 'a,b\n1,2\n' }))
        ).id),
    ],
    ['GET /files/{id} (record attachment)', async () => fetched(await inject('GET', `/api/v1/files/${state.attachment}`))],
    [
      'POST /prescriptions',
      async () =>
        (state.prescription = (
          await ok(
            await inject('POST', '/api/v1/prescriptions', { patient_id: patient.id, items: [{ drug: 'Paracetamol', dose: '500 mg', frequency: 'qid' }] }),
          )
        ).id),
    ],
    ['GET /prescriptions', async () => ok(await inject('GET', `/api/v1/prescriptions?patient_id=${patient.id}`))],
    ['GET /prescriptions/{id}', async () => ok(await inject('GET', `/api/v1/prescriptions/${state.prescription}`))],
    [
      'POST /reports (by the doctor)',
      async () =>
        (report = await ok(
          await upload(built, doctor, `/api/v1/reports?patient_id=${patient.id}`, {
            filename: 'labs.csv',
            data: 'test,value,unit,range\nGlucose,5.1,mmol/L,3.9-5.5\n',
          }),
        )),
    ],
    ['GET /reports', async () => ok(await inject('GET', `/api/v1/reports?patient_id=${patient.id}`))],
    ['GET /reports/{id}', async () => ok(await inject('GET', `/api/v1/reports/${report.id}`))],
    ['GET /files/{id} (lab report file)', async () => fetched(await inject('GET', `/api/v1/files/${report.file_id ?? report.file?.id}`))],
    ['GET /patients/{id}/observations', async () => ok(await inject('GET', `/api/v1/patients/${patient.id}/observations?name=glucose`))],
    ['GET /chat/rooms/{id}/history', async () => ok(await inject('GET', `/api/v1/chat/rooms/${room.id}/history`))],
    ['GET /appointments?patient_id', async () => ok(await inject('GET', `/api/v1/appointments?patient_id=${patient.id}`))],
    ['GET /appointments/{id}', async () => ok(await inject('GET', `/api/v1/appointments/${appointment.json().id}`))],
    ['FHIR Patient/{id}', fhir(`Patient/${patient.id}`)],
    ['FHIR Patient?_id', fhir(`Patient?_id=${patient.id}`)],
    ['FHIR Observation?patient', fhir(`Observation?patient=Patient/${patient.id}`)],
    ['FHIR DiagnosticReport?patient', fhir(`DiagnosticReport?patient=Patient/${patient.id}`)],
    ['FHIR DiagnosticReport/{id}', fhir(() => `DiagnosticReport/${report.id}`)],
    ['FHIR Condition?patient', fhir(`Condition?patient=Patient/${patient.id}`)],
    [
      'FHIR MedicationRequest?patient',
      async () =>
        (state.medicationRequest = (
          (await fhir(`MedicationRequest?patient=Patient/${patient.id}`)()) as { entry: { resource: { id: string } }[] }
        ).entry[0]!.resource.id),
    ],
    ['FHIR MedicationRequest/{id}', fhir(() => `MedicationRequest/${state.medicationRequest}`)],
    ['FHIR Appointment?patient', fhir(`Appointment?patient=Patient/${patient.id}`)],
    ['FHIR Appointment/{id}', fhir(`Appointment/${appointment.json().id}`)],
  ];

  const count = async () =>
    Number(
      (
        await ctx.db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  for (const [name, run] of steps) {
    await t.test(name, async () => {
      const before = await count();
      await run();
      const rows = await ctx.db
        .selectFrom('audit_log')
        .select(['actor_id', 'patient_id', 'resource_type', 'action'])
        .orderBy('at', 'desc')
        .limit(Math.max(1, (await count()) - before))
        .execute();
      assert.ok((await count()) > before, `${name} wrote no audit row`);
      assert.ok(
        rows.some((r) => r.actor_id === doctor.id && r.patient_id === patient.id),
        `${name}: no audit row names the doctor and the patient: ${JSON.stringify(rows)}`,
      );
    });
  }
});
