import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { ADMIN, login, PASSWORD as password, register, request, productionServer, type Running } from './server.js';

/**
 * The production entry (`npm run build`, then `node dist/main.js`) as a real process, on
 * PGlite under `npm test` and on PostgreSQL + Redis under `npm run test:services`: writes
 * acknowledged with a 2xx survive `kill -9` of the server mid-loop and a restart on the
 * same data (issue 12, item 2). test/process/shutdown.test.ts covers SIGTERM.
 */
const production = productionServer({ before, after });

/** Every id on every page of a `{items, next_cursor}` list. */
async function allIds(base: string, path: string, token: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await request(base, 'GET', `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const item of res.body.items as { id: string }[]) ids.add(item.id);
    cursor = res.body.next_cursor as string | null;
  } while (cursor);
  return ids;
}

describe('durability: kill -9 mid-write, restart on the same data', () => {
  it('finds every write that was acknowledged with a 2xx', async () => {
    let server: Running = await production.start();
    const admin = await login(server.base, ADMIN.email, ADMIN.password);
    const doctorReg = await register(server.base, 'doctor');
    assert.equal(doctorReg.reply.status, 201);
    assert.equal((await request(server.base, 'POST', `/api/v1/users/${doctorReg.reply.body.id}/approve`, { token: admin.token })).status, 200);
    const doctor = await login(server.base, doctorReg.email, password);
    const patientReg = await register(server.base, 'patient');
    assert.equal(patientReg.reply.status, 201);
    const patient = await login(server.base, patientReg.email, password);

    // Three writers on kept-alive connections, each a different kind of transaction: a doctor
    // publishing slots, a patient booking them, and sign-ups. Only 2xx replies are recorded.
    const agent = new http.Agent({ keepAlive: true });
    const acked = { slots: [] as string[], appointments: [] as string[], users: [] as string[] };
    const total = () => acked.slots.length + acked.appointments.length + acked.users.length;
    const bookable: string[] = [];
    const firstSlot = Math.ceil((Date.now() + 2 * 86_400_000) / 3_600_000) * 3_600_000;
    let stop = false;
    let reachedTarget!: () => void;
    const target = new Promise<void>((resolve) => (reachedTarget = resolve));
    const TARGET = 30;
    const note = () => {
      if (total() >= TARGET) reachedTarget();
    };
    const loop = async (step: () => Promise<void>) => {
      while (!stop) {
        try {
          await step();
        } catch {
          // the server is gone (that is the point); unacknowledged writes may or may not be there
          if (stop) return;
        }
      }
    };
    let slotIndex = 0;
    const writers = [
      loop(async () => {
        const start = new Date(firstSlot + slotIndex++ * 15 * 60_000).toISOString();
        const res = await request(server.base, 'POST', '/api/v1/doctors/me/slots', { token: doctor.token, body: { start, duration_minutes: 15 }, agent });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        acked.slots.push(res.body.id);
        bookable.push(res.body.id);
        note();
      }),
      loop(async () => {
        const slotId = bookable.shift();
        if (!slotId) {
          await new Promise((resolve) => setImmediate(resolve));
          return;
        }
        const res = await request(server.base, 'POST', '/api/v1/appointments', {
          token: patient.token,
          body: { slot_id: slotId, reason: 'durability' },
          agent,
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        acked.appointments.push(res.body.id);
        note();
      }),
      loop(async () => {
        const { reply } = await register(server.base, 'patient', agent);
        assert.equal(reply.status, 201, JSON.stringify(reply.body));
        acked.users.push(reply.body.id);
        note();
      }),
    ];

    await target;
    server.child.kill('SIGKILL'); // while all three writers have requests in flight
    assert.equal(await server.exited, 'SIGKILL');
    stop = true;
    await Promise.all(writers);
    agent.destroy();
    assert.ok(
      acked.slots.length > 0 && acked.appointments.length > 0 && acked.users.length > 0,
      JSON.stringify({ slots: acked.slots.length, appointments: acked.appointments.length, users: acked.users.length }),
    );

    server = await production.start();
    try {
      const adminAgain = await login(server.base, ADMIN.email, ADMIN.password);
      const doctorAgain = await login(server.base, doctorReg.email, password);
      const patientAgain = await login(server.base, patientReg.email, password);
      const from = encodeURIComponent(new Date(firstSlot - 3_600_000).toISOString());
      const to = encodeURIComponent(new Date(firstSlot + (slotIndex + 4) * 15 * 60_000).toISOString());
      const slots = await allIds(server.base, `/api/v1/doctors/me/slots?from=${from}&to=${to}`, doctorAgain.token);
      assert.deepEqual(
        acked.slots.filter((id) => !slots.has(id)),
        [],
        'acknowledged slots missing after the restart',
      );
      const appointments = await allIds(server.base, '/api/v1/appointments', patientAgain.token);
      assert.deepEqual(
        acked.appointments.filter((id) => !appointments.has(id)),
        [],
        'acknowledged bookings missing after the restart',
      );
      const missingUsers: string[] = [];
      for (const id of acked.users) {
        if ((await request(server.base, 'GET', `/api/v1/users/${id}`, { token: adminAgain.token })).status !== 200) missingUsers.push(id);
      }
      assert.deepEqual(missingUsers, [], 'acknowledged sign-ups missing after the restart');
    } finally {
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    }
  });
});
