import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import { linkCare, upload } from '../../../test/helpers/files.js';

const built = await build({ after });
const { app } = built;
const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 120, b: 80 } } })
  .png()
  .toBuffer();

test('a patient uploads a profile photo; their care team can see it, strangers cannot', async () => {
  const patient = await createUser(built, 'patient');
  const doctor = await createUser(built, 'doctor');
  const stranger = await createUser(built, 'patient');
  await linkCare(built, doctor, patient);

  const res = await upload(built, patient, '/api/v1/patients/me/photo', { filename: 'me.png', data: png, contentType: 'image/png' });
  assert.equal(res.statusCode, 200, res.body);
  const photoId = res.json().photo_file_id;
  assert.match(photoId, /^[0-9a-f-]{36}$/);
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/patients/me', headers: patient.auth })).json().photo_file_id, photoId);

  const own = await app.inject({ method: 'GET', url: `/api/v1/files/${photoId}`, headers: patient.auth });
  assert.equal(own.statusCode, 200);
  assert.equal(own.headers['content-type'], 'image/png');
  assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${photoId}`, headers: doctor.auth })).statusCode, 200);
  assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${photoId}`, headers: stranger.auth })).statusCode, 404);
});

test("only images are accepted as photos, and only one's own", async () => {
  const patient = await createUser(built, 'patient');
  const other = await createUser(built, 'patient');
  const pdfLike = await upload(built, patient, '/api/v1/patients/me/photo', { filename: 'me.png', data: '%PDF-1.4\n%fake\n', contentType: 'image/png' });
  assert.ok(pdfLike.statusCode === 415 || pdfLike.statusCode === 422, String(pdfLike.statusCode));
  assert.equal(
    (await app.inject({ method: 'GET', url: '/api/v1/patients/me', headers: patient.auth })).json().photo_file_id ?? null,
    null,
    'nothing set after a refused upload',
  );

  const othersPhoto = (await upload(built, other, '/api/v1/patients/me/photo', { filename: 'o.png', data: png, contentType: 'image/png' })).json()
    .photo_file_id;
  const steal = await app.inject({ method: 'PUT', url: '/api/v1/patients/me', headers: patient.auth, payload: { photo_file_id: othersPhoto } });
  assert.equal(steal.statusCode, 422);

  const doctor = await createUser(built, 'doctor');
  assert.equal((await upload(built, doctor, '/api/v1/patients/me/photo', { filename: 'd.png', data: png, contentType: 'image/png' })).statusCode, 403);
});
