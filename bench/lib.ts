import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { cpus, totalmem } from 'node:os';
import autocannon from 'autocannon';

export interface Target {
  child: ChildProcess;
  info: { app: number; hello: number; database: string; schema: string };
}

/** Starts bench/server.ts in a child process and waits for its ports. */
export async function startTarget(env: Record<string, string | undefined> = {}): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/server.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<Target['info']>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    lines.once('line', (line) => resolve(JSON.parse(line)));
  });
  return { child, info };
}

export async function stopTarget(target: Target): Promise<void> {
  await new Promise<void>((resolve) => {
    target.child.once('exit', () => resolve());
    target.child.kill('SIGTERM');
  });
}

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  non2xx: number;
  errors: number;
}

export async function load(name: string, options: autocannon.Options): Promise<LoadResult> {
  return loadResult(name, await autocannon({ connections: 50, duration: 10, pipelining: 1, ...options }));
}

/** The figures bench/ reports from one autocannon run. */
export function loadResult(name: string, result: autocannon.Result): LoadResult {
  return {
    name,
    requestsPerSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}`;
}

export function table(results: LoadResult[]): string {
  const rows = results.map(
    (r) => `| ${r.name} | ${r.requestsPerSecond.toLocaleString('en-US')} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.non2xx} | ${r.errors} |`,
  );
  return ['| scenario | req/s | p50 ms | p99 ms | non-2xx | errors |', '|---|---:|---:|---:|---:|---:|', ...rows].join('\n');
}

/**
 * CPU seconds used so far by every `postgres` process on this machine (server + backends), or
 * only by the backends `pids` (the benchmark's own connections: on a machine shared with other
 * work the others' PostgreSQL sessions would count too).
 */
export function postgresCpuSeconds(pids?: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids?.map(String) ?? readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100;
}
