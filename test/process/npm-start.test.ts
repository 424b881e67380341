import { it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { request, site, startServer } from './server.js';

/**
 * `npm start` is also what a container runtime or supervisor may run, and it sends SIGTERM
 * to that first process: npm, not the server. npm forwards the signal to its child, which
 * must be the server itself (the script `exec`s node; before, `sh` and tsx's CLI sat in
 * between, died, and left the server serving as an orphan). Linux: reads /proc.
 */
const place = site();
after(() => place.cleanup());

/** Live children of `pid`, with their command lines. */
function childrenOf(pid: number): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) out.push({ pid: Number(name), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ') });
    } catch {
      // ended while we looked
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('SIGTERM to `npm start` stops the server too (no orphan), and it exits cleanly', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const npm = await startServer(place, ['npm', 'start', '--silent']);
  assert.equal((await request(npm.base, 'GET', '/health')).status, 200);
  // The server is npm's direct child: no shell or tsx CLI process in between.
  const children = childrenOf(npm.child.pid!);
  assert.equal(children.length, 1, JSON.stringify(children));
  assert.match(children[0]!.cmd, /src\/main\.ts/);
  const server = children[0]!.pid;

  npm.child.kill('SIGTERM');
  assert.equal(await npm.exited, 0, npm.lines.slice(-10).join('\n'));
  // npm waits for its child before exiting: the server must already be gone.
  assert.equal(alive(server), false, `server ${server} outlived npm`);
  assert.ok(
    npm.lines.some((line) => line.includes('"msg":"shut down"')),
    'the server ran its shutdown',
  );
});
