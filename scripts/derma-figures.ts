/**
 * Pictures and the feature table of docs/DERMA.md, "Synthetic set": `npx tsx scripts/derma-figures.ts`.
 * For each synthetic photo (src/modules/infections/analysis/testing.ts) it writes
 * docs/img/derma-<name>.png — left the photo, right what the analyser worked on (after colour
 * constancy and hair removal) with the lesion outline in green and removed hairs in cyan —
 * and prints the Markdown table of features and results.
 */
import { mkdirSync } from 'node:fs';
import sharp from 'sharp';
import { analyse } from '../src/modules/infections/analysis/analyse.js';
import { crustedPatch, hairySpot, irregularLesion, redPatch, ringPatch, roundSpot, type RawImage } from '../src/modules/infections/analysis/testing.js';

const SCALE = 0.02;
const cases: [string, string, RawImage][] = [
  ['round', 'round, one-colour, sharp', roundSpot()],
  ['irregular', 'irregular, 5 colours, dots, blurred', irregularLesion()],
  ['hairy', 'round spot with 5 hairs', hairySpot()],
  ['red', 'red, ill-defined patch', redPatch()],
  ['ring', 'red ring, clear centre', ringPatch()],
  ['crusted', 'red patch, honey-coloured crusts', crustedPatch()],
];

mkdirSync('docs/img', { recursive: true });
const rows: string[] = [
  '| photo | channel | A (shape idx) | B abrupt / irregularity | C colours | D | TDS | Δa* / EI | hair | top label (p) | risk |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const [name, title, image] of cases) {
  const out = analyse({
    ...image,
    rgb: Uint8Array.from(image.rgb),
    originalWidth: image.width,
    originalHeight: image.height,
    scaleMmPerPx: SCALE,
    keepMasks: true,
  });
  if (!out.ok || !out.masks) throw new Error(`${name}: ${out.ok ? 'no masks' : out.reason}`);
  const { width: w, height: h, lesion, hair, rgb } = out.masks;
  const overlay = Buffer.from(rgb);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const edge = lesion[i] && (x === 0 || y === 0 || x === w - 1 || y === h - 1 || !lesion[i - 1] || !lesion[i + 1] || !lesion[i - w] || !lesion[i + w]);
      const paint = edge ? [0, 220, 0] : hair[i] ? [0, 200, 230] : null;
      if (paint) overlay.set(paint, 3 * i);
    }
  }
  const left = await sharp(Buffer.from(image.rgb), { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(w, h)
    .png()
    .toBuffer();
  const right = await sharp(overlay, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
  await sharp({ create: { width: 2 * w + 8, height: h, channels: 3, background: '#ffffff' } })
    .composite([
      { input: left, left: 0, top: 0 },
      { input: right, left: w + 8, top: 0 },
    ])
    .png({ compressionLevel: 9, palette: true, colours: 64 })
    .toFile(`docs/img/derma-${name}.png`);
  const f = out.features;
  const s = out.scored;
  rows.push(
    `| ${title} | ${f.segmentation.channel} | ${f.asymmetry.score} (${f.asymmetry.shape_index.join(', ')}) | ${f.border.abrupt_segments} / ${f.border.irregularity} | ${f.colour.score}: ${f.colour.present.join(', ')} | ${f.differential_structures.score} | ${s.tds} | ${f.redness_delta_a} / ${f.erythema_index} | ${f.hair_fraction} | ${s.top_label} (${s.confidence}) | ${s.risk} |`,
  );
}
console.log(rows.join('\n'));
