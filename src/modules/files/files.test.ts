import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { build } from '../../../test/helpers/build.js';
import { createUser } from '../../../test/helpers/users.js';
import type { BuiltApp } from '../../app.js';
import { clinicOnStorage, makePdf, multipartBody, upload } from '../../../test/helpers/files.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}
function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A valid PNG header claiming 100000×100000 pixels with a tiny compressed body. */
function bombPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(100_001 * 4))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

async function jpegWithExif(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .jpeg()
    .withExif({ IFD0: { Copyright: 'Secret Patient Name', Artist: 'GPS 51.5N 0.12W' } })
    .toBuffer();
}

function storedObjects(built: BuiltApp): string[] {
  const root = join(built.ctx.config.dataDir, 'files');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name);
}
function tmpLeftovers(built: BuiltApp): string[] {
  const dir = join(built.ctx.config.dataDir, 'tmp', 'uploads');
  return existsSync(dir) ? readdirSync(dir) : [];
}
async function fileCount(built: BuiltApp): Promise<number> {
  const row = await built.ctx.db
    .selectFrom('files')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

for (const backend of ['local', 's3', 'azure'] as const) {
  test(`files on ${backend} storage`, async (t) => {
    const { built, app, patient, otherPatient: other, doctor, otherDoctor: stranger, nurse, admin, pendingDoctor: pending } = await clinicOnStorage(t, backend);

    await t.test('readiness reports the storage backend', async () => {
      const res = await app.inject({ method: 'GET', url: '/ready' });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().checks[`storage (${backend})`], 'ok');
    });

    const pdf = await makePdf(['CareBridge discharge letter', 'Patient is well.']);
    let pdfId = '';
    await t.test('PDF upload: sniffed type, size, sha256; streams back with headers', async () => {
      const res = await upload(built, patient, '/api/v1/files', { filename: 'Discharge letter ü.pdf', data: pdf, contentType: 'application/octet-stream' });
      assert.equal(res.statusCode, 201, res.body);
      const body = res.json();
      assert.equal(body.content_type, 'application/pdf');
      assert.equal(body.size, pdf.length);
      assert.equal(body.sha256, sha(pdf));
      assert.equal(body.filename, 'Discharge letter ü.pdf');
      pdfId = body.id;

      const get = await app.inject({ method: 'GET', url: `/api/v1/files/${pdfId}`, headers: patient.auth });
      assert.equal(get.statusCode, 200);
      assert.equal(get.headers['content-type'], 'application/pdf');
      assert.equal(get.headers['content-length'], String(pdf.length));
      assert.equal(get.headers['x-content-type-options'], 'nosniff');
      assert.match(
        String(get.headers['content-disposition']),
        /^inline; filename="Discharge letter _.pdf"; filename\*=UTF-8''Discharge%20letter%20%C3%BC.pdf$/,
      );
      assert.equal(sha(get.rawPayload), sha(pdf));

      const dl = await app.inject({ method: 'GET', url: `/api/v1/files/${pdfId}/download`, headers: patient.auth });
      assert.equal(dl.statusCode, 200);
      assert.match(String(dl.headers['content-disposition']), /^attachment; /);
      assert.equal(sha(dl.rawPayload), sha(pdf));

      // The bytes are where the configured backend keeps them, and the row says which backend.
      const row = await built.ctx.db.selectFrom('files').select(['storage_backend', 'storage_key']).where('id', '=', pdfId).executeTakeFirstOrThrow();
      assert.equal(row.storage_backend, backend);
      if (backend !== 'local') assert.deepEqual(storedObjects(built), []);
      if (backend === 'azure') {
        const { BlobServiceClient } = await import('@azure/storage-blob');
        const { connectionString, container } = built.ctx.config.azure;
        const props = await BlobServiceClient.fromConnectionString(connectionString!)
          .getContainerClient(container!)
          .getBlobClient(row.storage_key)
          .getProperties();
        assert.equal(props.contentLength, pdf.length);
        assert.equal(props.contentType, 'application/pdf');
      }
    });

    await t.test('access: care team, nurses and admins read; everyone else gets 404', async () => {
      for (const user of [doctor, nurse, admin]) {
        const res = await app.inject({ method: 'GET', url: `/api/v1/files/${pdfId}`, headers: user.auth });
        assert.equal(res.statusCode, 200, `${user.role} should read`);
      }
      for (const user of [other, stranger]) {
        for (const suffix of ['', '/download']) {
          const res = await app.inject({ method: 'GET', url: `/api/v1/files/${pdfId}${suffix}`, headers: user.auth });
          assert.equal(res.statusCode, 404, `${user.role} ${user.email} must not read`);
          assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
        }
      }
      assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${pdfId}`, headers: pending.auth })).statusCode, 403);
      assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${pdfId}` })).statusCode, 401);
      assert.equal((await app.inject({ method: 'GET', url: '/api/v1/files/not-a-uuid', headers: patient.auth })).statusCode, 404);
    });

    await t.test("a doctor's own upload is private to them until attached", async () => {
      const res = await upload(built, stranger, '/api/v1/files', { filename: 'notes.csv', data: 'a,b\n1,2\n' });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().content_type, 'text/csv');
      assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${res.json().id}`, headers: stranger.auth })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${res.json().id}`, headers: admin.auth })).statusCode, 404);
      assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${res.json().id}`, headers: doctor.auth })).statusCode, 404);
    });

    await t.test('registered access rules grant access (chat extension point)', async () => {
      const res = await upload(built, stranger, '/api/v1/files', { filename: 'shared.csv', data: 'x,y\n1,2\n' });
      const id = res.json().id;
      built.ctx.services.files.access.register(async (_db, actor, fileId) => actor.id === other.id && fileId === id, 'test');
      assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${id}`, headers: other.auth })).statusCode, 200);
      assert.equal(await built.ctx.services.files.canRead(built.ctx.db, { id: other.id, role: 'patient', status: 'active', sessionId: 'x' }, id), true);
      assert.equal((await app.inject({ method: 'GET', url: `/api/v1/files/${id}`, headers: patient.auth })).statusCode, 404);
    });

    await t.test('EXIF is stripped from images', async () => {
      const jpeg = await jpegWithExif();
      assert.ok((await sharp(jpeg).metadata()).exif, 'fixture has EXIF');
      const res = await upload(built, patient, '/api/v1/files', { filename: 'rash.jpg', data: jpeg, contentType: 'image/jpeg' });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().content_type, 'image/jpeg');
      const get = await app.inject({ method: 'GET', url: `/api/v1/files/${res.json().id}`, headers: patient.auth });
      const meta = await sharp(get.rawPayload).metadata();
      assert.equal(meta.exif, undefined);
      assert.equal(meta.width, 64);
      assert.equal(res.json().sha256, sha(get.rawPayload));
      assert.ok(!get.rawPayload.includes(Buffer.from('Secret Patient Name')));

      const png = await sharp({ create: { width: 10, height: 10, channels: 4, background: '#00ff00' } })
        .png()
        .withExif({ IFD0: { Copyright: 'Secret' } })
        .toBuffer();
      const resPng = await upload(built, patient, '/api/v1/files', { filename: 'x.png', data: png });
      assert.equal(resPng.statusCode, 201, resPng.body);
      const webp = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#0000ff' } })
        .webp()
        .withExif({ IFD0: { Copyright: 'Secret' } })
        .toBuffer();
      const resWebp = await upload(built, patient, '/api/v1/files', { filename: 'x.webp', data: webp });
      assert.equal(resWebp.statusCode, 201, resWebp.body);
      assert.equal(resWebp.json().content_type, 'image/webp');
      const webpBack = await app.inject({ method: 'GET', url: `/api/v1/files/${resWebp.json().id}`, headers: patient.auth });
      assert.equal((await sharp(webpBack.rawPayload).metadata()).exif, undefined);
    });

    await t.test('bad input: clear 4xx, nothing stored half-way', async () => {
      const before = await fileCount(built);
      const objectsBefore = storedObjects(built).length;
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
        .png()
        .toBuffer();
      const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
        .jpeg()
        .toBuffer();
      const zip = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(30), Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);
      const cases: [string, { filename: string; data: Buffer | string }, number, RegExp?][] = [
        [
          'executable disguised as PDF',
          { filename: 'report.pdf', data: Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1'), Buffer.alloc(512)]) },
          415,
        ],
        ['PNG disguised as PDF', { filename: 'report.pdf', data: png }, 415, /filename says PDF but the content is PNG/],
        ['HTML disguised as CSV', { filename: 'labs.csv', data: '<!DOCTYPE html><html><script>alert(1)</script>,a,b</html>' }, 415],
        ['ZIP', { filename: 'archive.pdf', data: zip }, 415],
        ['JPEG+ZIP polyglot', { filename: 'photo.jpg', data: Buffer.concat([jpeg, zip]) }, 415, /polyglot/],
        ['PDF+HTML polyglot', { filename: 'x.pdf', data: Buffer.concat([Buffer.from('%PDF-1.4\n<html><script>alert(1)</script>'), pdf]) }, 415],
        [
          'PDF with JavaScript',
          {
            filename: 'x.pdf',
            data: Buffer.from(pdf.toString('latin1').replace('/Type /Catalog', '/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>'), 'latin1'),
          },
          415,
          /active content/,
        ],
        ['decompression bomb', { filename: 'bomb.png', data: bombPng() }, 413, /pixels/],
        ['corrupt image', { filename: 'broken.png', data: png.subarray(0, 40) }, 422],
        ['0-byte file', { filename: 'empty.pdf', data: Buffer.alloc(0) }, 422, /empty/],
        ['path traversal name', { filename: '../../etc/passwd.pdf', data: pdf }, 422, /filename/],
        ['backslash path name', { filename: '..\\..\\boot.pdf', data: pdf }, 422],
        ['control characters in name', { filename: 'evil\u0007name.pdf', data: pdf }, 422],
        ['bidi override in name', { filename: 'invoice\u202Efdp.exe', data: pdf }, 422],
        ['random binary', { filename: 'blob.bin', data: Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 255]) }, 415],
      ];
      for (const [name, file, status, detail] of cases) {
        const res = await upload(built, patient, '/api/v1/files', file);
        assert.equal(res.statusCode, status, `${name}: ${res.body}`);
        assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', name);
        if (detail) assert.match(res.json().detail + JSON.stringify(res.json().errors ?? []), detail, name);
      }
      assert.equal(await fileCount(built), before);
      if (backend === 'local') assert.equal(storedObjects(built).length, objectsBefore);
      assert.deepEqual(tmpLeftovers(built), []);
    });

    await t.test('multipart errors map to problem+json', async () => {
      const json = await app.inject({
        method: 'POST',
        url: '/api/v1/files',
        headers: { ...patient.auth, 'content-type': 'application/json' },
        payload: { a: 1 },
      });
      assert.equal(json.statusCode, 415);
      const noFile = multipartBody([{ name: 'note', data: 'hello' }]);
      const r1 = await app.inject({ method: 'POST', url: '/api/v1/files', headers: { ...patient.auth, ...noFile.headers }, payload: noFile.payload });
      assert.equal(r1.statusCode, 422, r1.body);
      const wrongField = multipartBody([{ name: 'upload', filename: 'a.pdf', data: pdf }]);
      const r2 = await app.inject({ method: 'POST', url: '/api/v1/files', headers: { ...patient.auth, ...wrongField.headers }, payload: wrongField.payload });
      assert.equal(r2.statusCode, 422, r2.body);
      const good = multipartBody([{ name: 'file', filename: 'a.pdf', data: pdf }]);
      const truncated = good.payload.subarray(0, good.payload.length - 200);
      const r3 = await app.inject({ method: 'POST', url: '/api/v1/files', headers: { ...patient.auth, ...good.headers }, payload: truncated });
      assert.ok(r3.statusCode >= 400 && r3.statusCode < 500, `truncated multipart: ${r3.statusCode} ${r3.body}`);
      assert.equal(r3.headers['content-type'], 'application/problem+json; charset=utf-8');
      const twoFiles = multipartBody([
        { name: 'file', filename: 'a.pdf', data: pdf },
        { name: 'file', filename: 'b.pdf', data: pdf },
      ]);
      const r4 = await app.inject({ method: 'POST', url: '/api/v1/files', headers: { ...patient.auth, ...twoFiles.headers }, payload: twoFiles.payload });
      assert.ok([201, 413].includes(r4.statusCode), r4.body);
      assert.deepEqual(tmpLeftovers(built), []);
    });

    await t.test('audit: upload and reads are recorded', async () => {
      const rows = await built.ctx.db.selectFrom('audit_log').selectAll().where('resource_id', '=', pdfId).orderBy('at').execute();
      const actions = rows.map((r) => `${r.actor_id === patient.id ? 'patient' : r.actor_role}:${r.action}`);
      assert.ok(actions.includes('patient:upload'));
      assert.ok(actions.includes('patient:read'));
      assert.ok(actions.includes('patient:download'));
      assert.ok(actions.includes('doctor:read'));
      assert.ok(rows.every((r) => r.patient_id === patient.id && r.request_id && r.ip));
      assert.equal(rows[0]?.user_agent, 'carebridge-tests/1.0');
    });
  });
}

test('size limit: 413 and nothing stored', async (t) => {
  const built = await build(t, { uploadLimitBytes: 4096 });
  const patient = await createUser(built, 'patient');
  const big = await makePdf(Array.from({ length: 400 }, (_, i) => `Line ${i} of a long clinical letter with padding text`));
  assert.ok(big.length > 4096);
  const res = await upload(built, patient, '/api/v1/files', { filename: 'big.pdf', data: big });
  assert.equal(res.statusCode, 413, res.body);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(await fileCount(built), 0);
  assert.deepEqual(storedObjects(built), []);
  assert.deepEqual(tmpLeftovers(built), []);
  const ok = await upload(built, patient, '/api/v1/files', { filename: 'small.csv', data: 'a,b\n1,2\n' });
  assert.equal(ok.statusCode, 201);
});
