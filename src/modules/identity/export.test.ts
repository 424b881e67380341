import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { build } from '../../../test/helpers/build.js';
import { createUser, stepUp, type TestUser } from '../../../test/helpers/users.js';
import { linkCare } from '../../../test/helpers/files.js';

/**
 * "Download my data" and an admin's export of a patient's record: step-up, who may call,
 * every section read through its area's list (more than one page), audited, streamed JSON.
 */
const built = await build({ after });
const { app, ctx } = built;

const get = (user: TestUser, url: string) => app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user.auth });
function assertProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string; json(): any }, status: number, type?: RegExp) {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  if (type) assert.match(res.json().type, type);
}

describe('patient data export', () => {
  it('a patient downloads all their own data after step-up; an admin exports a patient; others are refused; each export is audited', async () => {
    const patient = await createUser(built, 'patient');
    const doctor = await stepUp(built, await createUser(built, 'doctor'));
    await linkCare(built, doctor, patient);
    // 105 records: the medical_records section spans two pages of its list.
    for (let i = 0; i < 105; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/medical/records',
        headers: doctor.auth,
        payload: { patient_id: patient.id, record_type: 'note', title: `Note ${i}`, content: `Seen, note number ${i}.` },
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    const rx = await app.inject({
      method: 'POST',
      url: '/api/v1/prescriptions',
      headers: doctor.auth,
      payload: { patient_id: patient.id, items: [{ drug: 'Paracetamol', dose: '500 mg', frequency: 'qid' }], confirm_warnings: true },
    });
    assert.equal(rx.statusCode, 201, rx.body);
    const allergy = await app.inject({ method: 'POST', url: '/api/v1/patients/me/allergies', headers: patient.auth, payload: { substance: 'penicillin' } });
    assert.equal(allergy.statusCode, 201, allergy.body);

    // Without a recent second factor: 401 step-up-required, and nothing audited.
    assertProblem(await get(patient, '/users/me/export'), 401, /\/step-up-required$/);
    const audits = () =>
      ctx.db
        .selectFrom('audit_log')
        .select(['actor_id', 'action', 'details'])
        .where('resource_type', '=', 'patient_export')
        .where('patient_id', '=', patient.id)
        .execute();
    assert.equal((await audits()).length, 0);

    await stepUp(built, patient);
    const own = await get(patient, '/users/me/export');
    assert.equal(own.statusCode, 200, own.body);
    assert.match(String(own.headers['content-type']), /^application\/json/);
    assert.match(
      String(own.headers['content-disposition']),
      new RegExp(`^attachment; filename="carebridge-export-${patient.id}-\\d{4}-\\d{2}-\\d{2}\\.json"$`),
    );
    assert.equal(own.headers['content-length'], undefined, 'streamed, not buffered with a length');
    const data = own.json();
    assert.equal(data.format, 'carebridge-export/1');
    assert.equal(data.exported_by, 'self');
    assert.equal(data.account.id, patient.id);
    assert.equal(data.account.email, patient.email);
    assert.equal(data.account.sign_in.authenticator_app, true);
    assert.equal(data.medical_records.length, 105);
    assert.equal(new Set(data.medical_records.map((r: { id: string }) => r.id)).size, 105, 'every record once across the pages');
    assert.equal(data.prescriptions.length, 1);
    assert.equal(data.prescriptions[0].items[0].drug, 'Paracetamol');
    assert.equal(data.allergies.length, 1);
    assert.ok(data.appointments.length >= 1);
    assert.deepEqual(data.lab_reports, []);
    assert.doesNotMatch(own.body, /password_hash|\$argon2|secret_enc|token_hash/);

    // Who may call: a patient only their own (no id route for them), a doctor none, an admin any patient's.
    const other = await stepUp(built, await createUser(built, 'patient'));
    assertProblem(await get(other, `/users/${patient.id}/export`), 403);
    assertProblem(await get(doctor, `/users/${patient.id}/export`), 403);
    assertProblem(await get(doctor, '/users/me/export'), 403);
    const admin = await createUser(built, 'admin', { stepUp: true });
    const exported = await get(admin, `/users/${patient.id}/export`);
    assert.equal(exported.statusCode, 200, exported.body);
    assert.deepEqual(exported.json().exported_by, { id: admin.id, role: 'admin' });
    assert.equal(exported.json().medical_records.length, 105);
    assertProblem(await get(admin, `/users/${doctor.id}/export`), 404);
    assertProblem(await get(admin, `/users/${randomUUID()}/export`), 404);
    assertProblem(await get(admin, '/users/not-a-uuid/export'), 404); // a malformed id is not found (docs/API.md)

    const rows = await audits();
    assert.deepEqual(
      rows.map((r) => [r.actor_id, r.action]).sort(),
      [
        [patient.id, 'download'],
        [admin.id, 'download'],
      ].sort(),
    );
  });
});
