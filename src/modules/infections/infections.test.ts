import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { build } from '../../../test/helpers/build.js';
import { createUser, type TestUser } from '../../../test/helpers/users.js';
import { multipartBody, type Part } from '../../../test/helpers/files.js';
import { createSlot, futureHour } from '../../../test/helpers/scheduling.js';
import { gateImages, irregularLesion, redPatch, roundSpot, type RawImage } from './analysis/testing.js';
import { DISCLAIMER, InfectionsService, MAX_PENDING_ANALYSES } from './infections.service.js';

const encode = (image: RawImage, format: 'png' | 'jpeg' = 'png', exif = false) => {
  const pipeline = sharp(Buffer.from(image.rgb), { raw: { width: image.width, height: image.height, channels: 3 } });
  const withMeta = exif ? pipeline.withExif({ IFD0: { Copyright: 'GPS 48.8584 N 2.2945 E', Artist: 'Jane Patient' } }) : pipeline;
  return format === 'png' ? withMeta.png().toBuffer() : withMeta.jpeg({ quality: 92 }).toBuffer();
};

async function animatedWebp(): Promise<Buffer> {
  const frames = await Promise.all([roundSpot(21), roundSpot(22)].map((image) => encode(image)));
  return sharp(frames, { join: { animated: true } })
    .webp({ loop: 0 })
    .toBuffer();
}

/** An animated PNG (APNG): the still PNG with an animation-control chunk after its header. */
function apng(png: Buffer): Buffer {
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(2, 0); // frames
  const body = Buffer.concat([Buffer.from('acTL', 'latin1'), actl]);
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(actl.length, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body) >>> 0, body.length + 4);
  return Buffer.concat([png.subarray(0, 33), chunk, png.subarray(33)]); // 8 signature + 25 IHDR
}

/** A PNG whose header claims 20 000 × 20 000 pixels (400 MP) but whose data is a few bytes. */
function pngBomb(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc(body));
    return Buffer.concat([head, body, tail]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(20_000, 0);
  ihdr.writeUInt32BE(20_000, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1000))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('skin image analysis and dermatology consults (issue 16)', async (t) => {
  const built = await build(t);
  const { app } = built;
  const [patient, otherPatient, dermatologist, otherDoctor, nurse] = await Promise.all([
    createUser(built, 'patient'),
    createUser(built, 'patient'),
    createUser(built, 'doctor'),
    createUser(built, 'doctor'),
    createUser(built, 'nurse'),
  ]);
  const setSpecialty = await app.inject({ method: 'PUT', url: '/api/v1/doctors/me', headers: dermatologist.auth, payload: { specialty: 'dermatology' } });
  assert.equal(setSpecialty.statusCode, 200, setSpecialty.body);

  const diagnose = (user: TestUser, file: { data: Buffer; filename?: string; contentType?: string }, fields: Record<string, string> = {}, query = '') => {
    const parts: Part[] = [
      ...Object.entries(fields).map(([name, data]) => ({ name, data })),
      { name: 'image', filename: file.filename ?? 'spot.png', contentType: file.contentType ?? 'image/png', data: file.data },
    ];
    const { payload, headers } = multipartBody(parts);
    return app.inject({ method: 'POST', url: `/api/v1/infections/diagnose${query}`, payload, headers: { ...headers, ...user.auth } });
  };
  const get = (user: TestUser, url: string) => app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user.auth });
  const fileCount = async () =>
    Number(
      (
        await built.ctx.db
          .selectFrom('files')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('owner_id', '=', patient.id)
          .executeTakeFirstOrThrow()
      ).n,
    );

  // Every file under the app's data directory (staged uploads and stored objects), database excluded.
  const filesOnDisk = (dir = built.ctx.config.dataDir): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? (e.name === 'pglite' ? [] : filesOnDisk(join(dir, e.name))) : e.name === 'jwt-secret' ? [] : [join(dir, e.name)],
    );

  const roundJpeg = await encode(roundSpot(), 'jpeg', true);
  let round: any;
  let irregular: any;

  await t.test('diagnose: a round one-colour spot (JPEG with EXIF) → record, low risk, rule-based model, disclaimer, EXIF gone', async () => {
    const res = await diagnose(
      patient,
      { data: roundJpeg, filename: 'arm.jpg', contentType: 'image/jpeg' },
      { body_site: 'left forearm', notes: 'had it for years', scale_mm_per_px: '0.02' },
    );
    assert.equal(res.statusCode, 201, res.body);
    round = res.json();
    assert.equal(res.headers.location, `/api/v1/infections/${round.id}`);
    assert.equal(round.patient_id, patient.id);
    assert.equal(round.body_site, 'left forearm');
    assert.equal(round.scale_mm_per_px, 0.02);
    assert.equal(round.top_label, 'benign_naevus');
    assert.equal(round.risk, 'low');
    assert.equal(round.predictions.length, 7);
    assert.ok(Math.abs(round.predictions.reduce((a: number, p: { probability: number }) => a + p.probability, 0) - 1) < 0.01);
    assert.equal(round.confidence, round.predictions[0].probability);
    assert.equal(round.model.kind, 'rules');
    assert.match(round.model.description, /rule-based feature score, not a trained classifier/);
    // What such a rule can do at best, and that phone photos do worse (issue 16 item 2).
    assert.match(round.model.description, /sensitivity .*90 %.*specificity .*72 %/);
    assert.match(round.model.description, /dermoscop/);
    assert.match(round.model.description, /lower on phone photos/);
    assert.equal(round.disclaimer, DISCLAIMER);
    assert.match(round.disclaimer, /not a diagnosis/);
    assert.equal(round.recommendation.see_dermatologist, false);
    assert.equal(round.features.asymmetry.score, 0);
    assert.deepEqual(round.features.colour.present, ['dark_brown']);
    assert.ok(round.features.tds < 4.75);
    assert.ok(Math.abs(round.features.diameter.mm - 3.07) < 0.3, `diameter ${round.features.diameter.mm}`);
    assert.equal(round.consult, null);
    const image = await get(patient, `/files/${round.image_file_id}`);
    assert.equal(image.statusCode, 200);
    assert.equal(image.headers['content-type'], 'image/jpeg');
    const meta = await sharp(image.rawPayload).metadata();
    assert.equal(meta.exif, undefined, 'EXIF stripped');
    assert.ok(!image.rawPayload.includes(Buffer.from('Jane Patient')));
  });

  await t.test('diagnose: an irregular multi-colour lesion → high risk, recommendation to see a dermatologist with a one-tap consult', async () => {
    const res = await diagnose(patient, { data: await encode(irregularLesion()) }, {}, '?body_site=back');
    assert.equal(res.statusCode, 201, res.body);
    irregular = res.json();
    assert.equal(irregular.body_site, 'back');
    assert.equal(irregular.risk, 'high');
    assert.equal(irregular.top_label, 'melanoma_suspected');
    assert.ok(irregular.features.tds > 5.45);
    assert.equal(irregular.recommendation.see_dermatologist, true);
    assert.deepEqual(irregular.recommendation.consult, { method: 'POST', href: `/api/v1/infections/${irregular.id}/consult` });
    assert.ok(irregular.explanation.some((line: string) => /total dermoscopy score/.test(line)));
  });

  await t.test('diagnose: medium risk (the round spot 7.7 mm across) also recommends a dermatologist with the one-tap consult', async () => {
    const res = await diagnose(patient, { data: roundJpeg, filename: 'big.jpg', contentType: 'image/jpeg' }, { scale_mm_per_px: '0.05' });
    assert.equal(res.statusCode, 201, res.body);
    const medium = res.json();
    assert.equal(medium.risk, 'medium');
    assert.equal(medium.recommendation.see_dermatologist, true);
    assert.equal(medium.recommendation.urgency, 'routine');
    assert.deepEqual(medium.recommendation.consult, { method: 'POST', href: `/api/v1/infections/${medium.id}/consult` });
    assert.equal(medium.disclaimer, DISCLAIMER);
  });

  await t.test('diagnose: a red inflamed patch → inflammatory label', async () => {
    const res = await diagnose(patient, { data: await encode(redPatch()) });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().top_label, 'eczema_dermatitis');
    assert.ok(res.json().features.erythema_index > 10);
  });

  await t.test('quality gates: each a 422 with its reason; nothing stored', async () => {
    const before = await fileCount();
    const onDisk = filesOnDisk();
    for (const [gate, make] of Object.entries(gateImages)) {
      const res = await diagnose(patient, { data: await encode(make()) });
      assert.equal(res.statusCode, 422, `${gate}: ${res.body}`);
      assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.match(res.json().type, new RegExp(`image-quality-${gate.replace(/_/g, '-')}`));
      assert.ok(res.json().detail.length > 20);
    }
    assert.equal(await fileCount(), before);
    assert.deepEqual(filesOnDisk(), onDisk);
  });

  await t.test('bad input: clear 4xx, nothing stored', async () => {
    const before = await fileCount();
    const onDisk = filesOnDisk();
    assert.ok(onDisk.filter((f) => f.includes('/files/')).length >= 3, 'the images stored above are seen on disk');
    const truncated = roundJpeg.subarray(0, Math.floor(roundJpeg.length / 2));
    const png = await encode(roundSpot());
    const webp = await sharp(png).webp({ quality: 90 }).toBuffer();
    // A JPEG whose markers are intact up to the scan, then noise instead of entropy-coded data.
    const sos = roundJpeg.indexOf(Buffer.from([0xff, 0xda]));
    const garbled = Buffer.concat([roundJpeg.subarray(0, sos + 20), Buffer.alloc(roundJpeg.length - sos - 22, 0xff), Buffer.from([0xff, 0xd9])]);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><circle cx="320" cy="240" r="70" fill="#5a3a28"/></svg>');
    const gif = await sharp(png).gif().toBuffer();
    const cases: [string, { data: Buffer; filename?: string; contentType?: string }, number][] = [
      ['0-byte upload', { data: Buffer.alloc(0), filename: 'empty.jpg', contentType: 'image/jpeg' }, 422],
      [
        'text with an image extension',
        { data: Buffer.from('this is not a picture at all, just text\n'.repeat(20)), filename: 'spot.jpg', contentType: 'image/jpeg' },
        415,
      ],
      ['PDF', { data: Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n'), filename: 'spot.png' }, 415],
      ['truncated JPEG', { data: truncated, filename: 'cut.jpg', contentType: 'image/jpeg' }, 422],
      ['truncated PNG', { data: png.subarray(0, Math.floor(png.length * 0.6)), filename: 'cut.png' }, 422],
      ['truncated WEBP', { data: webp.subarray(0, Math.floor(webp.length * 0.6)), filename: 'cut.webp', contentType: 'image/webp' }, 422],
      ['JPEG with noise for its scan data', { data: garbled, filename: 'noise.jpg', contentType: 'image/jpeg' }, 422],
      ['SVG with a .png extension', { data: svg, filename: 'spot.png' }, 415],
      ['GIF with a .jpg extension', { data: gif, filename: 'spot.jpg', contentType: 'image/jpeg' }, 415],
      ['decompression bomb (400 MP header)', { data: pngBomb(), filename: 'bomb.png' }, 413],
      ['animated WEBP', { data: await animatedWebp(), filename: 'spot.webp', contentType: 'image/webp' }, 422],
      ['animated PNG (APNG)', { data: apng(png), filename: 'spot.png' }, 415],
      ['CMYK JPEG', { data: await sharp(roundJpeg).toColourspace('cmyk').jpeg().toBuffer(), filename: 'print.jpg', contentType: 'image/jpeg' }, 422],
      ['16-bit PNG', { data: await sharp(roundJpeg).toColourspace('rgb16').png().toBuffer(), filename: 'deep.png' }, 422],
    ];
    for (const [name, file, status] of cases) {
      const res = await diagnose(patient, file);
      assert.equal(res.statusCode, status, `${name}: ${res.body}`);
      assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', name);
      if (/animated WEBP|CMYK|16-bit/.test(name)) assert.match(res.json().detail, /animated|CMYK|16-bit/i, name);
      if (/APNG/.test(name)) assert.match(res.json().detail, /image\/apng/, name); // read from the bytes by the files module
    }
    // The file in the wrong field, and no file at all.
    const wrongField = multipartBody([{ name: 'file', filename: 'spot.jpg', contentType: 'image/jpeg', data: roundJpeg }]);
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/infections/diagnose',
      payload: wrongField.payload,
      headers: { ...wrongField.headers, ...patient.auth },
    });
    assert.equal(res.statusCode, 422);
    const bad = await diagnose(patient, { data: roundJpeg, filename: 'spot.jpg', contentType: 'image/jpeg' }, { scale_mm_per_px: 'ten' });
    assert.equal(bad.statusCode, 422);
    assert.equal(await fileCount(), before);
    assert.deepEqual(filesOnDisk(), onDisk, 'no staged or stored file is left behind');
  });

  await t.test('who may diagnose: patients only (403 for doctors and nurses, 401 without a token)', async () => {
    const jpeg = { data: roundJpeg, filename: 'a.jpg', contentType: 'image/jpeg' };
    assert.equal((await diagnose(dermatologist, jpeg)).statusCode, 403);
    assert.equal((await diagnose(nurse, jpeg)).statusCode, 403);
    const { payload, headers } = multipartBody([{ name: 'image', ...jpeg }]);
    assert.equal((await app.inject({ method: 'POST', url: '/api/v1/infections/diagnose', payload, headers })).statusCode, 401);
  });

  await t.test('BOLA before any consult: the record and its image are the patient’s alone', async () => {
    for (const user of [otherPatient, dermatologist, otherDoctor, nurse]) {
      assert.equal((await get(user, `/infections/${irregular.id}`)).statusCode, 404, user.role);
      assert.equal((await get(user, `/files/${irregular.image_file_id}`)).statusCode, 404, `${user.role} image`);
      assert.deepEqual((await get(user, '/infections')).json().items, []);
    }
    const mine = await get(patient, '/infections?limit=2');
    assert.equal(mine.statusCode, 200);
    assert.equal(mine.json().items.length, 2);
    assert.ok(mine.json().next_cursor);
    const rest = await get(patient, `/infections?limit=2&cursor=${mine.json().next_cursor}`);
    assert.equal(rest.json().items.length, 2);
    assert.equal(rest.json().items[1].id, round.id);
    assert.equal(rest.json().next_cursor, null);
    assert.equal((await get(patient, `/infections/${round.id}`)).json().id, round.id);
    // Consulting someone else's record, or an unknown one, is a 404; doctors may not consult (403).
    assert.equal((await app.inject({ method: 'POST', url: `/api/v1/infections/${irregular.id}/consult`, headers: otherPatient.auth })).statusCode, 404);
    assert.equal(
      (await app.inject({ method: 'POST', url: `/api/v1/infections/00000000-0000-4000-8000-000000000000/consult`, headers: patient.auth })).statusCode,
      404,
    );
    assert.equal((await app.inject({ method: 'POST', url: `/api/v1/infections/${irregular.id}/consult`, headers: dermatologist.auth })).statusCode, 403);
  });

  await t.test('consult with no free dermatology slot → the dermatology waitlist; nothing shared', async () => {
    const res = await app.inject({ method: 'POST', url: `/api/v1/infections/${round.id}/consult`, headers: patient.auth });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.consult.status, 'waitlisted');
    assert.equal(body.consult.doctor_id, null);
    assert.ok(body.consult.waitlist_entry_id);
    const waitlist = await get(patient, '/waitlist');
    assert.ok(waitlist.json().items.some((w: { id: string; specialty: string }) => w.id === body.consult.waitlist_entry_id && w.specialty === 'dermatology'));
  });

  await t.test('consult → earliest dermatology slot booked, record and image shared with that doctor only, case posted in their chat', async () => {
    const later = await createSlot(built, dermatologist, futureHour(72));
    const earliest = await createSlot(built, dermatologist, futureHour(30));
    await createSlot(built, otherDoctor, futureHour(2)); // not a dermatologist
    const res = await app.inject({ method: 'POST', url: `/api/v1/infections/${irregular.id}/consult`, headers: patient.auth, payload: { type: 'video' } });
    assert.equal(res.statusCode, 201, res.body);
    const consult = res.json().consult;
    assert.equal(consult.status, 'booked');
    assert.equal(consult.doctor_id, dermatologist.id);
    assert.ok(consult.chat_room_id, 'case posted to chat');
    const appointment = await get(patient, `/appointments/${consult.appointment_id}`);
    assert.equal(appointment.statusCode, 200);
    assert.equal(appointment.json().slot_id, earliest.id);
    assert.notEqual(appointment.json().slot_id, later.id);
    assert.match(appointment.json().reason, /Skin image consult/);

    // The dermatologist now reads the record and its image; others still get 404.
    const read = await get(dermatologist, `/infections/${irregular.id}`);
    assert.equal(read.statusCode, 200, read.body);
    assert.equal(read.json().consult.id, consult.id);
    assert.equal((await get(dermatologist, `/files/${irregular.image_file_id}`)).statusCode, 200);
    assert.deepEqual(
      (await get(dermatologist, '/infections')).json().items.map((r: { id: string }) => r.id),
      [irregular.id],
    );
    for (const user of [otherPatient, otherDoctor, nurse]) {
      assert.equal((await get(user, `/infections/${irregular.id}`)).statusCode, 404, user.role);
      assert.equal((await get(user, `/files/${irregular.image_file_id}`)).statusCode, 404, user.role);
    }
    // Consent covers this record only: the waitlisted one and its image stay private, although
    // the dermatologist now has a care relationship with the patient.
    assert.equal((await get(dermatologist, `/infections/${round.id}`)).statusCode, 404);
    assert.equal((await get(dermatologist, `/files/${round.image_file_id}`)).statusCode, 404);

    const history = await get(dermatologist, `/chat/rooms/${consult.chat_room_id}/history`);
    assert.equal(history.statusCode, 200, history.body);
    const messages = history.json().items as { content: string; file_id?: string | null; file?: { id: string } | null }[];
    const posted = messages.find((m) => /Skin image shared for a dermatology consult/.test(m.content));
    assert.ok(posted, JSON.stringify(messages));
    assert.match(posted.content, /melanoma_suspected/);
    assert.equal(posted.file_id ?? posted.file?.id, irregular.image_file_id);

    // Asking again returns the same consult (no second booking).
    const again = await app.inject({ method: 'POST', url: `/api/v1/infections/${irregular.id}/consult`, headers: patient.auth });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().consult.id, consult.id);
    assert.equal((await get(patient, '/appointments')).json().items.length, 1);
  });

  await t.test('every read and write is audited, the consult as consent', async () => {
    const rows = await built.ctx.db
      .selectFrom('audit_log')
      .select(['resource_type', 'resource_id', 'action', 'actor_id'])
      .where('patient_id', '=', patient.id)
      .where('resource_type', '=', 'infection_record')
      .execute();
    const has = (action: string, actor: string, id?: string) =>
      rows.some((r) => r.action === action && r.actor_id === actor && (id === undefined || r.resource_id === id));
    assert.ok(has('create', patient.id, round.id));
    assert.ok(has('create', patient.id, irregular.id));
    assert.ok(has('read', patient.id, round.id));
    assert.ok(has('list', patient.id));
    assert.ok(has('consent', patient.id, irregular.id));
    assert.ok(has('read', dermatologist.id, irregular.id));
    assert.ok(has('list', dermatologist.id));
  });
});

test('a full analyser queue answers 503 with Retry-After, and the upload is discarded', async () => {
  let discarded = 0;
  const service = new InfectionsService({
    db: null as never,
    repository: null as never,
    files: { storeWith: async () => assert.fail('nothing may be stored'), discard: async () => void discarded++ },
    audit: { record: async () => {} },
    scheduling: null as never,
    chat: () => undefined,
    analyser: { pending: MAX_PENDING_ANALYSES, run: async () => assert.fail('no analysis may start') },
    model: null,
  });
  const meta = {
    actor: { id: '00000000-0000-4000-8000-000000000001', role: 'patient' as const, status: 'active' as const, sessionId: 's' },
    ip: null,
    userAgent: null,
    requestId: null,
  };
  const staged = {
    path: '/nonexistent.png',
    filename: 'a.png',
    contentType: 'image/png' as const,
    size: 1,
    sha256: '',
    fields: {},
    cleanup: [],
    image: { width: 640, height: 480, pages: 1, space: 'srgb', depth: 'uchar' },
  };
  await assert.rejects(
    service.diagnose(meta, staged, {}),
    (err: { status?: number; headers?: Record<string, string> }) => err.status === 503 && err.headers?.['retry-after'] === '10',
  );
  assert.equal(discarded, 1);
});
