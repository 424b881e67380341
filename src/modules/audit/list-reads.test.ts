import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { build } from '../../../test/helpers/build.js';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import type { BuiltApp } from '../../app.js';
import { AuditService } from './audit.service.js';
import { AuditRepository } from './audit.repository.js';

/**
 * A list read writes ONE audit row per patient on the page, carrying the listed ids in
 * `resource_ids` (docs/BENCHMARKS.md "Read paths"), and "who saw resource X" still finds it:
 * GET /audit?resource_id=X matches a row's own resource_id and any list that included X.
 */
type Entry = {
  id: string;
  actor: { id: string } | null;
  patient_id: string | null;
  resource_type: string;
  resource_id: string | null;
  resource_ids: string[] | null;
  action: string;
};

async function bookFor(built: BuiltApp, doctor: TestUser, patient: TestUser, hoursAhead: number): Promise<string> {
  const start = new Date(Date.now() + hoursAhead * 3600_000);
  start.setUTCMinutes(0, 0, 0);
  const slot = await built.app.inject({
    method: 'POST',
    url: '/api/v1/doctors/me/slots',
    headers: doctor.auth,
    payload: { start: start.toISOString(), duration_minutes: 30 },
  });
  assert.equal(slot.statusCode, 201, slot.body);
  const booked = await built.app.inject({
    method: 'POST',
    url: '/api/v1/appointments',
    headers: patient.auth,
    payload: { slot_id: slot.json().id, reason: 'check-up' },
  });
  assert.equal(booked.statusCode, 201, booked.body);
  return booked.json().id;
}

// One app for the file (each test makes its own users), to keep the suite's time down.
const built = await build({ after });

describe('audit of list reads', () => {
  it('one row per patient and read, with the listed ids; GET /audit?resource_id finds it', async () => {
    const { app, ctx } = built;
    const [doctor, patient, other, admin] = await Promise.all([
      createUser(built, 'doctor'),
      createUser(built, 'patient'),
      createUser(built, 'patient'),
      createUser(built, 'admin'),
    ]);
    const mine = [await bookFor(built, doctor, patient, 30), await bookFor(built, doctor, patient, 31), await bookFor(built, doctor, patient, 32)];
    const theirs = [await bookFor(built, doctor, other, 33)];
    const listRows = () =>
      ctx.db
        .selectFrom('audit_log')
        .selectAll()
        .where('action', '=', 'list')
        .where('resource_type', '=', 'appointment')
        .where('actor_id', 'in', [patient.id, doctor.id])
        .orderBy('at')
        .execute();

    // The patient's list: three appointments, one row.
    const own = await app.inject({ method: 'GET', url: '/api/v1/appointments?limit=20', headers: patient.auth });
    assert.equal(own.statusCode, 200, own.body);
    assert.equal(own.json().items.length, 3);
    let rows = await listRows();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.actor_id, patient.id);
    assert.equal(rows[0]!.patient_id, patient.id);
    assert.equal(rows[0]!.resource_id, null);
    assert.deepEqual([...rows[0]!.resource_ids!].sort(), [...mine].sort());

    // The doctor's schedule covers two patients: one row each, each with only that patient's ids.
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/appointments', headers: doctor.auth })).statusCode, 200);
    rows = (await listRows()).filter((r) => r.actor_id === doctor.id);
    assert.equal(rows.length, 2);
    const byPatient = Object.fromEntries(rows.map((r) => [r.patient_id, [...r.resource_ids!].sort()]));
    assert.deepEqual(byPatient, { [patient.id]: [...mine].sort(), [other.id]: theirs });

    // An empty page is audited too (the read happened), with no ids.
    const before = (await listRows()).length;
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/appointments?status=completed`, headers: patient.auth })).statusCode, 200);
    assert.equal((await listRows()).length, before, 'an empty page names no patient and no resource, so it writes no list row');

    // Who saw mine[1]? Its creation (by the patient) and both list reads that included it.
    const seen = await app.inject({ method: 'GET', url: `/api/v1/audit?resource_id=${mine[1]}&limit=100`, headers: admin.auth });
    assert.equal(seen.statusCode, 200, seen.body);
    const entries = seen.json().items as Entry[];
    const lists = entries.filter((e) => e.action === 'list');
    assert.deepEqual(lists.map((e) => e.actor?.id).sort(), [doctor.id, patient.id].sort());
    assert.ok(lists.every((e) => e.resource_ids?.includes(mine[1]!)));
    assert.ok(entries.some((e) => e.action === 'create' && e.resource_id === mine[1]));
    // With the type as well, and not for a resource that no list included.
    const typed = await app.inject({ method: 'GET', url: `/api/v1/audit?resource_type=appointment&resource_id=${theirs[0]}&action=list`, headers: admin.auth });
    assert.deepEqual(
      (typed.json().items as Entry[]).map((e) => e.actor?.id),
      [doctor.id],
    );
    const none = await app.inject({ method: 'GET', url: `/api/v1/audit?resource_id=00000000-0000-4000-8000-000000000000`, headers: admin.auth });
    assert.deepEqual(none.json().items, []);

    // The patient sees the rows about their own data, ids included, and not the other patient's.
    const view = (await app.inject({ method: 'GET', url: '/api/v1/audit?action=list&limit=100', headers: patient.auth })).json().items as Entry[];
    assert.ok(view.length >= 2 && view.every((e) => e.patient_id === patient.id));
    assert.ok(view.every((e) => !e.resource_ids?.includes(theirs[0]!)));
  });

  it('prescriptions and clinic clients are listed the same way: one row per patient, ids findable', async () => {
    const { app, ctx } = built;
    const [doctor, patient, nurse, admin] = await Promise.all([
      createUser(built, 'doctor', { stepUp: true }),
      createUser(built, 'patient'),
      createUser(built, 'nurse'),
      createUser(built, 'admin'),
    ]);
    await bookFor(built, doctor, patient, 40); // the care relationship
    const prescribe = async (drug: string) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/prescriptions',
        headers: doctor.auth,
        payload: { patient_id: patient.id, items: [{ drug, dose: '1 tablet', frequency: 'qd' }] },
      });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().id as string;
    };
    const prescriptions = [await prescribe('Paracetamol'), await prescribe('Cetirizine')];
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/prescriptions', headers: patient.auth })).statusCode, 200);
    const rows = await ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'list')
      .where('resource_type', '=', 'prescription')
      .where('actor_id', '=', patient.id)
      .execute();
    assert.equal(rows.length, 1);
    assert.deepEqual([...rows[0]!.resource_ids!].sort(), [...prescriptions].sort());

    const clients = [];
    for (const body of [
      { first_name: 'Ann', last_name: 'Unlinked' },
      { first_name: 'Bo', last_name: 'Unlinked' },
      { first_name: 'Pat', last_name: 'Linked', user_id: patient.id },
    ]) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/clients', headers: nurse.auth, payload: body });
      assert.equal(res.statusCode, 201, res.body);
      clients.push(res.json().id as string);
    }
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/clients?limit=100', headers: nurse.auth })).statusCode, 200);
    const clientRows = await ctx.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'list')
      .where('resource_type', '=', 'client')
      .where('actor_id', '=', nurse.id)
      .execute();
    const ofPatient = clientRows.find((r) => r.patient_id === patient.id)!;
    const unlinked = clientRows.find((r) => r.patient_id === null)!;
    assert.deepEqual(ofPatient.resource_ids, [clients[2]]);
    assert.ok(clients.slice(0, 2).every((id) => unlinked.resource_ids!.includes(id)));
    const seen = (await app.inject({ method: 'GET', url: `/api/v1/audit?resource_id=${clients[0]}&action=list`, headers: admin.auth })).json().items as Entry[];
    assert.deepEqual(
      seen.map((e) => e.actor?.id),
      [nurse.id],
    );
  });

  it('ids with quotes and backslashes survive the array encoding of the batch insert', async () => {
    const patient = await createUser(built, 'patient');
    const ids = ['plain', 'with "quotes"', 'back\\slash', 'comma,brace}{', ''];
    const audit = new AuditService(built.ctx.db, new AuditRepository());
    await audit.record(
      built.ctx.db,
      { actor: { id: patient.id, role: 'patient', status: 'active', sessionId: 'test' }, ip: null, userAgent: null, requestId: 'odd-ids' },
      [
        { patientId: patient.id, resourceType: 'test_resource', resourceId: null, resourceIds: ids, action: 'list', details: { note: 'it\'s "quoted"' } },
        { patientId: patient.id, resourceType: 'test_resource', resourceId: 'single', action: 'read' },
      ],
    );
    const rows = await built.ctx.db.selectFrom('audit_log').selectAll().where('request_id', '=', 'odd-ids').orderBy('resource_id').execute();
    assert.equal(rows.length, 2);
    const list = rows.find((r) => r.action === 'list')!;
    assert.deepEqual(list.resource_ids, ids);
    assert.deepEqual(list.details, { note: 'it\'s "quoted"' });
    assert.equal(rows.find((r) => r.action === 'read')!.resource_ids, null);
  });

  it('the resource lookup is served by indexes (GIN on resource_ids, B-tree on resource_id)', async () => {
    // A planner without sequential scans must still find a plan through both indexes: if the
    // predicate stopped matching them (a changed operator or cast), this plan would scan.
    const plan = await built.ctx.db.transaction().execute(async (trx) => {
      await sql`set local enable_seqscan = off`.execute(trx);
      const id = 'c2f1a8f0-0000-4000-8000-000000000001';
      const result = await sql<{
        'QUERY PLAN': string;
      }>`explain select id from audit_log a where (a.resource_id = ${id} or a.resource_ids @> array[${id}]::text[])`.execute(trx);
      return result.rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    assert.match(plan, /audit_log_resource_ids/, plan);
    assert.match(plan, /audit_log_resource_id\b/, plan);
    assert.doesNotMatch(plan, /Seq Scan/, plan);
  });
});
