import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { book, createSlot, futureHour } from '../../../test/helpers/scheduling.js';
import { openDatabase } from '../database/index.js';

/**
 * Shutdown with a request still being handled whose client has gone (a load generator
 * stopping, a closed tab): Fastify's close() resolves once the connection is gone, but the
 * handler still awaits its query and then its audit write. close() must let it finish before
 * the database closes — before, the write failed with "driver has already been destroyed"
 * and the audit row of a read that had happened was lost. Both backends (the embedded
 * database on disk here, so the row can be looked for after close).
 */
test('close() waits for a running handler and its audit write before closing the database', async (t) => {
  const dataDir = `/tmp/carebridge-test/in-flight-${randomBytes(4).toString('hex')}`;
  // No page cache: the list must really query the held table (a cached page needs only the
  // audit write, which on PostgreSQL does not wait on that table and finished before the test
  // could see the request running).
  const built = await build(t, { embeddedDatabase: `${dataDir}/pglite` }, { SESSION_CACHE_SECONDS: '60', PAGE_CACHE_SECONDS: '0' });
  const { app, ctx } = built;
  const doctor = await createUser(built, 'doctor');
  const patient = await createUser(built, 'patient');
  const slot = await createSlot(built, doctor, futureHour(30));
  assert.equal((await book(built, patient, { slot_id: slot.id })).statusCode, 201);
  // Warm the session cache, so the held request below only waits on the appointments table.
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/appointments', headers: patient.auth })).statusCode, 200);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as net.AddressInfo).port;

  // Hold the appointments table, so the list query waits (PostgreSQL: on the lock; PGlite:
  // behind this transaction on its single connection).
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = ctx.db.transaction().execute(async (trx) => {
    await sql`lock table appointments in access exclusive mode`.execute(trx);
    locked();
    await gate;
  });
  await isLocked;
  // Should an assertion below fail, the held transaction must still end: it would keep the
  // pool from closing in build's after-hook and hang the run instead of failing it.
  const requestId = `in-flight-${randomBytes(6).toString('hex')}`;
  try {
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.write(`GET /api/v1/appointments HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${patient.auth.authorization}\r\nX-Request-Id: ${requestId}\r\n\r\n`);
    // Until the handler runs (it then waits on the table), then the client goes away.
    for (let i = 0; i < 1000 && built.inFlight.count === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(built.inFlight.count, 1, 'the request reached its handler');
    client.destroy();

    let closedAt = 0;
    const closed = built.close().then(() => (closedAt = Date.now()));
    // The server has no connection left: close() is past app.close() and must now be waiting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(closedAt, 0, 'close() waits while the handler is held');
    release();
    await holder;
    await closed;
    assert.equal(built.inFlight.count, 0);
  } finally {
    release();
  }

  const reopened = await openDatabase(ctx.config);
  try {
    const rows = await sql<{ action: string; n: number }>`
      select action, cardinality(resource_ids) as n from audit_log where request_id = ${requestId}`.execute(reopened.db);
    assert.deepEqual(rows.rows, [{ action: 'list', n: 1 }], 'the read was audited before the database closed');
  } finally {
    await reopened.close();
  }
});
