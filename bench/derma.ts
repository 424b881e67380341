/**
 * Skin-image analyser (issue 16 item 7): milliseconds per 1-megapixel photo and memory for a
 * 20-megapixel upload. `npx tsx bench/derma.ts` (also part of `npm run bench`). Prints a
 * Markdown section; the load average at start and end says how quiet the machine was.
 *
 *  - decode: sharp → ≤ 1024 px, 8-bit sRGB (decode.ts), on libuv's pool;
 *  - analyse: the rule-based analyser (analyse.ts) on this thread, after warm-up;
 *  - pool: 4 photos through the 2-worker pool at once, wall time;
 *  - 20 MP: the files module's re-encode (EXIF strip, full size, streamed) + decode + analyse,
 *    peak resident memory sampled every 5 ms, against the process's baseline.
 */
import { loadavg } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { analyse } from '../src/modules/infections/analysis/analyse.js';
import { decodeForAnalysis } from '../src/modules/infections/analysis/decode.js';
import { AnalysisPool } from '../src/modules/infections/analysis/pool.js';
import { irregularLesion, roundSpot } from '../src/modules/infections/analysis/testing.js';
import { machine } from './lib.js';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), 'derma-bench-'));
const load0 = loadavg()[0]!;

async function jpeg(image: { rgb: Uint8Array; width: number; height: number }, path: string, width?: number): Promise<string> {
  let pipeline = sharp(Buffer.from(image.rgb), { raw: { width: image.width, height: image.height, channels: 3 } });
  if (width) pipeline = pipeline.resize({ width, kernel: 'cubic' });
  await pipeline.jpeg({ quality: 90 }).toFile(path);
  return path;
}

try {
  // ~1 megapixel (1155 × 866).
  const onePath = await jpeg(irregularLesion(2, 1155, 866), join(dir, 'one.jpg'));
  const decodeMs: number[] = [];
  const analyseMs: number[] = [];
  // CPU time as well as wall time: on a loaded machine the wall time mostly measures the queue.
  const decodeCpu: number[] = [];
  const analyseCpu: number[] = [];
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  for (let i = 0; i < 12; i++) {
    const c0 = cpu();
    const t0 = performance.now();
    const decoded = await decodeForAnalysis(onePath);
    const t1 = performance.now();
    const c1 = cpu();
    const out = analyse({ ...decoded });
    const t2 = performance.now();
    const c2 = cpu();
    if (!out.ok) throw new Error(`bench image refused: ${out.reason}`);
    if (i >= 2) {
      decodeMs.push(t1 - t0);
      analyseMs.push(t2 - t1);
      decodeCpu.push(c1 - c0);
      analyseCpu.push(c2 - c1);
    }
  }

  const pool = new AnalysisPool(2);
  const decoded = await decodeForAnalysis(onePath);
  await pool.run({ ...decoded, rgb: Uint8Array.from(decoded.rgb) }); // start the workers
  const poolMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await Promise.all([0, 1, 2, 3].map(() => pool.run({ ...decoded, rgb: Uint8Array.from(decoded.rgb) })));
    poolMs.push(performance.now() - t0);
  }
  await pool.close();

  // 20 megapixels (5477 × 3651), a phone-camera JPEG.
  const bigPath = await jpeg(roundSpot(3, 1155, 770), join(dir, 'big.jpg'), 5477);
  const meta = await sharp(bigPath).metadata();
  if (global.gc) global.gc();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const cleaned = join(dir, 'big.clean.jpg');
  await sharp(bigPath, { limitInputPixels: 40_000_000, failOn: 'error', sequentialRead: true }).rotate().jpeg({ quality: 92, mozjpeg: true }).toFile(cleaned);
  const t1 = performance.now();
  const big = await decodeForAnalysis(cleaned);
  const t2 = performance.now();
  const bigOut = analyse({ ...big });
  const t3 = performance.now();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (!bigOut.ok) throw new Error(`20 MP image refused: ${bigOut.reason}`);

  const load1 = loadavg()[0]!;
  const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
  const lines = [
    '## Skin-image analyser (bench/derma.ts)',
    '',
    `Machine: ${machine()}; load average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end.`,
    '',
    '| step | figure |',
    '|---|---|',
    `| decode a 1-MP JPEG to ≤ 1024 px (sharp) | ${median(decodeMs).toFixed(0)} ms wall, ${median(decodeCpu).toFixed(0)} ms CPU (medians of 10) |`,
    `| analyse it (rule-based, one thread) | ${median(analyseMs).toFixed(0)} ms wall, ${median(analyseCpu).toFixed(0)} ms CPU (medians of 10) |`,
    `| decode + analyse, per 1-MP photo | ${(median(decodeMs) + median(analyseMs)).toFixed(0)} ms wall, ${(median(decodeCpu) + median(analyseCpu)).toFixed(0)} ms CPU |`,
    `| 4 photos at once through the 2-worker pool | ${median(poolMs).toFixed(0)} ms wall (median of 3) |`,
    `| 20-MP upload (${meta.width} × ${meta.height}): EXIF-strip re-encode | ${(t1 - t0).toFixed(0)} ms |`,
    `| 20-MP upload: decode (shrink-on-load) + analyse | ${(t2 - t1).toFixed(0)} + ${(t3 - t2).toFixed(0)} ms |`,
    `| 20-MP upload: peak resident memory above baseline | ${mb(peak - baseline)} (baseline ${mb(baseline)}, peak ${mb(peak)}) |`,
    '',
  ];
  console.log(lines.join('\n'));
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, lines.join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
