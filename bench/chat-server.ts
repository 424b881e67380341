/**
 * Child process for bench/chat-fanout.ts: one app instance on a random loopback port.
 * With SETUP_USERS=n it creates n users (direct inserts: a user, a live session, a signed
 * access token) and one care-team room holding all of them, and prints them as JSON.
 * Answers "rss" on stdin with its resident set size.
 */
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/platform/config.js';
import { buildApp } from '../src/app.js';

const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent' }, { embeddedDatabase: 'memory', rateLimitApiPerMin: 100_000_000 });
const built = await buildApp(config);
await built.app.listen({ port: 0, host: '127.0.0.1' });
const address = built.app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const { db } = built.ctx;

let setup: { tokens: string[]; roomId: string } | null = null;
const n = Number(process.env.SETUP_USERS ?? 0);
if (n > 0) {
  const tokens: string[] = [];
  const tag = Date.now().toString(36);
  const userIds: string[] = [];
  for (let i = 0; i < n; i += 500) {
    const rows = await db
      .insertInto('users')
      .values(
        Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
          email: `bench-${tag}-${i + j}@example.test`,
          username: null,
          password_hash: 'x',
          full_name: `Bench ${i + j}`,
          phone: null,
          role: 'nurse' as const,
          status: 'active' as const,
          approved_at: new Date(),
          approved_by: null,
          deleted_at: null,
        })),
      )
      .returning('id')
      .execute();
    const sessions = await db
      .insertInto('auth_sessions')
      .values(
        rows.map((r) => ({
          user_id: r.id,
          expires_at: new Date(Date.now() + 86400_000),
          last_refreshed_at: null,
          revoked_at: null,
          revoke_reason: null,
          ip: null,
          user_agent: null,
        })),
      )
      .returning(['id', 'user_id'])
      .execute();
    for (const s of sessions) {
      userIds.push(s.user_id);
      tokens.push(built.ctx.tokens.sign({ sub: s.user_id, sid: s.id, role: 'nurse' }));
    }
  }
  // ROOM_SIZE: everyone in one room (fan-out), or rooms of k people (idle: a realistic pair per room).
  const size = Number(process.env.ROOM_SIZE ?? n);
  let firstRoom = '';
  for (let start = 0; start < userIds.length; start += size) {
    const members = userIds.slice(start, start + size);
    const room = await db
      .insertInto('chat_rooms')
      .values({ kind: 'care_team', title: 'bench', direct_key: null, created_by: members[0]!, last_message_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    firstRoom ||= room.id;
    for (let i = 0; i < members.length; i += 1000) {
      await db
        .insertInto('chat_participants')
        .values(members.slice(i, i + 1000).map((user_id) => ({ room_id: room.id, user_id, left_at: null })))
        .execute();
    }
  }
  setup = { tokens, roomId: firstRoom };
}
console.log(JSON.stringify({ port, database: built.ctx.database.kind, redis: Boolean(config.redisUrl), ...setup }));
createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'rss') {
    global.gc?.();
    console.log(JSON.stringify({ rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed }));
  }
  if (line === 'exit') {
    await built.close();
    process.exit(0);
  }
});
