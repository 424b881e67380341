/**
 * Skin-image analyser (issue 16 item 7): wall time per photo as the service runs it, and memory
 * for a 20-megapixel upload. `npx tsx bench/derma.ts` (also `npm run bench -- derma`). Prints a
 * Markdown section; the load average at start and end says how quiet the machine was.
 *
 *  - per photo, as `POST /infections/diagnose` does it: decode (sharp → ≤ 1024 px, libuv's pool)
 *    then the rule-based analysis in the 2-worker pool (pool.ts); 1-MP and 4-MP JPEGs, one photo
 *    at a time, wall time p50/p95 over 30 photos, and the process CPU (all threads) per photo;
 *  - the first photo after start (workers spawned, code loaded) — pool.warm() removes that cost;
 *  - 4 photos at once through the pool: wall time until each is done (p50/p95), and how late the
 *    event loop ran meanwhile (perf_hooks.monitorEventLoopDelay) and how busy it was
 *    (eventLoopUtilization), beside the delay one in-thread analysis would cause;
 *  - the files module's EXIF-strip re-encode of the 1-MP upload (paid once per upload, before);
 *  - in-thread analysis alone (CPU), for comparison with earlier figures;
 *  - 20 MP: the files module's re-encode (EXIF strip, full size, streamed) + decode + analyse,
 *    peak resident memory sampled every 5 ms, against the process's baseline.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
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
const min = (values: number[]) => Math.min(...values);
const pct = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)]!;
const dir = mkdtempSync(join(tmpdir(), 'derma-bench-'));
const load0 = loadavg()[0]!;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function jpeg(image: { rgb: Uint8Array; width: number; height: number }, path: string, width?: number): Promise<string> {
  let pipeline = sharp(Buffer.from(image.rgb), { raw: { width: image.width, height: image.height, channels: 3 } });
  if (width) pipeline = pipeline.resize({ width, kernel: 'cubic' });
  await pipeline.jpeg({ quality: 90 }).toFile(path);
  return path;
}

/** One photo the way the service analyses it: decode, then the worker pool. */
async function perPhoto(pool: AnalysisPool, path: string): Promise<void> {
  const decoded = await decodeForAnalysis(path);
  const out = await pool.run(decoded);
  if (!out.ok) throw new Error(`bench image refused: ${out.reason}`);
}

try {
  // ~1 megapixel (1155 × 866).
  const onePath = await jpeg(irregularLesion(2, 1155, 866), join(dir, 'one.jpg'));
  const decodeMs: number[] = [];
  const analyseMs: number[] = [];
  // CPU time as well as wall time: on a loaded machine the wall time mostly measures the queue.
  const decodeCpu: number[] = [];
  const analyseCpu: number[] = [];
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

  // As the service runs it: decode + 2-worker pool, one photo at a time, then 4 at once.
  const fourPath = await jpeg(irregularLesion(7, 2310, 1732), join(dir, 'four.jpg')); // ~4 MP
  const cold = new AnalysisPool(2);
  const c0 = performance.now();
  await perPhoto(cold, onePath);
  const coldMs = performance.now() - c0;
  await cold.close();
  const warmed = new AnalysisPool(2);
  const w0 = performance.now();
  await warmed.warm();
  const warmMs = performance.now() - w0;
  const w1 = performance.now();
  await perPhoto(warmed, onePath);
  const afterWarmMs = performance.now() - w1;
  await warmed.close();

  const pool = new AnalysisPool(2);
  await pool.warm();
  const sequential: Record<string, { wall: number[]; cpu: number[] }> = {};
  for (const [name, path] of [
    ['1 MP (1155 × 866)', onePath],
    ['4 MP (2310 × 1732)', fourPath],
  ] as const) {
    for (let i = 0; i < 3; i++) await perPhoto(pool, path);
    const entry: { wall: number[]; cpu: number[] } = (sequential[name] = { wall: [], cpu: [] });
    for (let i = 0; i < 30; i++) {
      const cpu0 = cpu();
      const t0 = performance.now();
      await perPhoto(pool, path);
      entry.wall.push(performance.now() - t0);
      entry.cpu.push(cpu() - cpu0);
    }
  }
  const concurrent: number[] = [];
  // How late timers and I/O callbacks ran while 4 analyses were in flight (the event loop's own delay).
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const elu0 = performance.eventLoopUtilization();
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    await Promise.all([0, 1, 2, 3].map(() => perPhoto(pool, onePath).then(() => concurrent.push(performance.now() - t0))));
  }
  loopDelay.disable();
  // Share of the time the main thread was busy (not waiting for I/O) while the 4 ran.
  const busy = performance.eventLoopUtilization(elu0).utilization;
  await pool.close();
  // The same measure with no analysis running, for the machine's own scheduling noise.
  const idleDelay = monitorEventLoopDelay({ resolution: 10 });
  idleDelay.enable();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  idleDelay.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(0);

  // The files module's EXIF-strip re-encode of the same 1-MP upload (upload.ts stripImage).
  const stripWall: number[] = [];
  const stripCpu: number[] = [];
  for (let i = 0; i < 6; i++) {
    const cpu0 = cpu();
    const t0 = performance.now();
    await sharp(onePath, { limitInputPixels: 40_000_000, failOn: 'error', sequentialRead: true })
      .rotate()
      .jpeg({ quality: 92, mozjpeg: true })
      .toFile(join(dir, `one.clean.${i}.jpg`));
    if (i >= 1) {
      stripWall.push(performance.now() - t0);
      stripCpu.push(cpu() - cpu0);
    }
  }

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
    ...Object.entries(sequential).map(
      ([name, e]) =>
        `| ${name} photo, decode + pool, one at a time (30) | **p50 ${median(e.wall).toFixed(0)} ms, p95 ${pct(e.wall, 95).toFixed(0)} ms wall**; CPU (all threads) min ${min(e.cpu).toFixed(0)}, median ${median(e.cpu).toFixed(0)} ms |`,
    ),
    `| 1 MP, 4 photos at once through the 2-worker pool (5 rounds) | each done after p50 ${median(concurrent).toFixed(0)} ms, p95 ${pct(concurrent, 95).toFixed(0)} ms wall |`,
    `| event-loop delay while those 4 ran (monitorEventLoopDelay) | p50 ${ms(loopDelay.percentile(50))} ms, p99 ${ms(loopDelay.percentile(99))} ms, max ${ms(loopDelay.max)} ms (idle, no analysis: p50 ${ms(idleDelay.percentile(50))}, p99 ${ms(idleDelay.percentile(99))}, max ${ms(idleDelay.max)} ms); event loop busy ${(busy * 100).toFixed(1)} % of that time |`,
    `| 1-MP upload: files' EXIF-strip re-encode (once per upload) | median ${median(stripWall).toFixed(0)} ms wall, CPU min ${min(stripCpu).toFixed(0)}, median ${median(stripCpu).toFixed(0)} ms |`,
    `| first 1-MP photo after start, cold pool (workers spawned on demand) | ${coldMs.toFixed(0)} ms wall |`,
    `| pool.warm() at start, then the first photo | ${warmMs.toFixed(0)} ms warm-up, then ${afterWarmMs.toFixed(0)} ms wall |`,
    `| in-thread: decode a 1-MP JPEG / analyse it (10) | median ${median(decodeMs).toFixed(0)} / ${median(analyseMs).toFixed(0)} ms wall (an in-thread analysis would hold the event loop that long); CPU min ${min(decodeCpu).toFixed(0)} / ${min(analyseCpu).toFixed(0)}, median ${median(decodeCpu).toFixed(0)} / ${median(analyseCpu).toFixed(0)} ms |`,
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
