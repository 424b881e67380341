import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from '../../../test/helpers/users.js';
import { clinicOnStorage, linkCare, makePdf, upload } from '../../../test/helpers/files.js';

for (const backend of ['local', 's3', 'azure'] as const) {
  test(`medical records and prescriptions (${backend} storage)`, async (t) => {
    const { built, app, patient, otherPatient, doctor, otherDoctor, nurse, admin, pendingDoctor } = await clinicOnStorage(t, backend);
    await linkCare(built, otherDoctor, otherPatient);
    const call = (user: TestUser | null, method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown) =>
      app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { ...(user?.auth ?? {}), 'user-agent': 'tests' },
        ...(payload === undefined ? {} : { payload: payload as object }),
      });

    let recordId = '';
    await t.test('doctor creates a record with ICD-10 diagnoses', async () => {
      const res = await call(doctor, 'POST', '/medical/records', {
        patient_id: patient.id,
        record_type: 'consultation',
        title: 'Sore throat',
        content: 'Three days of sore throat, no fever.',
        diagnoses: [{ code: 'j06.9', text: 'Acute upper respiratory infection' }, { text: 'Mild dehydration' }],
      });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      assert.equal(body.version, 1);
      assert.deepEqual(body.diagnoses, [
        { code: 'J06.9', text: 'Acute upper respiratory infection' },
        { code: null, text: 'Mild dehydration' },
      ]);
      assert.deepEqual(body.attachments, []);
      recordId = body.id;
    });

    await t.test('validation: bad ICD-10, unknown record type, unknown appointment → 422', async () => {
      const base = { patient_id: patient.id, record_type: 'note', title: 'x', content: 'y' };
      assert.equal((await call(doctor, 'POST', '/medical/records', { ...base, diagnoses: [{ code: 'not-icd', text: 'x' }] })).statusCode, 422);
      assert.equal((await call(doctor, 'POST', '/medical/records', { ...base, record_type: 'gossip' })).statusCode, 422);
      assert.equal((await call(doctor, 'POST', '/medical/records', { ...base, appointment_id: '00000000-0000-4000-8000-000000000000' })).statusCode, 422);
    });

    await t.test('PUT appends a version; history is kept; stale version → 409', async () => {
      const put = await call(doctor, 'PUT', `/medical/records/${recordId}`, {
        record_type: 'diagnosis',
        title: 'Sore throat (amended)',
        content: 'Strep test negative.',
        diagnoses: [{ code: 'J02.9', text: 'Acute pharyngitis' }],
        version: 1,
      });
      assert.equal(put.statusCode, 200, put.body);
      assert.equal(put.json().id, recordId);
      assert.equal(put.json().version, 2);
      const stale = await call(doctor, 'PUT', `/medical/records/${recordId}`, { record_type: 'note', title: 'x', content: 'y', version: 1 });
      assert.equal(stale.statusCode, 409);
      const versions = await call(patient, 'GET', `/medical/records/${recordId}/versions`);
      assert.equal(versions.statusCode, 200);
      const items = versions.json().items;
      assert.deepEqual(
        items.map((v: { version: number }) => v.version),
        [1, 2],
      );
      assert.equal(items[0].title, 'Sore throat');
      assert.equal(items[1].title, 'Sore throat (amended)');
      // History cannot be rewritten, even by SQL.
      await assert.rejects(built.ctx.db.updateTable('medical_record_versions').set({ title: 'tampered' }).where('record_id', '=', recordId).execute());
    });

    let fileId = '';
    await t.test('attachments: doctor and patient upload; foreign users 404', async () => {
      const pdf = await makePdf(['Throat swab: negative']);
      const res = await upload(built, doctor, `/api/v1/medical/records/${recordId}/upload`, { filename: 'swab.pdf', data: pdf });
      assert.equal(res.statusCode, 201, res.body);
      fileId = res.json().id;
      const own = await upload(built, patient, `/api/v1/medical/records/${recordId}/upload`, { filename: 'photo.csv', data: 'day,temp\n1,37.2\n' });
      assert.equal(own.statusCode, 201, own.body);
      for (const user of [otherPatient, otherDoctor]) {
        const r = await upload(built, user, `/api/v1/medical/records/${recordId}/upload`, { filename: 'x.pdf', data: pdf });
        assert.equal(r.statusCode, 404, `${user.role}: ${r.body}`);
      }
      assert.equal((await upload(built, pendingDoctor, `/api/v1/medical/records/${recordId}/upload`, { filename: 'x.pdf', data: pdf })).statusCode, 403);
      assert.equal((await upload(built, nurse, `/api/v1/medical/records/${recordId}/upload`, { filename: 'x.pdf', data: pdf })).statusCode, 403);
      const bad = await upload(built, doctor, `/api/v1/medical/records/${recordId}/upload`, { filename: '../x.pdf', data: pdf });
      assert.equal(bad.statusCode, 422);
      const rec = await call(patient, 'GET', `/medical/records/${recordId}`);
      assert.equal(rec.json().attachments.length, 2);
      // A list page reads the links in its one statement: the same files, in the same order.
      const listed = (await call(patient, 'GET', '/medical/records?limit=100')).json().items.find((r: { id: string }) => r.id === recordId);
      assert.deepEqual(listed.attachments, rec.json().attachments);
      // The attachment is the patient's data now: readable by the patient and staff, not by strangers.
      assert.equal((await call(patient, 'GET', `/files/${fileId}`)).statusCode, 200);
      assert.equal((await call(nurse, 'GET', `/files/${fileId}`)).statusCode, 200);
      assert.equal((await call(otherDoctor, 'GET', `/files/${fileId}`)).statusCode, 404);
      assert.equal((await call(otherPatient, 'GET', `/files/${fileId}/download`)).statusCode, 404);
    });

    await t.test('BOLA: records', async () => {
      for (const user of [patient, doctor, nurse, admin]) {
        assert.equal((await call(user, 'GET', `/medical/records/${recordId}`)).statusCode, 200, `${user.role} reads`);
      }
      for (const user of [otherPatient, otherDoctor]) {
        assert.equal((await call(user, 'GET', `/medical/records/${recordId}`)).statusCode, 404);
        assert.equal((await call(user, 'GET', `/medical/records/${recordId}/versions`)).statusCode, 404);
        assert.equal((await call(user, 'GET', `/medical/records?patient_id=${patient.id}`)).statusCode, 404);
      }
      assert.equal((await call(otherDoctor, 'PUT', `/medical/records/${recordId}`, { record_type: 'note', title: 'x', content: 'y' })).statusCode, 404);
      assert.equal(
        (await call(otherDoctor, 'POST', '/medical/records', { patient_id: patient.id, record_type: 'note', title: 'x', content: 'y' })).statusCode,
        404,
      );
      assert.equal((await call(pendingDoctor, 'GET', `/medical/records/${recordId}`)).statusCode, 403);
      assert.equal((await call(patient, 'PUT', `/medical/records/${recordId}`, { record_type: 'note', title: 'x', content: 'y' })).statusCode, 403);
      assert.equal(
        (await call(patient, 'POST', '/medical/records', { patient_id: patient.id, record_type: 'note', title: 'x', content: 'y' })).statusCode,
        403,
      );
      assert.equal((await call(nurse, 'POST', '/medical/records', { patient_id: patient.id, record_type: 'note', title: 'x', content: 'y' })).statusCode, 403);
      assert.equal((await call(null, 'GET', `/medical/records/${recordId}`)).statusCode, 401);
      // Lists only show what the caller may see.
      const other = await call(otherDoctor, 'POST', '/medical/records', { patient_id: otherPatient.id, record_type: 'note', title: 'Other', content: 'z' });
      assert.equal(other.statusCode, 201);
      const ids = async (user: TestUser, q = '') => (await call(user, 'GET', `/medical/records${q}`)).json().items.map((r: { id: string }) => r.id);
      assert.deepEqual(await ids(patient), [recordId]);
      assert.deepEqual(await ids(otherPatient), [other.json().id]);
      assert.deepEqual(await ids(doctor), [recordId]);
      assert.deepEqual(await ids(otherDoctor), [other.json().id]);
      assert.equal((await ids(nurse)).length, 2);
      assert.equal((await ids(admin, `?patient_id=${patient.id}`)).length, 1);
    });

    await t.test('filters and pagination', async () => {
      for (let i = 0; i < 5; i++) {
        const r = await call(doctor, 'POST', '/medical/records', {
          patient_id: patient.id,
          record_type: i % 2 ? 'lab' : 'note',
          title: `Entry ${i}`,
          content: '…',
        });
        assert.equal(r.statusCode, 201);
      }
      const labs = await call(doctor, 'GET', `/medical/records?patient_id=${patient.id}&record_type=lab`);
      assert.equal(labs.json().items.length, 2);
      const today = new Date().toISOString().slice(0, 10);
      assert.equal((await call(doctor, 'GET', `/medical/records?from=${today}&to=${today}`)).json().items.length, 6);
      assert.equal((await call(doctor, 'GET', '/medical/records?to=2000-01-01')).json().items.length, 0);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { json(): { items: { id: string }[]; next_cursor: string | null } } = await call(
          doctor,
          'GET',
          `/medical/records?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        );
        const body = page.json();
        seen.push(...body.items.map((r) => r.id));
        cursor = body.next_cursor;
      } while (cursor);
      assert.equal(seen.length, 6);
      assert.equal(new Set(seen).size, 6);
      assert.equal((await call(doctor, 'GET', '/medical/records?cursor=garbage')).statusCode, 400);
    });

    let rxId = '';
    await t.test('prescriptions: structured items, status changes', async () => {
      const res = await call(doctor, 'POST', '/prescriptions', {
        patient_id: patient.id,
        items: [
          {
            drug: 'Amoxicillin',
            strength: '500 mg',
            dose: '1 capsule',
            route: 'oral',
            frequency: 'three times a day',
            duration_days: 7,
            quantity: 21,
            refills: 0,
            instructions: 'Take with food',
          },
        ],
        notes: 'Finish the course.',
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().status, 'active');
      assert.equal(res.json().items[0].strength, '500 mg');
      rxId = res.json().id;
      assert.equal((await call(doctor, 'POST', '/prescriptions', { patient_id: patient.id, items: [] })).statusCode, 422);
      assert.equal(
        (await call(doctor, 'POST', '/prescriptions', { patient_id: patient.id, items: [{ drug: 'X', dose: '1', frequency: 'daily', refills: -1 }] }))
          .statusCode,
        422,
      );
      const done = await call(doctor, 'PATCH', `/prescriptions/${rxId}/status`, { status: 'completed' });
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(done.json().status, 'completed');
      assert.equal((await call(doctor, 'PATCH', `/prescriptions/${rxId}/status`, { status: 'active' })).statusCode, 409);
      assert.equal((await call(doctor, 'PATCH', `/prescriptions/${rxId}/status`, { status: 'cancelled' })).statusCode, 409);
    });

    await t.test('BOLA: prescriptions', async () => {
      for (const user of [patient, doctor, nurse, admin]) assert.equal((await call(user, 'GET', `/prescriptions/${rxId}`)).statusCode, 200, user.role);
      for (const user of [otherPatient, otherDoctor]) {
        assert.equal((await call(user, 'GET', `/prescriptions/${rxId}`)).statusCode, 404);
        assert.equal((await call(user, 'GET', `/prescriptions?patient_id=${patient.id}`)).statusCode, 404);
        assert.equal((await call(user, 'GET', '/prescriptions')).json().items.length, 0);
      }
      assert.equal((await call(otherDoctor, 'PATCH', `/prescriptions/${rxId}/status`, { status: 'cancelled' })).statusCode, 404);
      assert.equal(
        (await call(otherDoctor, 'POST', '/prescriptions', { patient_id: patient.id, items: [{ drug: 'X', dose: '1', frequency: 'daily' }] })).statusCode,
        404,
      );
      assert.equal((await call(patient, 'PATCH', `/prescriptions/${rxId}/status`, { status: 'cancelled' })).statusCode, 403);
      assert.equal((await call(pendingDoctor, 'GET', `/prescriptions/${rxId}`)).statusCode, 403);
      assert.equal((await call(patient, 'GET', '/prescriptions')).json().items.length, 1);
      assert.equal((await call(doctor, 'GET', '/prescriptions')).json().items.length, 1);
    });

    await t.test('idempotency-key on create', async () => {
      const payload = { patient_id: patient.id, items: [{ drug: 'Ibuprofen', dose: '400 mg', frequency: 'as needed' }] };
      const headers = { ...doctor.auth, 'idempotency-key': 'rx-1' };
      const a = await app.inject({ method: 'POST', url: '/api/v1/prescriptions', headers, payload });
      const b = await app.inject({ method: 'POST', url: '/api/v1/prescriptions', headers, payload });
      assert.equal(a.statusCode, 201);
      assert.equal(b.statusCode, 201);
      assert.equal(a.json().id, b.json().id);
    });

    await t.test('audit: patient sees who accessed their data; admin filters; nobody can change rows', async () => {
      const mine = await call(patient, 'GET', '/audit?limit=100');
      assert.equal(mine.statusCode, 200, mine.body);
      const rows = mine.json().items as {
        actor: { id: string; role: string; full_name: string };
        patient_id: string;
        resource_type: string;
        action: string;
        ip: string | null;
      }[];
      assert.ok(rows.every((r) => r.patient_id === patient.id));
      assert.ok(rows.some((r) => r.actor?.id === nurse.id && r.resource_type === 'medical_record' && r.action === 'read'));
      assert.ok(rows.some((r) => r.actor?.id === doctor.id && r.resource_type === 'prescription' && r.action === 'create'));
      assert.ok(
        rows.every((r) => r.ip === null),
        'patients do not see staff IPs',
      );
      // A patient cannot look at someone else's trail even with a filter.
      const sneaky = await call(patient, 'GET', `/audit?patient_id=${otherPatient.id}`);
      assert.ok(sneaky.json().items.every((r: { patient_id: string }) => r.patient_id === patient.id));
      const admins = await call(admin, 'GET', `/audit?patient_id=${patient.id}&resource_type=medical_record&resource_id=${recordId}&action=update`);
      assert.equal(admins.statusCode, 200);
      assert.equal(admins.json().items.length, 1);
      assert.equal(admins.json().items[0].actor.id, doctor.id);
      assert.equal(admins.json().items[0].user_agent, 'tests');
      assert.ok(admins.json().items[0].request_id);
      assert.equal((await call(doctor, 'GET', '/audit')).statusCode, 403);
      assert.equal((await call(nurse, 'GET', '/audit')).statusCode, 403);
      for (const method of ['PUT', 'PATCH', 'POST'] as const) assert.equal((await call(admin, method, '/audit', {})).statusCode, 404);
      await assert.rejects(built.ctx.db.deleteFrom('audit_log').execute());
      await assert.rejects(built.ctx.db.updateTable('audit_log').set({ action: 'read' }).execute());
    });
  });
}
