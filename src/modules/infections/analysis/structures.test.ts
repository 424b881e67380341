import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse, type AnalysisSuccess } from './analyse.js';
import { STOLZ_D, type StructureName } from './structures.js';
import { structuredLesion, type Drawn } from './structures.synthetic.js';
import { roundSpot } from './testing.js';
import { totalDermoscopyScore } from './score.js';

/**
 * The dermoscopic structure rules (structures.ts, docs/DERMA.md "Structures") on synthetic
 * lesions with known, drawn structures — real pixels through the whole analyser, but pictures
 * we drew: these show the rules find what they were written for, not how they do on real skin.
 */
const memo = new Map<string, AnalysisSuccess>();
function analysed(structures: Drawn[], seed: number): AnalysisSuccess {
  const key = `${structures.join('+')}:${seed}`;
  if (!memo.has(key)) {
    const image = structuredLesion(structures, seed);
    const out = analyse({ ...image, originalWidth: image.width, originalHeight: image.height, scaleMmPerPx: 0.02 });
    if (!out.ok) assert.fail(`gate ${out.gate}: ${out.reason}`);
    memo.set(key, out);
  }
  return memo.get(key)!;
}
const found = (out: AnalysisSuccess) => out.features.differential_structures.findings.filter((f) => f.present).map((f) => f.structure);
const finding = (out: AnalysisSuccess, name: StructureName) => out.features.differential_structures.findings.find((f) => f.structure === name)!;

test('every finding has a structure, a confidence in 0..1, its evidence, and whether Stolz’s D counts it', () => {
  const out = analysed(['pigment_network'], 7);
  const { findings, score, present, not_assessed } = out.features.differential_structures;
  assert.deepEqual(findings.map((f) => f.structure).sort(), [...STOLZ_D, 'blue_white_veil', 'regression'].sort());
  for (const f of findings) {
    assert.ok(f.confidence >= 0 && f.confidence <= 1, `${f.structure} ${f.confidence}`);
    assert.equal(f.present, f.confidence >= 0.5, `${f.structure}: present exactly when the rule fired (${f.confidence})`);
    assert.ok(Object.keys(f.evidence).length > 0);
    assert.equal(f.stolz_d, STOLZ_D.includes(f.structure));
  }
  assert.deepEqual(not_assessed, []);
  assert.deepEqual(
    present,
    found(out).filter((s) => STOLZ_D.includes(s)),
  );
  assert.equal(score, Math.max(1, present.length));
});

test('each drawn structure is found on its own, and nothing else of the D structures but the plain background', () => {
  const cases: [Drawn, StructureName[]][] = [
    ['pigment_network', ['pigment_network']],
    ['dots', ['dots', 'structureless_area']],
    ['globules', ['globules', 'structureless_area']],
    ['streaks', ['streaks', 'structureless_area']],
    ['blue_white_veil', ['blue_white_veil', 'structureless_area']],
    ['regression', ['regression', 'structureless_area']],
  ];
  for (const [drawn, expected] of cases) {
    const out = analysed([drawn], 11);
    assert.deepEqual(
      found(out).sort(),
      [...expected].sort(),
      `${drawn}: ${JSON.stringify(out.features.differential_structures.findings.map((f) => [f.structure, f.evidence]))}`,
    );
    assert.ok(finding(out, drawn).confidence > 0.5);
  }
});

test('a plain, uniform lesion and the round test spot show no structure but a structureless area (D = 1)', () => {
  for (const out of [
    analysed([], 3),
    (() => {
      const image = roundSpot();
      const r = analyse({ ...image, originalWidth: image.width, originalHeight: image.height, scaleMmPerPx: 0.02 });
      assert.ok(r.ok);
      return r;
    })(),
  ]) {
    assert.deepEqual(found(out), ['structureless_area']);
    assert.equal(out.features.differential_structures.score, 1);
  }
});

test('the network is a mesh around many holes and is not taken for hair; the D score enters the TDS', () => {
  const net = analysed(['pigment_network'], 5);
  const f = finding(net, 'pigment_network');
  assert.ok(f.evidence.holes! >= 10, JSON.stringify(f.evidence));
  assert.ok(f.evidence.hole_area_cv! <= 1.2);
  assert.ok(net.features.hair_fraction < 0.01, `the mesh was inpainted as hair: ${net.features.hair_fraction}`);
  const several = analysed(['globules', 'streaks'], 21);
  const plain = analysed([], 21);
  assert.ok(several.features.differential_structures.score > plain.features.differential_structures.score);
  assert.ok(totalDermoscopyScore(several.features) > totalDermoscopyScore(plain.features));
  assert.equal(several.scored.tds, Math.round(totalDermoscopyScore(several.features) * 100) / 100);
});
