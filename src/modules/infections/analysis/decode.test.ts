import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeForAnalysis, NORMALISED_SIDE } from './decode.js';
import { roundSpot } from './testing.js';

test('a 20-megapixel JPEG is shrunk on load: ≤ 1024 px out, the original size kept, memory far below a full-size decode', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'derma-decode-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const image = roundSpot(3, 1155, 770);
  const path = join(dir, 'big.jpg');
  await sharp(Buffer.from(image.rgb), { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize({ width: 5477, kernel: 'cubic' })
    .jpeg({ quality: 90 })
    .toFile(path);
  const fullSizeBytes = 5477 * 3651 * 3; // 57 MiB: what decoding it at full size would hold
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  const decoded = await decodeForAnalysis(path);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  assert.deepEqual([decoded.originalWidth, decoded.originalHeight], [5477, 3651]);
  assert.equal(Math.max(decoded.width, decoded.height), NORMALISED_SIDE);
  assert.equal(decoded.rgb.length, decoded.width * decoded.height * 3);
  // Measured 8 MiB above the baseline; a full-size decode could not stay under 0.7 × its pixels.
  assert.ok(peak - baseline < 0.7 * fullSizeBytes, `resident memory rose by ${((peak - baseline) / 2 ** 20).toFixed(0)} MiB`);
});
