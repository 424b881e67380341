import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { unzipSync, strFromU8 } from 'fflate';
import { build } from '../../../test/helpers/build.js';
import { createUser, stepUp, type TestUser } from '../../../test/helpers/users.js';
import { linkCare, makePdf, upload } from '../../../test/helpers/files.js';

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

  it("holds the patient's files, chat messages, symptom-checker sessions and audit trail, and nothing of another patient", async () => {
    const patient = await createUser(built, 'patient');
    const other = await createUser(built, 'patient');
    const doctor = await stepUp(built, await createUser(built, 'doctor'));
    await linkCare(built, doctor, patient);
    await linkCare(built, doctor, other);
    const ok = async (res: { statusCode: number; body: string; json(): any }) => {
      assert.ok(res.statusCode < 300, res.body);
      return res.json();
    };
    const post = (user: TestUser, url: string, payload: object) => app.inject({ method: 'POST', url: `/api/v1${url}`, headers: user.auth, payload });

    // For each patient: an own upload, a room with the doctor (one message each way), an interview with feedback.
    const made: Record<string, { file: string; room: string; sent: string; received: string; session: string }> = {};
    for (const [who, tag] of [
      [patient, 'MINE'],
      [other, 'THEIRS'],
    ] as const) {
      const file = await ok(await upload(built, who, '/api/v1/files', { filename: `${tag}-letter.csv`, data: `what,${tag}\n1,2\n` }));
      const room = await ok(await post(who, '/chat/rooms', { kind: 'direct', participant_ids: [doctor.id] }));
      const sent = await ok(await post(who, `/chat/rooms/${room.id}/messages`, { content: `${tag}: my knee hurts` }));
      const received = await ok(await post(doctor, `/chat/rooms/${room.id}/messages`, { content: `${tag}: rest it for a week` }));
      const session = await ok(await post(who, '/ml/symptom-checker/start', { age: 34, sex: 'female', text: `${tag} sore throat and a cough for two days` }));
      await ok(await post(who, '/ml/symptom-checker/feedback', { session_id: session.session_id, helpful: true, rating: 4, comment: `${tag} useful` }));
      made[tag] = { file: file.id, room: room.id, sent: sent.id, received: received.id, session: session.session_id };
    }
    // A chart file the doctor attached to the patient's record is the patient's too.
    const record = await ok(await post(doctor, '/medical/records', { patient_id: patient.id, record_type: 'note', title: 'Knee', content: 'Seen.' }));
    const attached = await ok(await upload(built, doctor, `/api/v1/medical/records/${record.id}/upload`, { filename: 'xray-report.csv', data: 'a,b\n1,2\n' }));
    // Someone reads the patient's data: the audit trail shows who.
    assert.equal((await get(doctor, `/files/${made.MINE!.file}`)).statusCode, 200);

    await stepUp(built, patient);
    const res = await get(patient, '/users/me/export');
    assert.equal(res.statusCode, 200, res.body);
    const data = res.json();

    // Files: metadata and a working download link, the own upload and the attachment.
    const files = data.files as { id: string; filename: string; download_url: string; uploaded_by_patient: boolean; sha256: string }[];
    assert.deepEqual(files.map((f) => f.id).sort(), [made.MINE!.file, attached.id].sort());
    const own = files.find((f) => f.id === made.MINE!.file)!;
    assert.equal(own.filename, 'MINE-letter.csv');
    assert.equal(own.uploaded_by_patient, true);
    assert.match(own.download_url, new RegExp(`^https?://[^/]+/api/v1/files/${own.id}/download$`));
    const download = await app.inject({ method: 'GET', url: new URL(own.download_url).pathname, headers: patient.auth });
    assert.equal(download.statusCode, 200);
    assert.equal(download.body, 'what,MINE\n1,2\n');

    // Chat: what they wrote and what they received, marked as such.
    const messages = data.chat_messages as { id: string; direction: string; content: string; room_id: string; room_kind: string }[];
    assert.deepEqual(
      messages.map((m) => [m.id, m.direction, m.content]),
      [
        [made.MINE!.sent, 'sent', 'MINE: my knee hurts'],
        [made.MINE!.received, 'received', 'MINE: rest it for a week'],
      ],
    );
    assert.ok(messages.every((m) => m.room_id === made.MINE!.room && m.room_kind === 'direct'));

    // Symptom checker: what was told, how it ended, the feedback.
    const sessions = data.symptom_checker_sessions as any[];
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0].session_id, made.MINE!.session);
    assert.equal(sessions[0].patient.age, 34);
    assert.equal(sessions[0].patient.sex, 'female');
    assert.ok(sessions[0].recognised.length >= 1, JSON.stringify(sessions[0]));
    assert.ok(sessions[0].triage_level);
    assert.deepEqual(
      { ...sessions[0].feedback, created_at: undefined },
      { helpful: true, rating: 4, comment: 'MINE useful', actual_condition: null, created_at: undefined },
    );

    // Audit trail: the doctor's read of the file, and this export's own reads; no addresses.
    const trail = data.audit_trail as {
      actor: { id: string } | null;
      resource_type: string;
      resource_id: string | null;
      action: string;
      ip: string | null;
      patient_id: string;
    }[];
    assert.ok(trail.some((r) => r.actor?.id === doctor.id && r.resource_type === 'file' && r.resource_id === made.MINE!.file && r.action === 'read'));
    assert.ok(trail.some((r) => r.actor?.id === patient.id && r.resource_type === 'patient_export'));
    assert.ok(trail.some((r) => r.actor?.id === patient.id && r.resource_type === 'chat_message' && r.action === 'list'));
    assert.ok(trail.every((r) => r.patient_id === patient.id && r.ip === null));

    // Nothing of the other patient anywhere: not their id, files, words, sessions or audit rows.
    assert.doesNotMatch(res.body, new RegExp(`${other.id}|THEIRS|${made.THEIRS!.file}|${made.THEIRS!.session}|${made.THEIRS!.room}`));

    // An admin's export of the patient has the same sections, the same content, and the trail without addresses.
    const admin = await createUser(built, 'admin', { stepUp: true });
    const byAdmin = await get(admin, `/users/${patient.id}/export`);
    assert.equal(byAdmin.statusCode, 200, byAdmin.body);
    const adminData = byAdmin.json();
    assert.deepEqual(adminData.files.map((f: { id: string }) => f.id).sort(), files.map((f) => f.id).sort());
    assert.deepEqual(
      adminData.chat_messages.map((m: { id: string }) => m.id),
      messages.map((m) => m.id),
    );
    assert.equal(adminData.symptom_checker_sessions.length, 1);
    assert.ok(adminData.audit_trail.every((r: { ip: string | null; patient_id: string }) => r.ip === null && r.patient_id === patient.id));
    assert.doesNotMatch(byAdmin.body, new RegExp(`${other.id}|THEIRS`));

    // Each section's page was audited as a list read against the patient, marked as an export.
    const listed = await ctx.db
      .selectFrom('audit_log')
      .select(['resource_type', 'resource_ids'])
      .where('patient_id', '=', patient.id)
      .where('actor_id', '=', patient.id)
      .where('action', '=', 'list')
      .where('resource_type', 'in', ['file', 'chat_message', 'symptom_checker_session'])
      .execute();
    assert.deepEqual(listed.map((r) => r.resource_type).sort(), ['chat_message', 'file', 'symptom_checker_session']);
  });

  it('?format=zip: one archive with the JSON and the bytes of every file of the patient (a copy kept offline), nothing of another patient, each file audited as downloaded', async () => {
    const patient = await createUser(built, 'patient');
    const other = await createUser(built, 'patient');
    const doctor = await stepUp(built, await createUser(built, 'doctor'));
    await linkCare(built, doctor, patient);
    const pdf = await makePdf(['Referral to orthopaedics', 'Knee pain for three months.']);
    const mine = await upload(built, patient, '/api/v1/files', { filename: 'referral letter.pdf', data: pdf, contentType: 'application/pdf' });
    assert.equal(mine.statusCode, 201, mine.body);
    const record = await app.inject({
      method: 'POST',
      url: '/api/v1/medical/records',
      headers: doctor.auth,
      payload: { patient_id: patient.id, record_type: 'note', title: 'Knee', content: 'Seen.' },
    });
    const attached = await upload(built, doctor, `/api/v1/medical/records/${record.json().id}/upload`, { filename: '.xray: knee?.csv', data: 'a,b\n1,2\n' });
    assert.equal(attached.statusCode, 201, attached.body);
    const theirs = await upload(built, other, '/api/v1/files', { filename: 'THEIRS.csv', data: 'x,THEIRS\n' });
    assert.equal(theirs.statusCode, 201, theirs.body);

    assertProblem(await get(patient, '/users/me/export?format=zip'), 401, /\/step-up-required$/);
    await stepUp(built, patient);
    assertProblem(await get(patient, '/users/me/export?format=tar'), 422);
    const res = await get(patient, '/users/me/export?format=zip');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/zip');
    assert.match(String(res.headers['content-disposition']), /^attachment; filename="carebridge-export-[0-9a-f-]+-\d{4}-\d{2}-\d{2}\.zip"$/);
    const entries = unzipSync(new Uint8Array(res.rawPayload));
    const names = Object.keys(entries).sort();
    // The same JSON as the plain export, whose file items say where their bytes are.
    const data = JSON.parse(strFromU8(entries['carebridge-export.json']!));
    assert.equal(data.format, 'carebridge-export/1');
    const files = data.files as { id: string; sha256: string; archive_path: string; filename: string }[];
    assert.deepEqual(files.map((f) => f.id).sort(), [mine.json().id, attached.json().id].sort());
    for (const file of files) {
      assert.ok(names.includes(file.archive_path), `${file.archive_path} in ${names.join(', ')}`);
      assert.match(file.archive_path, /^files\/[0-9a-f-]{36}\/[^/]+$/, 'no path from the file name leaves its folder');
      assert.equal(createHash('sha256').update(entries[file.archive_path]!).digest('hex'), file.sha256, `${file.filename}: the stored bytes`);
    }
    assert.ok(Buffer.from(entries[files.find((f) => f.id === mine.json().id)!.archive_path]!).equals(pdf));
    assert.ok(names.includes('README.txt'));
    assert.deepEqual(names, ['README.txt', 'carebridge-export.json', ...files.map((f) => f.archive_path)].sort());
    // Nothing of the other patient, by name, id or content.
    const everything = Buffer.concat(Object.values(entries).map((e) => Buffer.from(e))).toString('latin1');
    assert.doesNotMatch(everything, new RegExp(`THEIRS|${other.id}|${theirs.json().id}`));
    // Each file's bytes were read as a download of the patient's data, marked as an export.
    const downloads = await ctx.db
      .selectFrom('audit_log')
      .select(['resource_id', 'details'])
      .where('patient_id', '=', patient.id)
      .where('actor_id', '=', patient.id)
      .where('resource_type', '=', 'file')
      .where('action', '=', 'download')
      .execute();
    assert.deepEqual(downloads.map((d) => d.resource_id).sort(), files.map((f) => f.id).sort());
    assert.ok(downloads.every((d) => (d.details as { export?: boolean }).export === true));
    // An admin gets the same archive for the patient.
    const admin = await createUser(built, 'admin', { stepUp: true });
    const byAdmin = await get(admin, `/users/${patient.id}/export?format=zip`);
    assert.equal(byAdmin.statusCode, 200);
    assert.deepEqual(Object.keys(unzipSync(new Uint8Array(byAdmin.rawPayload))).sort(), names);
  });
});
