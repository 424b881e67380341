#!/usr/bin/env node
// Measures what a server costs to run: time from spawn to a 200 on /health, then resident
// memory (VmRSS) and its high-water mark (VmHWM) of every process in the process group
// after it has sat idle — so an npm or tsx wrapper is counted, not hidden.
//
//   node scripts/footprint.mjs [--idle=5] [--port=8790] [--load=SECONDS] -- <command …>
//   e.g. DATA_DIR=/tmp/fp node scripts/footprint.mjs -- node dist/main.js
//
// --load=N then drives N seconds of keep-alive load (autocannon, 50 connections, the public
// doctor directory and /openapi.json) and reports the peak again.
// The command's environment is ours plus PORT; prints one JSON line. Figures in
// docs/BENCHMARKS.md ("Footprint").
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const argv = process.argv.slice(2);
const split = argv.indexOf('--');
if (split < 0 || split === argv.length - 1) {
  console.error('usage: node scripts/footprint.mjs [--idle=SECONDS] [--port=PORT] -- <command …>');
  process.exit(2);
}
const opts = Object.fromEntries(argv.slice(0, split).map((a) => a.replace(/^--/, '').split('=')));
const idleSeconds = Number(opts.idle ?? 5);
const port = Number(opts.port ?? 8790);
const [cmd, ...args] = argv.slice(split + 1);

function kib(status, field) {
  const m = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : 0;
}

/** Every live process whose process group is `pgid`, with its memory. */
function group(pgid) {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      out.push({
        pid: Number(name),
        cmd: cmdline.slice(0, 80),
        rss_mb: Math.round(kib(status, 'VmRSS') / 1024),
        peak_mb: Math.round(kib(status, 'VmHWM') / 1024),
      });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

const started = process.hrtime.bigint();
const child = spawn(cmd, args, { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
let exited = false;
child.on('exit', () => {
  exited = true;
});
/** CPU time (user + system) the group has used so far, in ms: start-up cost on a busy machine, where wall time mostly measures the neighbours. */
function cpuMs(pgid) {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended while we looked
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

let readyMs = null;
let readyCpuMs = null;
while (!exited) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    if (res.ok) {
      readyMs = Number(process.hrtime.bigint() - started) / 1e6;
      readyCpuMs = cpuMs(child.pid);
      break;
    }
  } catch {
    // not listening yet
  }
  await sleep(25);
}
if (readyMs === null) {
  console.error('the server exited before answering /health');
  process.exit(1);
}
await sleep(idleSeconds * 1000);
const processes = group(child.pid);
const total = processes.reduce((sum, p) => sum + p.rss_mb, 0);
let underLoad;
if (opts.load) {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 50,
    duration: Number(opts.load),
    requests: [{ path: '/api/v1/doctors?limit=20' }, { path: '/openapi.json' }],
  });
  underLoad = { seconds: Number(opts.load), requests_per_s: Math.round(result.requests.average), non_2xx: result.non2xx, processes: group(child.pid) };
}
console.log(
  JSON.stringify({
    command: [cmd, ...args].join(' '),
    ready_ms: Math.round(readyMs),
    ready_cpu_ms: readyCpuMs,
    load_average: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
    idle_seconds: idleSeconds,
    total_rss_mb: total,
    processes,
    under_load: underLoad,
  }),
);
process.kill(-child.pid, 'SIGTERM');
