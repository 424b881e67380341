import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AnalysisInput, AnalysisOutcome } from './analyse.js';

interface Slot {
  worker: Worker;
  job: Job | null;
  /** Resolves when the worker has loaded the analyser and listens (its `ready` message). */
  ready: Promise<void>;
}

interface Job {
  id: number;
  input: AnalysisInput;
  resolve: (outcome: AnalysisOutcome) => void;
  reject: (err: Error) => void;
}

/**
 * A fixed pool of worker threads for the analyser (issue 16 item 7): the pixel work (about a
 * hundred milliseconds of JavaScript per image) never runs on the event loop, so requests keep
 * being served while up to `size` analyses run and the rest queue. Workers start on the first
 * job, are unref'd (they never keep the process alive) and are replaced if one dies.
 */
export class AnalysisPool {
  private readonly workers: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  /** Default: one worker per core, at least 2 (so one slow photo never holds up the next), at most 4 (memory). */
  constructor(private readonly size = Math.min(4, Math.max(2, availableParallelism()))) {}

  run(input: AnalysisInput): Promise<AnalysisOutcome> {
    if (this.closed) return Promise.reject(new Error('The analysis pool is closed.'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, input, resolve, reject });
      this.pump();
    });
  }

  /**
   * Starts every worker now and resolves when each has loaded the analyser, so the first photo
   * after start-up does not pay for spawning threads and loading (under tsx: compiling) the code
   * — about a second at rest, several under load (bench/derma.ts). Idempotent.
   */
  async warm(): Promise<void> {
    if (this.closed) return;
    while (this.workers.length < this.size) this.spawn();
    await Promise.all(this.workers.map((w) => w.ready.catch(() => undefined)));
  }

  /** Jobs waiting or running (for tests and metrics). */
  get pending(): number {
    return this.queue.length + this.workers.filter((w) => w.job).length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('The analysis pool is closed.'));
    await Promise.all(this.workers.splice(0).map((w) => w.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length) {
      let slot = this.workers.find((w) => !w.job);
      if (!slot && this.workers.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.postMessage({ id: job.id, input: job.input }, [job.input.rgb.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Slot {
    // Under tsx (tests, npm start) this file is .ts and so is the worker; built, both are .js.
    // A worker thread does not inherit tsx's loader, so under tsx it registers it first.
    const worker = import.meta.url.endsWith('.ts')
      ? new Worker(
          `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(new URL('./worker.ts', import.meta.url).href)}); });`,
          { eval: true },
        )
      : new Worker(new URL('./worker.js', import.meta.url));
    worker.unref();
    let ready!: () => void;
    let failed!: (err: Error) => void;
    const slot: Slot = { worker, job: null, ready: new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject))) };
    slot.ready.catch(() => undefined);
    worker.on('message', (message: { id: number; result?: AnalysisOutcome; error?: string; ready?: true }) => {
      if (message.ready) return ready();
      const job = slot.job;
      slot.job = null;
      if (job && job.id === message.id) {
        if (message.error !== undefined) job.reject(new Error(`Image analysis failed: ${message.error}`));
        else job.resolve(message.result!);
      }
      this.pump();
    });
    let online = false;
    worker.once('online', () => (online = true));
    const lost = (err: Error) => {
      failed(err);
      const index = this.workers.indexOf(slot);
      if (index < 0) return; // 'error' is followed by 'exit'
      this.workers.splice(index, 1);
      slot.job?.reject(err);
      slot.job = null;
      if (this.closed) return;
      // A worker that could not even start would fail again: fail the queue instead of respawning.
      if (!online) for (const job of this.queue.splice(0)) job.reject(err);
      else this.pump();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`The analysis worker stopped (exit code ${code}).`)));
    this.workers.push(slot);
    return slot;
  }
}
