import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse, type AnalysisSuccess, type QualityGate } from './analyse.js';
import { AnalysisPool } from './pool.js';
import { LABELS, TDS_MELANOMA, TDS_SUSPICIOUS } from './score.js';
import { Canvas, crustedPatch, disc, gateImages, hairySpot, irregularLesion, redPatch, ringPatch, roundSpot, type RawImage } from './testing.js';

type RGB = [number, number, number];

// Golden features of the synthetic set (docs/DERMA.md, "Synthetic set"): real pixels, drawn
// by testing.ts, analysed by the same code the API runs.
const SCALE = 0.02; // mm per pixel: a 640 × 480 photo covering 12.8 × 9.6 mm

// Each image and analysis is made once per file (the suite's time budget, RULES).
const memo = new Map<string, unknown>();
function once<T>(key: string, make: () => T): T {
  if (!memo.has(key)) memo.set(key, make());
  return memo.get(key) as T;
}
const images = {
  round: () => once('round', () => roundSpot()),
  irregular: () => once('irregular', () => irregularLesion()),
  red: () => once('red', () => redPatch()),
  ring: () => once('ring', () => ringPatch()),
  hairy: () => once('hairy', () => hairySpot()),
  crusted: () => once('crusted', () => crustedPatch()),
};
const analysed = new WeakMap<RawImage, Map<number | null, ReturnType<typeof analyse>>>();
function run(image: RawImage, scale: number | null = SCALE) {
  let byScale = analysed.get(image);
  if (!byScale) analysed.set(image, (byScale = new Map()));
  if (!byScale.has(scale)) byScale.set(scale, analyse({ ...image, originalWidth: image.width, originalHeight: image.height, scaleMmPerPx: scale }));
  return byScale.get(scale)!;
}
function ok(image: RawImage, scale: number | null = SCALE): AnalysisSuccess {
  const out = run(image, scale);
  if (!out.ok) assert.fail(`expected an analysis, got gate ${out.gate}: ${out.reason}`);
  return out;
}

test('round, symmetric, one-colour, sharp spot: low total dermoscopy score, low risk', () => {
  const { features: f, scored } = ok(images.round());
  assert.equal(f.segmentation.channel, 'lightness');
  assert.equal(f.asymmetry.score, 0, `shape indices ${f.asymmetry.shape_index}`);
  assert.ok(f.asymmetry.shape_index.every((v) => v < 0.05));
  assert.ok(f.border.irregularity < 1.05, `irregularity ${f.border.irregularity}`);
  assert.ok(f.border.abrupt_segments >= 6, `a sharp edge all round: ${f.border.sharpness_by_segment}`);
  assert.deepEqual(f.colour.present, ['dark_brown']);
  assert.equal(f.differential_structures.score, 1);
  // Drawn radius 0.16 × 480 = 76.8 px → 153.6 px across → 3.07 mm at 0.02 mm/px.
  assert.ok(Math.abs(f.diameter.mm! - 3.07) < 0.25, `diameter ${f.diameter.mm} mm`);
  assert.ok(f.pigmentation_delta_l > 25);
  assert.equal(scored.kind, 'pigmented');
  assert.ok(scored.tds < TDS_SUSPICIOUS, `TDS ${scored.tds}`);
  assert.equal(scored.top_label, 'benign_naevus');
  assert.equal(scored.risk, 'low');
});

test('irregular, multi-colour, blurred-border lesion: TDS above 5.45, high risk', () => {
  const { features: f, scored } = ok(images.irregular());
  assert.equal(f.asymmetry.score, 2, `shape ${f.asymmetry.shape_index}, colour ${f.asymmetry.colour_delta_e}`);
  assert.ok(f.border.irregularity > 1.03, `irregularity ${f.border.irregularity}`);
  assert.ok(f.border.compactness < 0.85, `compactness ${f.border.compactness}`);
  assert.ok(f.border.abrupt_segments <= 2, `a blurred edge: ${f.border.sharpness_by_segment}`);
  for (const colour of ['light_brown', 'dark_brown', 'black', 'blue_grey'] as const)
    assert.ok(f.colour.present.includes(colour), `${colour} in ${f.colour.present}`);
  assert.ok(f.differential_structures.present.includes('dots'), `${f.differential_structures.present}`);
  assert.ok(scored.tds > TDS_MELANOMA, `TDS ${scored.tds}`);
  assert.equal(scored.top_label, 'melanoma_suspected');
  assert.equal(scored.risk, 'high');
});

test('risk order: the one-colour round spot < the irregular lesion, and diameter > 6 mm raises a low score to medium', () => {
  const round = ok(images.round());
  const irregular = ok(images.irregular());
  const order = { low: 0, medium: 1, high: 2 };
  assert.ok(order[round.scored.risk] < order[irregular.scored.risk]);
  assert.ok(round.scored.tds < irregular.scored.tds);
  // The same spot photographed at 0.05 mm/px is 7.7 mm across: medium, TDS unchanged.
  const big = ok(images.round(), 0.05);
  assert.equal(big.scored.tds, round.scored.tds);
  assert.equal(big.scored.risk, 'medium');
  assert.ok(big.scored.reasons.some((r) => /6 mm/.test(r)));
});

test('red, inflamed patch: erythema, dermatitis, low risk; red ring with clear centre: tinea', () => {
  const red = ok(images.red());
  assert.equal(red.scored.kind, 'inflammatory');
  assert.ok(red.features.redness_delta_a > 12, `Δa ${red.features.redness_delta_a}`);
  assert.ok(red.features.erythema_index > 10, `EI ${red.features.erythema_index}`);
  assert.ok(red.features.colour.present.includes('red'));
  assert.equal(red.scored.top_label, 'eczema_dermatitis');
  assert.equal(red.scored.risk, 'low');
  const ring = ok(images.ring());
  assert.equal(ring.scored.kind, 'inflammatory');
  assert.ok(ring.features.central_clearing > 0.5, `clearing ${ring.features.central_clearing}`);
  assert.equal(ring.scored.top_label, 'tinea_fungal');
});

test('red patch with honey-coloured crusts: yellow fraction, bacterial infection leads, medium risk (the documented rule)', () => {
  const { features: f, scored } = ok(images.crusted());
  assert.equal(scored.kind, 'inflammatory');
  assert.ok(f.yellow_fraction >= 0.03, `yellow fraction ${f.yellow_fraction}`);
  assert.ok(f.erythema_index > 12, `EI ${f.erythema_index}`);
  assert.equal(scored.top_label, 'bacterial_infection');
  assert.equal(scored.risk, 'medium');
  assert.ok(scored.reasons.some((r) => /Yellowish areas/.test(r)));
  // The same patch without crusts stays dermatitis at low risk: the crusts decide.
  assert.equal(ok(images.red()).scored.risk, 'low');
});

test('hairs drawn across a spot are found and removed: the spot measures as without them', () => {
  const plain = ok(images.round());
  const hairy = ok(images.hairy());
  assert.ok(hairy.features.hair_fraction > 0.02, `hair fraction ${hairy.features.hair_fraction}`);
  assert.equal(plain.features.hair_fraction, 0);
  assert.equal(hairy.features.asymmetry.score, 0);
  assert.ok(Math.abs(hairy.features.segmentation.area_fraction - plain.features.segmentation.area_fraction) < 0.005);
  assert.ok(hairy.features.border.irregularity < 1.05);
  assert.equal(hairy.scored.top_label, 'benign_naevus');
});

test('predictions: the fixed label set, probabilities summing to 1, at least 0.2 kept for "unclear"', () => {
  for (const image of [images.round(), images.irregular(), images.red()]) {
    const { scored } = ok(image);
    assert.deepEqual(scored.predictions.map((p) => p.label).sort(), [...LABELS].sort());
    const sum = scored.predictions.reduce((a, p) => a + p.probability, 0);
    assert.ok(Math.abs(sum - 1) < 0.01, `sum ${sum}`);
    assert.ok(scored.predictions.find((p) => p.label === 'unclear')!.probability >= 0.2);
    assert.ok(scored.confidence <= 0.8);
  }
});

test('each quality gate triggers on its own image', () => {
  for (const [gate, make] of Object.entries(gateImages) as [QualityGate, () => RawImage][]) {
    const out = run(make());
    assert.equal(out.ok, false, `${gate}: expected a refusal`);
    if (out.ok) continue;
    assert.equal(out.gate, gate, `${gate}: got ${out.gate} (${out.reason})`);
    assert.ok(out.reason.length > 20);
  }
});

test('the worker pool runs 4 analyses at once without blocking the event loop', async () => {
  const pool = new AnalysisPool(2);
  try {
    const inputs = [images.round(), images.irregular(), images.red(), roundSpot(4)];
    let ticks = 0;
    let done = false;
    const spin = () => {
      if (done) return;
      ticks++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const results = await Promise.all(
      inputs.map((image) => pool.run({ ...image, rgb: Uint8Array.from(image.rgb), originalWidth: image.width, originalHeight: image.height })),
    );
    done = true;
    assert.ok(results.every((r) => r.ok));
    const first = results[0]!;
    assert.equal(first.ok && first.scored.top_label, 'benign_naevus');
    // Had the analyses run on this thread, the loop would have turned a handful of times.
    assert.ok(ticks > 50, `event loop turned ${ticks} times while 4 analyses ran`);
    assert.equal(pool.pending, 0);
  } finally {
    await pool.close();
  }
});

test('pool.warm() starts every worker and waits until each has loaded the analyser; a photo then runs at once', async () => {
  const pool = new AnalysisPool(2);
  try {
    const workers = () => (pool as unknown as { workers: unknown[] }).workers.length;
    assert.equal(workers(), 0, 'workers start on demand, not when the pool is made');
    await pool.warm();
    assert.equal(workers(), 2);
    await pool.warm(); // idempotent
    assert.equal(workers(), 2);
    const image = images.round();
    const result = await pool.run({ ...image, rgb: Uint8Array.from(image.rgb), originalWidth: image.width, originalHeight: image.height });
    assert.ok(result.ok);
    assert.equal(workers(), 2, 'the photo ran on a warmed worker');
  } finally {
    await pool.close();
  }
  await pool.warm(); // closed: nothing is started
  assert.equal((pool as unknown as { workers: unknown[] }).workers.length, 0);
});

test('darker skin tones: the same round spot is found, measured symmetric and scored benign (colour caveat in DERMA.md)', () => {
  const tones: [RGB, RGB][] = [
    [
      [176, 124, 96],
      [70, 42, 30],
    ],
    [
      [112, 72, 52],
      [46, 28, 22],
    ],
    [
      [72, 46, 34],
      [30, 20, 16],
    ],
  ];
  for (const [skin, spot] of tones) {
    const out = run(new Canvas(640, 480, skin).paint(spot, disc(320, 240, 76.8, 1)).finish(7));
    assert.ok(out.ok, `skin ${skin}: ${out.ok ? '' : out.reason}`);
    if (!out.ok) continue;
    assert.equal(out.features.asymmetry.score, 0, `skin ${skin}`);
    assert.ok(Math.abs(out.features.diameter.mm! - 3.07) < 0.3, `skin ${skin}: diameter ${out.features.diameter.mm}`);
    assert.ok(out.scored.tds < TDS_SUSPICIOUS, `skin ${skin}: TDS ${out.scored.tds}`);
    assert.equal(out.scored.top_label, 'benign_naevus');
  }
});
