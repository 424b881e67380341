import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { login, PASSWORD as password, register, request, productionServer } from './server.js';

/**
 * The production entry (`npm run build`, then `node dist/main.js`) as a real process, on
 * PGlite under `npm test` and on PostgreSQL + Redis under `npm run test:services`: SIGTERM
 * under keep-alive load exits 0 within 2 s, answers every request it had begun (with
 * `Connection: close`), closes WebSockets and serves nothing after (issue 12, item 2).
 */
const production = productionServer({ before, after });

describe('shutdown: SIGTERM under keep-alive load', () => {
  it('exits 0 within 2 s, answers what it had begun with Connection: close, closes sockets, accepts nothing after', async () => {
    const server = await production.start();
    const { base } = server;
    const port = Number(new URL(base).port);
    const { email } = await register(base, 'patient');
    const user = await login(base, email, password);

    // A chat socket, open and authenticated before the signal.
    const socket = new WebSocket(`${base.replace('http', 'ws')}/api/v1/ws?token=${user.token}`);
    const socketClosed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });

    // Requests the server has begun: headers and half of the body sent before SIGTERM; the
    // rest follows once shutdown has started. Raw sockets, so nothing retries behind our back.
    const begun = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const body = JSON.stringify({
          email: `inflight-${i}-${randomBytes(4).toString('hex')}@process.test`,
          password,
          full_name: 'In flight',
          role: 'patient',
        });
        const conn = net.connect(port, '127.0.0.1');
        await new Promise<void>((resolve) => conn.once('connect', () => resolve()));
        let raw = '';
        conn.on('data', (chunk: Buffer) => (raw += chunk.toString()));
        const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()));
        conn.write(
          `POST /api/v1/auth/register HTTP/1.1\r\nHost: ${new URL(base).host}\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
        );
        conn.write(body.slice(0, 10));
        return { conn, rest: body.slice(10), closed, reply: () => raw };
      }),
    );

    // Keep-alive load: 12 connections, each a loop of requests, until the server is gone.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 12 });
    let draining = false;
    let responses = 0;
    let loadReady!: () => void;
    const loaded = new Promise<void>((resolve) => (loadReady = resolve));
    const afterDrain: { status: number | string }[] = [];
    const unexpected: string[] = [];
    const worker = async () => {
      for (;;) {
        const sentAfterDrain = draining;
        try {
          const res = await request(base, 'GET', '/api/v1/auth/me', { token: user.token, agent });
          responses += 1;
          if (responses >= 100) loadReady();
          if (sentAfterDrain) afterDrain.push({ status: res.status });
          if (res.status !== 200 && res.status !== 503) unexpected.push(`status ${res.status}`);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? String(err);
          if (sentAfterDrain) afterDrain.push({ status: code });
          // A kept-alive socket the server closes between two requests, or a refused connect once it stopped listening.
          if (!['ECONNRESET', 'ECONNREFUSED', 'EPIPE'].includes(code)) unexpected.push(code);
          if (code === 'ECONNREFUSED') return;
        }
      }
    };
    const workers = Array.from({ length: 12 }, worker);
    await loaded;

    const signalledAt = performance.now();
    server.child.kill('SIGTERM');
    await server.waitForLine(/draining/);
    draining = true;
    for (const r of begun) r.conn.write(r.rest);

    const code = await server.exited;
    const elapsedMs = performance.now() - signalledAt;
    await Promise.all(workers);
    agent.destroy();

    assert.equal(code, 0, server.lines.slice(-20).join('\n'));
    assert.ok(elapsedMs < 2000, `exit took ${Math.round(elapsedMs)} ms`);
    for (const r of begun) {
      await r.closed; // the server closed the connection after its reply
      const reply = r.reply();
      assert.match(reply, /^HTTP\/1\.1 201 /, reply);
      assert.match(reply, /\r\nconnection: close\r\n/i, reply);
    }
    assert.equal(await socketClosed, 1001); // going away: chat tells clients to reconnect (docs/REALTIME.md)
    assert.deepEqual(unexpected, []);
    assert.deepEqual(
      afterDrain.filter((r) => typeof r.status === 'number' && r.status < 300),
      [],
      'a request sent after shutdown began was served',
    );
  });
});
