import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from '../helpers/build.js';
import { createUser } from '../helpers/users.js';
import { SocketClient } from '../helpers/socket-client.js';

/** Issue 11, item 2: no bound values, statements or bodies in logs; a NUL in a socket frame is bad input. */
test('no PHI in logs: database errors lose their bound values, NUL in a socket frame is an error frame', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'carebridge-phi-log-'));
  const file = join(dir, 'app.log');
  const built = await build(t, { logFile: file, logLevel: 'info', realtime: { heartbeatSeconds: 1, presenceTtlSeconds: 3 } });
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const address = built.app.server.address();
  const base = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const [patient, doctor, nurse] = await Promise.all([createUser(built, 'patient'), createUser(built, 'doctor'), createUser(built, 'nurse')]);
  const room = await built.app.inject({
    method: 'POST',
    url: '/api/v1/chat/rooms/create',
    headers: nurse.auth,
    payload: { doctor_id: doctor.id, patient_id: patient.id },
  });

  // The reviewer's case: a chat message ending in NUL over the socket.
  const socket = await SocketClient.connect(base, patient.token);
  t.after(() => socket.ws.terminate());
  socket.send({ type: 'chat_message', room_id: room.json().id, content: 'Secret-Diagnosis-Alpha\u0000', client_msg_id: 'nul-1' });
  const error = await socket.next((f) => f.type === 'error');
  assert.equal(error.code, 'invalid_frame');
  assert.match(error.detail, /NUL/);
  // The connection stays up and the next good frame is stored.
  socket.send({ type: 'chat_message', room_id: room.json().id, content: 'fine now', client_msg_id: 'ok-1' });
  assert.equal((await socket.next((f) => f.type === 'ack')).client_msg_id, 'ok-1');

  // Any database error that does get logged carries no statement, bound value or quoted value.
  const failed = await built.ctx.db
    .selectFrom('users')
    .select('id')
    .where('id', '=', 'Secret-Diagnosis-Beta')
    .execute()
    .catch((err: unknown) => err);
  assert.ok(failed instanceof Error);
  built.ctx.log.error({ err: failed }, 'a database error');

  await built.close();
  await sleep(300);
  const text = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('');
  assert.match(text, /a database error/);
  const line = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((l) => l.msg === 'a database error');
  assert.equal(line.err.code, '22P02', 'the error is still identifiable by its SQLSTATE');
  assert.doesNotMatch(text, /Secret-Diagnosis/, 'no message text or bound value in the log');
  assert.doesNotMatch(text, /select "id" from "users"/i, 'no statement in the log');
});
