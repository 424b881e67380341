import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime } from 'luxon';
import { build } from '../../../test/helpers/build.js';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import { linkCare, upload } from '../../../test/helpers/files.js';

/**
 * Issue 12 item 6: the patient chart for clinicians (GET /patients/{id}), the patient's own
 * lab trends (/patients/me/observations), allergy records, and prescriptions checked
 * against allergies and active drugs (422 unless confirm_warnings).
 */
test('patient chart, allergies and prescription warnings', async (t) => {
  const built = await build(t);
  const { app } = built;
  const [patient, otherPatient, doctor, otherDoctor, nurse, admin] = await Promise.all([
    createUser(built, 'patient'),
    createUser(built, 'patient'),
    // Stepped up: prescribing needs a recent second factor (docs/API.md §1.1).
    createUser(built, 'doctor', { stepUp: true }),
    createUser(built, 'doctor', { stepUp: true }),
    createUser(built, 'nurse'),
    createUser(built, 'admin'),
  ]);
  await linkCare(built, doctor, patient);
  const call = (user: TestUser | null, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({ method, url: `/api/v1${url}`, headers: { ...(user?.auth ?? {}) }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const auditOf = async (patientId: string) =>
    (await call(admin, 'GET', `/audit?patient_id=${patientId}&limit=100`)).json().items as {
      actor: { id: string };
      resource_type: string;
      action: string;
      resource_id: string | null;
    }[];

  assert.equal((await call(patient, 'PUT', '/patients/me', { date_of_birth: '1980-04-02', sex: 'female', allergies: ['Latex'] })).statusCode, 200);

  let penicillinId = '';
  await t.test('allergies: the patient records their own; the caring doctor and nurses too', async () => {
    const own = await call(patient, 'POST', '/patients/me/allergies', { substance: 'Penicillin', reaction: 'hives', severity: 'severe' });
    assert.equal(own.statusCode, 201, own.body);
    assert.equal(own.json().drug_class, 'penicillins');
    assert.equal(own.json().recorded_by, patient.id);
    penicillinId = own.json().id;
    const byDoctor = await call(doctor, 'POST', `/patients/${patient.id}/allergies`, { substance: 'sulfa drugs', severity: 'moderate' });
    assert.equal(byDoctor.statusCode, 201, byDoctor.body);
    assert.equal(byDoctor.json().drug_class, 'sulfonamides');
    const byNurse = await call(nurse, 'POST', `/patients/${patient.id}/allergies`, { substance: 'Peanuts' });
    assert.equal(byNurse.statusCode, 201, byNurse.body);
    assert.equal(byNurse.json().severity, 'unknown');
    // The same substance twice is a conflict; an empty one is invalid.
    assert.equal((await call(doctor, 'POST', `/patients/${patient.id}/allergies`, { substance: '  penicillin ' })).statusCode, 409);
    assert.equal((await call(patient, 'POST', '/patients/me/allergies', { substance: '   ' })).statusCode, 422);
    assert.equal(
      (await call(patient, 'POST', '/patients/me/allergies', { substance: 'x', severity: 'deadly' })).json().errors[0].message,
      'must be one of: mild, moderate, severe, unknown',
    );
    const list = await call(patient, 'GET', '/patients/me/allergies');
    assert.deepEqual(
      list.json().items.map((a: { substance: string }) => a.substance),
      ['Penicillin', 'sulfa drugs', 'Peanuts'],
    );
    assert.equal((await call(doctor, 'GET', `/patients/${patient.id}/allergies`)).json().items.length, 3);
  });

  await t.test('allergies: strangers get 404, admins read but do not write', async () => {
    for (const user of [otherDoctor, otherPatient]) {
      assert.equal((await call(user, 'GET', `/patients/${patient.id}/allergies`)).statusCode, 404, user.role);
      assert.equal((await call(user, 'POST', `/patients/${patient.id}/allergies`, { substance: 'Aspirin' })).statusCode, 404, user.role);
      assert.equal((await call(user, 'DELETE', `/patients/${patient.id}/allergies/${penicillinId}`)).statusCode, 404, user.role);
    }
    assert.equal((await call(admin, 'GET', `/patients/${patient.id}/allergies`)).statusCode, 200);
    assert.equal((await call(admin, 'POST', `/patients/${patient.id}/allergies`, { substance: 'Aspirin' })).statusCode, 403);
    assert.equal((await call(null, 'GET', `/patients/${patient.id}/allergies`)).statusCode, 401);
    // A doctor's id is not a patient.
    assert.equal((await call(nurse, 'GET', `/patients/${doctor.id}/allergies`)).statusCode, 404);
  });

  await t.test('GET /patients/{id}: demographics and allergies for the care team; own only for patients', async () => {
    const chart = await call(doctor, 'GET', `/patients/${patient.id}`);
    assert.equal(chart.statusCode, 200, chart.body);
    const body = chart.json();
    assert.equal(body.user_id, patient.id);
    assert.equal(body.date_of_birth, '1980-04-02');
    assert.equal(body.sex, 'female');
    assert.deepEqual(body.allergies, ['Latex']);
    assert.deepEqual(
      body.allergy_records.map((a: { substance: string }) => a.substance),
      ['Penicillin', 'sulfa drugs', 'Peanuts'],
    );
    for (const user of [patient, nurse, admin]) assert.equal((await call(user, 'GET', `/patients/${patient.id}`)).statusCode, 200, user.role);
    for (const user of [otherDoctor, otherPatient]) assert.equal((await call(user, 'GET', `/patients/${patient.id}`)).statusCode, 404, user.role);
    assert.equal((await call(admin, 'GET', `/patients/${doctor.id}`)).statusCode, 404);
    assert.equal((await call(doctor, 'GET', '/patients/00000000-0000-4000-8000-000000000000')).statusCode, 404);
    assert.equal((await call(null, 'GET', `/patients/${patient.id}`)).statusCode, 401);
    const reads = (await auditOf(patient.id)).filter((r) => r.resource_type === 'patient_profile' && r.action === 'read');
    assert.ok(reads.some((r) => r.actor.id === doctor.id));
  });

  let amoxicillinRx = '';
  await t.test('prescriptions are checked against allergies (drug name or class): 422 listing the conflicts', async () => {
    const rx = {
      patient_id: patient.id,
      items: [
        { drug: 'Amoxicillin 500 mg', dose: '1 capsule', frequency: 'three times a day' },
        { drug: 'Bactrim DS', dose: '1 tablet', frequency: 'twice a day' },
        { drug: 'Paracetamol', dose: '1 g', frequency: 'as needed' },
      ],
    };
    const res = await call(doctor, 'POST', '/prescriptions', rx);
    assert.equal(res.statusCode, 422, res.body);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    const problem = res.json();
    assert.equal(problem.type, 'https://carebridge.dev/problems/prescription-warnings');
    assert.match(problem.detail, /confirm_warnings/);
    assert.deepEqual(
      problem.errors.map((e: { path: string }) => e.path),
      ['/items/0/drug', '/items/1/drug'],
    );
    assert.match(problem.errors[0].message, /^allergy: .*"Penicillin" \(severe; reaction: hives\); amoxicillin is one of the penicillins/);
    assert.match(problem.errors[1].message, /^allergy: .*"sulfa drugs".*sulfamethoxazole is one of the sulfonamides/);
    assert.equal((await call(doctor, 'GET', `/prescriptions?patient_id=${patient.id}`)).json().items.length, 0, 'nothing was prescribed');
    // Confirmed: prescribed, and the override is in the audit trail.
    const confirmed = await call(doctor, 'POST', '/prescriptions', { ...rx, confirm_warnings: true });
    assert.equal(confirmed.statusCode, 201, confirmed.body);
    amoxicillinRx = confirmed.json().id;
    assert.equal(confirmed.json().items[0].drug, 'Amoxicillin 500 mg');
    const created = (await call(admin, 'GET', `/audit?patient_id=${patient.id}&resource_type=prescription&action=create`)).json().items;
    assert.equal(created.length, 1);
    // The profile's free-text allergies count too.
    const latex = await call(doctor, 'POST', '/prescriptions', { patient_id: patient.id, items: [{ drug: 'Latex gloves', dose: '1', frequency: 'once' }] });
    assert.equal(latex.statusCode, 422);
    assert.match(latex.json().errors[0].message, /"Latex" listed in the patient profile/);
  });

  await t.test('prescriptions are checked against active drugs: duplicates and same-class duplicates', async () => {
    const dup = await call(doctor, 'POST', '/prescriptions', {
      patient_id: patient.id,
      items: [{ drug: 'paracetamol 500mg tablets', dose: '2', frequency: 'four times a day' }],
    });
    assert.equal(dup.statusCode, 422);
    assert.match(
      dup.json().errors[0].message,
      new RegExp(`^duplicate: paracetamol is already prescribed \\(Paracetamol, active prescription ${amoxicillinRx}\\)`),
    );
    // Within one request, two NSAIDs.
    const nsaids = await call(doctor, 'POST', '/prescriptions', {
      patient_id: patient.id,
      items: [
        { drug: 'Ibuprofen', dose: '400 mg', frequency: 'tid' },
        { drug: 'Naproxen', dose: '250 mg', frequency: 'bid' },
      ],
    });
    assert.equal(nsaids.statusCode, 422);
    assert.deepEqual(nsaids.json().errors, [
      { path: '/items/1/drug', message: 'therapeutic duplicate: naproxen and Ibuprofen (item 0 of this prescription) are both NSAIDs' },
    ]);
    // Completed prescriptions are not active: no warning.
    assert.equal((await call(doctor, 'PUT', `/prescriptions/${amoxicillinRx}/status`, { status: 'completed' })).statusCode, 200);
    assert.equal(
      (await call(doctor, 'POST', '/prescriptions', { patient_id: patient.id, items: [{ drug: 'Paracetamol', dose: '1 g', frequency: 'as needed' }] }))
        .statusCode,
      201,
    );
    // Another patient without allergies: no warnings.
    await linkCare(built, doctor, otherPatient);
    assert.equal(
      (await call(doctor, 'POST', '/prescriptions', { patient_id: otherPatient.id, items: [{ drug: 'Amoxicillin', dose: '500 mg', frequency: 'tid' }] }))
        .statusCode,
      201,
    );
  });

  await t.test('deleting an allergy: audited, and it no longer warns', async () => {
    assert.equal((await call(doctor, 'DELETE', `/patients/${patient.id}/allergies/${penicillinId}`)).statusCode, 204);
    assert.equal((await call(doctor, 'DELETE', `/patients/${patient.id}/allergies/${penicillinId}`)).statusCode, 404);
    assert.equal((await call(patient, 'GET', '/patients/me/allergies')).json().items.length, 2);
    const rows = await auditOf(patient.id);
    for (const action of ['create', 'list', 'delete'])
      assert.ok(
        rows.some((r) => r.resource_type === 'allergy' && r.action === action),
        action,
      );
    assert.ok(rows.some((r) => r.resource_type === 'allergy' && r.action === 'delete' && r.resource_id === penicillinId && r.actor.id === doctor.id));
    const res = await call(doctor, 'POST', '/prescriptions', { patient_id: patient.id, items: [{ drug: 'Amoxicillin', dose: '500 mg', frequency: 'tid' }] });
    assert.equal(res.statusCode, 201, res.body);
  });

  await t.test("records and audit take plain-date filters (days in tz or the caller's zone)", async () => {
    assert.equal(
      (await call(doctor, 'POST', '/medical/records', { patient_id: patient.id, record_type: 'note', title: 'Dated', content: 'x' })).statusCode,
      201,
    );
    const kiritimati = DateTime.now().setZone('Pacific/Kiritimati').toISODate(); // UTC+14: always a later date than in Pago Pago (UTC-11)
    const records = async (q: string, user: TestUser = doctor) => {
      const res = await call(user, 'GET', `/medical/records?patient_id=${patient.id}&${q}`);
      assert.equal(res.statusCode, 200, `${q}: ${res.body}`);
      return res.json().items.length;
    };
    assert.equal(await records(`from=${kiritimati}&to=${kiritimati}&tz=Pacific/Kiritimati`), 1);
    assert.equal(await records(`from=${kiritimati}&to=${kiritimati}&tz=Pacific/Pago_Pago`), 0);
    // Without tz, the patient's profile zone.
    assert.equal((await call(patient, 'PUT', '/patients/me', { time_zone: 'Pacific/Kiritimati' })).statusCode, 200);
    assert.equal(await records(`from=${kiritimati}`, patient), 1);
    assert.equal(await records(`to=${encodeURIComponent(DateTime.now().minus({ hours: 1 }).toISO()!)}`), 0);
    assert.equal((await call(doctor, 'GET', '/medical/records?from=7%2F12%2F2026')).statusCode, 422);
    const audit = async (q: string) => {
      const res = await call(admin, 'GET', `/audit?patient_id=${patient.id}&${q}`);
      assert.equal(res.statusCode, 200, `${q}: ${res.body}`);
      return res.json().items.length;
    };
    assert.ok((await audit(`from=${kiritimati}&tz=Pacific/Kiritimati`)) > 0);
    assert.equal(await audit(`from=${DateTime.fromISO(kiritimati!).plus({ days: 1 }).toISODate()}&tz=Pacific/Kiritimati`), 0);
    assert.ok((await audit(`from=${DateTime.utc().toISODate()}`)) > 0, 'the admin account zone (UTC)');
    const mangled = await call(admin, 'GET', '/audit?from=2026-12-07T09:00:00+01:00');
    assert.equal(mangled.statusCode, 422);
    assert.match(mangled.json().errors[0].message, /%2B/);
  });

  await t.test("/patients/me/observations: the signed-in patient's own trend", async () => {
    const csv = 'Test,Result,Unit,Reference range\nHbA1c,6.1,%,4.0-5.6\n';
    assert.equal((await upload(built, patient, '/api/v1/reports?collected_at=2026-01-10T09:00:00Z', { filename: 'a1c.csv', data: csv })).statusCode, 201);
    const mine = await call(patient, 'GET', '/patients/me/observations?name=A1c');
    assert.equal(mine.statusCode, 200, mine.body);
    assert.equal(mine.json().patient_id, patient.id);
    assert.equal(mine.json().items.length, 1);
    assert.equal(mine.json().items[0].value, 6.1);
    assert.deepEqual(mine.json(), (await call(patient, 'GET', `/patients/${patient.id}/observations?name=A1c`)).json());
    assert.equal((await call(doctor, 'GET', '/patients/me/observations?name=A1c')).statusCode, 403);
    assert.equal((await call(otherPatient, 'GET', '/patients/me/observations?name=A1c')).json().items.length, 0);
    assert.equal((await call(patient, 'GET', '/patients/me/observations')).statusCode, 422);
  });
});
