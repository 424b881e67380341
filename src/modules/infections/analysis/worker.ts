import { parentPort } from 'node:worker_threads';
import { analyse, type AnalysisInput } from './analyse.js';

/** Worker-thread entry of the analysis pool (pool.ts): one job at a time, pixels transferred in. */
parentPort?.on('message', (job: { id: number; input: AnalysisInput }) => {
  try {
    const result = analyse(job.input);
    const transfer = result.ok && result.masks ? [result.masks.lesion.buffer, result.masks.hair.buffer, result.masks.rgb.buffer] : [];
    parentPort!.postMessage({ id: job.id, result }, transfer as ArrayBuffer[]);
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: (err as Error).message ?? String(err) });
  }
});

// Loaded (under tsx: compiled) and listening: the pool's warm() waits for this.
parentPort?.postMessage({ ready: true });
