/**
 * Real-time benchmarks (issue 6), loopback only, bounded loops:
 *   1. fan-out: one message to 1,000 sockets in one room — latency from send to the LAST receipt;
 *   2. idle: 10,000 authenticated idle sockets — server RSS;
 *   3. two instances through Redis: added latency of a cross-instance delivery
 *      (needs DATABASE_URL and REDIS_URL; skipped otherwise).
 * The server runs in a child process (bench/chat-server.ts); clients run here.
 *   npx tsx bench/chat-fanout.ts [fanout] [idle] [redis]     (env FANOUT=1000 IDLE=10000 MESSAGES=50)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import WebSocket from 'ws';
import pg from 'pg';

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);

interface Server {
  child: ChildProcess;
  lines: Interface;
  info: { port: number; database: string; redis: boolean; tokens?: string[]; roomId?: string };
}

async function startServer(env: Record<string, string | undefined>): Promise<Server> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/chat-server.ts'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<Server['info']>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`chat server exited with ${code}`)));
    lines.once('line', (line) => resolve(JSON.parse(line)));
  });
  return { child, lines, info };
}

async function ask(server: Server, command: string): Promise<any> {
  const reply = new Promise((resolve) => server.lines.once('line', (line) => resolve(JSON.parse(line))));
  server.child.stdin!.write(command + '\n');
  return reply;
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise<void>((resolve) => server.child.once('exit', () => resolve()));
  server.child.stdin!.write('exit\n');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000)).then(() => server.child.kill('SIGKILL'))]);
}

/** Opens a socket with a query token and resolves on its `ready` frame. */
function connect(port: number, token: string, onFrame?: (frame: any, raw: string) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws?token=${token}`, { perMessageDeflate: false });
    let ready = false;
    ws.on('message', (data) => {
      const raw = String(data);
      if (!ready) {
        if (raw.startsWith('{"type":"ready"')) {
          ready = true;
          resolve(ws);
        }
        return;
      }
      onFrame?.(null, raw);
    });
    ws.once('error', reject);
    ws.once('close', (code) => !ready && reject(new Error(`closed ${code}`)));
  });
}

async function connectMany(port: number, tokens: string[], concurrency: number, onFrame?: (i: number, raw: string) => void): Promise<WebSocket[]> {
  const sockets: WebSocket[] = new Array(tokens.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tokens.length) {
        const i = next++;
        sockets[i] = await connect(port, tokens[i]!, onFrame ? (_f, raw) => onFrame(i, raw) : undefined);
      }
    }),
  );
  return sockets;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
/** Senders stay under the per-socket flood limit (30 frames/s sustained), like a real client. */
const pace = () => new Promise((r) => setTimeout(r, 40));
const ms = (v: number) => `${v.toFixed(1)} ms`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB; node ${process.version}`);
const dbEnv = process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {};

if (want('fanout')) {
  const recipients = Number(process.env.FANOUT ?? 1000);
  const messages = Number(process.env.MESSAGES ?? 50);
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const server = await startServer({
    ...dbEnv,
    ...(process.env.DATABASE_URL ? { DATABASE_SCHEMA: schema } : {}),
    SETUP_USERS: String(recipients + 1),
    REDIS_URL: '',
  });
  const { tokens, roomId, port } = server.info as Required<Server['info']>;
  let pending = 0;
  let done: (() => void) | null = null;
  const seqSeen = new Map<number, number>();
  const sockets = await connectMany(port, tokens.slice(1), 50, (_i, raw) => {
    if (!raw.startsWith('{"type":"chat_message"')) return;
    const seq = JSON.parse(raw).seq as number;
    seqSeen.set(seq, (seqSeen.get(seq) ?? 0) + 1);
    if (--pending === 0) done?.();
  });
  const sender = await connect(port, tokens[0]!);
  const latencies: number[] = [];
  const ackLatencies: number[] = [];
  for (let i = 0; i < messages + 5; i++) {
    pending = recipients;
    const allIn = new Promise<void>((resolve) => (done = resolve));
    const acked = new Promise<void>((resolve) => {
      const onAck = (data: WebSocket.RawData) => {
        if (!String(data).startsWith('{"type":"ack"')) return;
        sender.off('message', onAck);
        resolve();
      };
      sender.on('message', onAck);
    });
    const t0 = performance.now();
    sender.send(JSON.stringify({ type: 'chat_message', room_id: roomId, content: `fan-out message ${i}`, client_msg_id: `b${i}` }));
    await acked;
    const tAck = performance.now();
    await allIn;
    const elapsed = performance.now() - t0;
    if (i >= 5) {
      latencies.push(elapsed); // the first 5 warm up
      ackLatencies.push(tAck - t0);
    }
    await pace();
  }
  const duplicates = [...seqSeen.values()].filter((c) => c !== recipients).length;
  console.log(`\n## fan-out: 1 room, ${recipients} recipient sockets, ${messages} messages (${server.info.database})`);
  console.log(
    `send → last of ${recipients} receipts: p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(Math.max(...latencies))}`,
  );
  console.log(`send → ack (persisted): p50 ${ms(percentile(ackLatencies, 50))}, p99 ${ms(percentile(ackLatencies, 99))}`);
  console.log(`every socket got every message exactly once: ${duplicates === 0 ? 'yes' : `NO (${duplicates} seqs off)`}`);
  for (const s of [...sockets, sender]) s.terminate();
  await stopServer(server);
  if (process.env.DATABASE_URL) await dropSchema(schema);
}

if (want('idle')) {
  const count = Number(process.env.IDLE ?? 10_000);
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const server = await startServer({
    SETUP_USERS: String(count),
    ROOM_SIZE: '2',
    REDIS_URL: '',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL, DATABASE_SCHEMA: schema } : { DATABASE_URL: '' }),
  });
  const before = await ask(server, 'rss');
  const t0 = performance.now();
  const sockets = await connectMany(server.info.port, server.info.tokens!, 100);
  const connectSeconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 2000));
  const after = await ask(server, 'rss');
  console.log(`\n## idle: ${count} authenticated sockets, ${count / 2} two-person rooms (${server.info.database}, in-process pub/sub)`);
  console.log(`connected + authenticated in ${connectSeconds.toFixed(1)} s (${Math.round(count / connectSeconds)}/s, 100 at a time)`);
  console.log(
    `server RSS: ${mib(before.rss)} before, ${mib(after.rss)} with ${count} sockets → ${((after.rss - before.rss) / count / 1024).toFixed(1)} KiB per socket (heap ${mib(after.heap)})`,
  );
  for (const s of sockets) s.terminate();
  await stopServer(server);
  if (process.env.DATABASE_URL) await dropSchema(schema);
}

if (want('redis')) {
  if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
    console.log('\n## two instances through Redis: skipped (set DATABASE_URL and REDIS_URL)');
  } else {
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const shared = {
      DATABASE_URL: process.env.DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: `bench:${schema}:`,
      JWT_SECRET: randomBytes(32).toString('hex'),
    };
    const a = await startServer({ ...shared, SETUP_USERS: '3' });
    const b = await startServer({ ...shared });
    const { tokens, roomId } = a.info as Required<Server['info']>;
    const messages = Number(process.env.MESSAGES ?? 200);
    const measure = async (receiverPort: number) => {
      let resolve: (() => void) | null = null;
      const receiver = await connect(receiverPort, tokens[1]!, (_f, raw) => raw.startsWith('{"type":"chat_message"') && resolve?.());
      const sender = await connect(a.info.port, tokens[0]!);
      const out: number[] = [];
      for (let i = 0; i < messages + 10; i++) {
        const got = new Promise<void>((r) => (resolve = r));
        const t0 = performance.now();
        sender.send(JSON.stringify({ type: 'chat_message', room_id: roomId, content: `hop ${i}` }));
        await got;
        if (i >= 10) out.push(performance.now() - t0);
        await pace();
      }
      receiver.terminate();
      sender.terminate();
      return out;
    };
    const same = await measure(a.info.port);
    const cross = await measure(b.info.port);
    console.log(`\n## two instances, one PostgreSQL + Redis, ${messages} messages sender → 1 receiver`);
    console.log(`receiver on the same instance:  p50 ${ms(percentile(same, 50))}, p99 ${ms(percentile(same, 99))}`);
    console.log(`receiver on the other instance: p50 ${ms(percentile(cross, 50))}, p99 ${ms(percentile(cross, 99))}`);
    console.log(
      `added by the cross-instance hop: p50 ${ms(percentile(cross, 50) - percentile(same, 50))}, p99 ${ms(percentile(cross, 99) - percentile(same, 99))}`,
    );
    await stopServer(b);
    await stopServer(a);
    await dropSchema(schema);
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
}
process.exit(0);
