import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from '../../../test/helpers/build.js';
import { upload } from '../../../test/helpers/files.js';
import { book, createSlot, futureHour, users } from '../../../test/helpers/scheduling.js';
import type { TestUser } from '../../../test/helpers/users.js';

/**
 * Security review (docs/SECURITY.md, "Files shared in chat"): a file of patient P may be shared
 * only into a room whose every current participant may see P's data, and a participant reads
 * it through the room only while they still may. Before the fix a doctor could hand a
 * patient's file to any colleague through a care-team or direct staff room.
 */
test('a patient file is shared only into rooms where everyone may see that patient', async (t) => {
  const built = await build(t, {}, { RATE_LIMIT_API_PER_MIN: '1000000' });
  const { app } = built;
  const u = await users(built);
  const { doctor, otherDoctor: colleague, patient, nurse } = u;
  const inject = (who: TestUser, method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url: `/api/v1${url}`, headers: who.auth, ...(payload && { payload }) });
  const fileStatus = async (who: TestUser, fileId: string) => (await inject(who, 'GET', `/files/${fileId}`)).statusCode;
  const share = (who: TestUser, roomId: string, fileId: string) =>
    inject(who, 'POST', `/chat/rooms/${roomId}/messages`, { content: 'see this', file_id: fileId });
  const room = async (who: TestUser, participantIds: string[]) => {
    const res = await inject(who, 'POST', '/chat/rooms', { kind: 'care_team', participant_ids: participantIds });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  };

  // The doctor cares for the patient (the patient booked); the colleague has no relationship.
  const slot = await createSlot(built, doctor, futureHour(40));
  assert.equal((await book(built, patient, { slot_id: slot.id })).statusCode, 201);
  const up = await upload(built, patient, '/api/v1/files', { filename: 'rash-notes.csv', data: 'day,itch\n1,3\n2,5\n' });
  assert.equal(up.statusCode, 201, up.body);
  const fileId = up.json().id as string;
  assert.equal(await fileStatus(doctor, fileId), 200, 'the treating doctor reads the file');
  assert.equal(await fileStatus(colleague, fileId), 404, 'the colleague does not');

  await t.test('refused into a room with a colleague who has no care relationship (care-team and direct)', async () => {
    const team = await room(doctor, [colleague.id]);
    const refused = await share(doctor, team, fileId);
    assert.equal(refused.statusCode, 403, refused.body);
    assert.match(refused.headers['content-type'] as string, /application\/problem\+json/);
    assert.match(refused.json().type, /file-share-refused$/);
    assert.equal(await fileStatus(colleague, fileId), 404, 'nothing was shared');
    const history = await inject(colleague, 'GET', `/chat/rooms/${team}/history`);
    assert.equal(history.statusCode, 200);
    assert.equal(history.json().items.length, 0, 'no message was stored');

    const direct = await inject(doctor, 'POST', '/chat/rooms', { kind: 'direct', participant_ids: [colleague.id] });
    assert.equal(direct.statusCode, 201, direct.body);
    assert.equal((await share(doctor, direct.json().id, fileId)).statusCode, 403);
    assert.equal(await fileStatus(colleague, fileId), 404);
  });

  await t.test('allowed where everyone may see the patient: the patient, the treating doctor, a nurse', async () => {
    const team = await room(doctor, [patient.id, nurse.id]);
    const shared = await share(doctor, team, fileId);
    assert.equal(shared.statusCode, 201, shared.body);
    assert.equal(await fileStatus(nurse, fileId), 200);
    // A staff member's own file (no patient's data) goes anywhere, as before.
    const own = await upload(built, doctor, '/api/v1/files', { filename: 'leaflet.csv', data: 'a,b\n1,2\n' });
    const staffRoom = await room(doctor, [colleague.id]);
    assert.equal((await share(doctor, staffRoom, own.json().id)).statusCode, 201);
    assert.equal(await fileStatus(colleague, own.json().id), 200);
  });

  await t.test('a colleague who had a relationship when it was shared loses the file with the relationship', async () => {
    const theirSlot = await createSlot(built, colleague, futureHour(41));
    const appointment = await book(built, patient, { slot_id: theirSlot.id });
    assert.equal(appointment.statusCode, 201, appointment.body);
    const team = await room(doctor, [colleague.id]);
    assert.equal((await share(doctor, team, fileId)).statusCode, 201, 'everyone may see the patient now');
    assert.equal(await fileStatus(colleague, fileId), 200);
    assert.equal((await inject(patient, 'POST', `/appointments/${appointment.json().id}/cancel`, { reason: 'not needed' })).statusCode, 200);
    assert.equal(await fileStatus(colleague, fileId), 404, 'the room alone does not keep the patient file open');
    assert.equal((await share(doctor, team, fileId)).statusCode, 403, 'and it cannot be shared there again');
  });
});
