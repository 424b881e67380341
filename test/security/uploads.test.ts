import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build } from '../helpers/build.js';
import { createUser } from '../helpers/users.js';
import { makePdf, upload } from '../helpers/files.js';

/** A PDF with one compressed object stream holding `objects` (what PDF 1.5+ writers do with dictionaries). */
function withObjectStream(pdf: Buffer, objects: string): Buffer {
  const header = '901 0 ';
  const body = deflateSync(Buffer.from(header + objects, 'latin1'));
  const object = Buffer.concat([
    Buffer.from(`\n900 0 obj\n<< /Type /ObjStm /N 1 /First ${header.length} /Filter /FlateDecode /Length ${body.length} >>\nstream\n`, 'latin1'),
    body,
    Buffer.from('\nendstream\nendobj\n', 'latin1'),
  ]);
  const at = pdf.lastIndexOf('xref');
  return Buffer.concat([pdf.subarray(0, at), object, pdf.subarray(at)]);
}

/** Issue 11, item 5: PDF active content found by structure, and extensions that match the content. */
test('uploads: PDF active content through name escapes and object streams; extension follows the sniffed type', async (t) => {
  const built = await build(t);
  const { app } = built;
  const patient = await createUser(built, 'patient');
  const pdf = await makePdf(['Glucose 5.1 mmol/L 3.9-5.5']);
  const catalog = (extra: string) => Buffer.from(pdf.toString('latin1').replace('/Type /Catalog', `/Type /Catalog ${extra}`), 'latin1');

  const refused: [string, Buffer][] = [
    ['JavaScript behind a name escape', catalog('/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>')],
    ['a launch action behind a name escape', catalog('/OpenAction << /S /L#61unch /F (calc.exe) >>')],
    ['JavaScript inside a compressed object stream', withObjectStream(pdf, '<< /S /JavaScript /JS (app.alert(1)) >>')],
    ['an embedded file inside a compressed object stream, escaped', withObjectStream(pdf, '<< /Type /Filespec /EF << /F 5 0 R >> /#45mbeddedFile 5 0 R >>')],
    [
      'an object stream that cannot be inflated',
      Buffer.from(
        pdf
          .toString('latin1')
          .replace('xref', '900 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 9 >>\nstream\nnot-zlib!\nendstream\nendobj\nxref'),
        'latin1',
      ),
    ],
  ];
  for (const [name, data] of refused) {
    await t.test(`refused: ${name}`, async () => {
      const res = await upload(built, patient, '/api/v1/files', { filename: 'report.pdf', data });
      assert.equal(res.statusCode, 415, res.body);
      assert.match(res.json().detail, /active content|cannot be checked/);
    });
  }

  await t.test('plain PDFs pass, also with a benign object stream and a page link', async () => {
    for (const data of [pdf, withObjectStream(pdf, '<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://example.org/) >> >>')]) {
      const res = await upload(built, patient, '/api/v1/files', { filename: 'report.pdf', data });
      assert.equal(res.statusCode, 201, res.body);
    }
  });

  await t.test('an encrypted PDF cannot be inspected: 422', async () => {
    const res = await upload(built, patient, '/api/v1/files', {
      filename: 'locked.pdf',
      data: readFileSync(new URL('../../src/modules/reports/fixtures/encrypted.pdf', import.meta.url)),
    });
    assert.equal(res.statusCode, 422, res.body);
    assert.match(res.json().detail, /password-protected/);
  });

  await t.test('the stored extension matches the sniffed type', async () => {
    const { default: sharp } = await import('sharp');
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#f00' } })
      .png()
      .toBuffer();
    const cases: [string, Buffer | string, string, string][] = [
      ['report.html', 'test,value\nGlucose,5.1\n', 'report.csv', 'text/csv'],
      ['evil.exe', png, 'evil.png', 'image/png'],
      ['noextension', png, 'noextension.png', 'image/png'],
      ['scan.jpeg.svg', png, 'scan.jpeg.png', 'image/png'],
      ['labs.txt', 'a,b\n1,2\n', 'labs.txt', 'text/csv'],
    ];
    for (const [given, data, stored, type] of cases) {
      const res = await upload(built, patient, '/api/v1/files', { filename: given, data });
      assert.equal(res.statusCode, 201, res.body);
      assert.deepEqual([res.json().filename, res.json().content_type], [stored, type], given);
      const download = await app.inject({ method: 'GET', url: `/api/v1/files/${res.json().id}/download`, headers: patient.auth });
      assert.match(String(download.headers['content-disposition']), new RegExp(stored.replace('.', '\\.')));
    }
  });
});
