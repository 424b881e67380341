import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { build } from '../../../../test/helpers/build.js';
import { createUser } from '../../../../test/helpers/users.js';
import { multipartBody } from '../../../../test/helpers/files.js';
import { tinyClassifier, type TinyModel } from '../../../../test/helpers/onnx.js';
import { ConfigError } from '../../../platform/config.js';
import { AppError } from '../../../platform/errors.js';
import { loadSkinModel, readModelSettings, toProbabilities } from './onnx-model.js';
import { irregularLesion, redPatch, type RawImage } from './testing.js';

const LABELS = ['benign_naevus', 'melanoma_suspected', 'eczema_dermatitis'];
// Class scores from the mean of each normalised channel (R, G, B): redness (R high, G low)
// points to dermatitis, darkness (all channels low) to the melanoma class.
const WEIGHTS: TinyModel['weights'] = [
  [0, -1, 3],
  [0, -1, -3],
  [0, -1, 0],
];
const BIAS = [0, 0, 0];

/** A model folder as an operator would lay it out: model.onnx, model.json, labels.txt. */
function modelDir(options: { softmax?: boolean; settings?: Record<string, unknown>; labels?: string[]; model?: Partial<TinyModel> } = {}): string {
  const dir = join('/tmp/carebridge-test', `onnx-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.onnx'), tinyClassifier({ weights: WEIGHTS, bias: BIAS, size: 16, softmax: options.softmax ?? true, ...options.model }));
  writeFileSync(join(dir, 'labels.txt'), `# one label per output, in order\n${(options.labels ?? LABELS).join('\n')}\n`);
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({
      name: 'tiny-test-classifier',
      version: '0.0.1',
      labels_file: 'labels.txt',
      input: { width: 16, height: 16, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], channel_order: 'RGB', layout: 'NCHW' },
      output: options.softmax === false ? 'logits' : 'probabilities',
      ...options.settings,
    }),
  );
  return join(dir, 'model.onnx');
}

async function solidPng(rgb: [number, number, number]): Promise<string> {
  const path = join('/tmp/carebridge-test', `solid-${randomBytes(6).toString('hex')}.png`);
  mkdirSync('/tmp/carebridge-test', { recursive: true });
  await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toFile(path);
  return path;
}

/** What the tiny model must answer for a one-colour image, computed by hand from the settings. */
function expected(rgb: [number, number, number], order: 'RGB' | 'BGR'): number[] {
  const normalised = rgb.map((v) => (v / 255 - 0.5) / 0.25);
  const x = order === 'RGB' ? normalised : [...normalised].reverse();
  const logits = LABELS.map((_, k) => x.reduce((sum, value, c) => sum + value * WEIGHTS[c]![k]!, BIAS[k]!));
  return toProbabilities(logits, 'logits');
}

const byLabel = (predictions: { label: string; probability: number }[]) => Object.fromEntries(predictions.map((p) => [p.label, p.probability]));

test('ONNX skin model: settings and labels files are checked at start-up', () => {
  const good = modelDir();
  const settings = readModelSettings(good);
  assert.deepEqual(settings.labels, LABELS);
  assert.deepEqual(settings.input.mean, [0.5, 0.5, 0.5]);
  assert.equal(settings.input.scale, 255);
  assert.equal(settings.input.resize, 'fill');

  const refused = (path: string, pattern: RegExp) =>
    assert.throws(
      () => readModelSettings(path),
      (err: unknown) => err instanceof ConfigError && err.variable === 'DERMA_MODEL_PATH' && pattern.test(err.message),
    );
  refused('/tmp/carebridge-test/none/model.onnx', /no model file/);
  refused(modelDir({ labels: ['a', 'a', 'b'] }), /lists a label twice/);
  refused(modelDir({ labels: ['only'] }), /at least two labels/);
  refused(modelDir({ settings: { input: { width: 16, height: 16, channel_order: 'GRB' } } }), /channel_order/);
  refused(modelDir({ settings: { input: { width: 0, height: 16 } } }), /input.width/);
  refused(modelDir({ settings: { input: { width: 16, height: 16, std: [1, 0, 1] } } }), /input.std/);
  refused(modelDir({ settings: { labels_file: 'missing.txt' } }), /labels file .* is missing/);
});

test('ONNX skin model: predictions follow the pixels, the normalisation and the channel order', async () => {
  const red = await solidPng([210, 60, 60]);
  const dark = await solidPng([40, 30, 30]);

  const model = loadSkinModel(modelDir());
  await model.ready();
  const onRed = await model.predict(red);
  const onDark = await model.predict(dark);
  assert.equal(onRed.name, 'tiny-test-classifier');
  assert.equal(onRed.version, '0.0.1');
  assert.equal(onRed.predictions[0]!.label, 'eczema_dermatitis');
  assert.equal(onDark.predictions[0]!.label, 'melanoma_suspected');
  for (const [path, rgb] of [
    [red, [210, 60, 60]],
    [dark, [40, 30, 30]],
  ] as const) {
    const got = byLabel((await model.predict(path)).predictions);
    expected([...rgb], 'RGB').forEach((p, k) => assert.ok(Math.abs(got[LABELS[k]!]! - p) < 1e-3, `${LABELS[k]}: ${got[LABELS[k]!]} vs ${p}`));
  }
  // Sorted, summing to 1.
  assert.ok(onRed.predictions.every((p, i, all) => i === 0 || all[i - 1]!.probability >= p.probability));
  assert.ok(Math.abs(onRed.predictions.reduce((a, p) => a + p.probability, 0) - 1) < 1e-3);

  // The same weights fed BGR: blue and red swap, so the red photo no longer reads as red.
  const bgr = loadSkinModel(modelDir({ settings: { input: { width: 16, height: 16, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], channel_order: 'BGR' } } }));
  const got = byLabel((await bgr.predict(red)).predictions);
  expected([210, 60, 60], 'BGR').forEach((p, k) => assert.ok(Math.abs(got[LABELS[k]!]! - p) < 1e-3));
  assert.notEqual((await bgr.predict(red)).predictions[0]!.label, 'eczema_dermatitis');

  // A model that returns logits: declared as logits, softmax is applied here; declared as
  // probabilities, the reply is refused instead of passing raw scores off as probabilities.
  const logits = loadSkinModel(modelDir({ softmax: false }));
  const fromLogits = byLabel((await logits.predict(red)).predictions);
  expected([210, 60, 60], 'RGB').forEach((p, k) => assert.ok(Math.abs(fromLogits[LABELS[k]!]! - p) < 1e-3));
  const mislabelled = loadSkinModel(modelDir({ softmax: false, settings: { output: 'probabilities' } }));
  await assert.rejects(mislabelled.predict(red), /not a probability distribution/);
  await Promise.all([model.close(), bgr.close(), logits.close(), mislabelled.close()]);
});

test('ONNX skin model: a model that does not match its labels is refused with a 503, not used', async () => {
  const errors: string[] = [];
  const wrong = loadSkinModel(modelDir({ labels: ['a', 'b'] }), { error: (obj) => errors.push(JSON.stringify(obj)) });
  await assert.rejects(wrong.ready(), /3 outputs but the labels file lists 2 labels/);
  await assert.rejects(wrong.predict(await solidPng([200, 150, 130])), (err: unknown) => err instanceof AppError && err.status === 503);
  assert.equal(errors.length, 1);
  const path = modelDir();
  writeFileSync(path, Buffer.from('not an onnx file'));
  await assert.rejects(loadSkinModel(path).ready());
});

test('ONNX skin model over HTTP: DERMA_MODEL_PATH leads the predictions, the rule-based features stay beside them', async (t) => {
  const built = await build(t, {}, { DERMA_MODEL_PATH: modelDir() });
  const patient = await createUser(built, 'patient');
  const diagnose = async (image: RawImage) => {
    const png = await sharp(Buffer.from(image.rgb), { raw: { width: image.width, height: image.height, channels: 3 } })
      .png()
      .toBuffer();
    const { payload, headers } = multipartBody([
      { name: 'scale_mm_per_px', data: '0.02' },
      { name: 'image', filename: 'spot.png', contentType: 'image/png', data: png },
    ]);
    return built.app.inject({ method: 'POST', url: '/api/v1/infections/diagnose', payload, headers: { ...headers, ...patient.auth } });
  };

  const res = await diagnose(redPatch());
  assert.equal(res.statusCode, 201, res.body);
  const record = res.json();
  assert.equal(record.model.kind, 'onnx');
  assert.equal(record.model.name, 'tiny-test-classifier');
  assert.equal(record.model.version, '0.0.1');
  assert.deepEqual(record.predictions.map((p: { label: string }) => p.label).sort(), [...LABELS].sort());
  assert.equal(record.top_label, record.predictions[0].label);
  assert.equal(record.confidence, record.predictions[0].probability);
  // The rules ran too: their features, score, risk and their own predictions are in the reply.
  assert.equal(record.features.kind, 'inflammatory');
  assert.equal(typeof record.features.tds, 'number');
  assert.ok(Array.isArray(record.features.rule_predictions) && record.features.rule_predictions.length === 7);
  assert.ok(['low', 'medium', 'high'].includes(record.risk));
  assert.match(record.disclaimer, /not a diagnosis/);

  // The model reads each photo: a dark lesion and a red patch do not get the same answer.
  const dark = (await diagnose(irregularLesion())).json();
  assert.equal(dark.model.kind, 'onnx');
  assert.notDeepEqual(byLabel(dark.predictions), byLabel(record.predictions));

  const again = await built.app.inject({ method: 'GET', url: `/api/v1/infections/${record.id}`, headers: patient.auth });
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().model.kind, 'onnx');
  assert.deepEqual(again.json().predictions, record.predictions);
});
