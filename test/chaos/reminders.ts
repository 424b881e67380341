/**
 * Chaos test of reminders (issue 13 item 8; docs/NOTIFICATIONS.md): `npm run chaos`.
 *
 *   npm run chaos -- [--backend=postgres|pglite|both] [--count=N] [--pglite-count=N] [--offset=S] [--instances=3]
 *                    [--kill-every=MIN-MAX]  (seconds between SIGKILLs; 0 = none, to measure the queue alone)
 *
 * PostgreSQL + Redis: N appointments are booked (through scheduling's service, in-process:
 * the reminder jobs are written in the booking's transaction) while `--instances` real
 * servers (`node dist/main.js`) share the database and Redis; their reminders fall due within
 * the next minute; instances are SIGKILLed at random and restarted all along. At the end every
 * reminder (patient and doctor of every appointment) must have reached the SMTP capture
 * exactly once — 0 missing, 0 duplicates — and within 60 s of its due time. PGlite: the same
 * with one process on one data directory, killed and restarted.
 *
 * Users and slots are seeded with SQL (thousands of accounts through the API would take
 * longer than the test); the bookings and everything after them go through the real code.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../../src/platform/config.js';
import { buildApp } from '../../src/app.js';
import type { Actor } from '../../src/platform/access.js';
import { SmtpCapture } from '../../src/modules/notifications/testing.js';
import { buildProduction, startServer, type Running, type Site } from '../process/server.js';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const backend = args.backend ?? 'both';
const offsetSeconds = Number(args.offset ?? 20);
const instances = Number(args.instances ?? 3);
/** Seconds between SIGKILLs, "min-max" (default 2-5 on PostgreSQL, 10-20 on PGlite); "0" kills nothing. */
const killEvery = args['kill-every'] === undefined ? null : args['kill-every'].split('-').map(Number);
const LATENESS_LIMIT_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (min: number, max: number) => min + Math.random() * (max - min);

interface Result {
  backend: string;
  appointments: number;
  expected: number;
  delivered: number;
  missing: number;
  duplicates: number;
  /** The same message (Message-ID) accepted twice: the documented crash window. */
  resent: number;
  kills: number;
  lateMaxMs: number;
  lateP95Ms: number;
  failedJobs: number;
  /** The slowest restart (spawn → listening): lateness includes it. */
  restartMaxMs: number;
  /** CPU the servers spent starting (spawn → listening), and on everything after: the cost of the reminders. */
  serverCpuStartupSeconds: number;
  serverCpuWorkSeconds: number;
  seconds: number;
}

async function run(kind: 'postgres' | 'pglite', count: number, dist: string): Promise<Result> {
  const t0 = Date.now();
  const smtp = await SmtpCapture.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'carebridge-chaos-'));
  const tag = `chaos_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    SMTP_URL: smtp.url,
    PUBLIC_BASE_URL: 'https://portal.chaos.test',
    REMINDER_OFFSETS_SECONDS: String(offsetSeconds),
    JOBS_POLL_MS: '100',
    JOBS_LEASE_SECONDS: '5',
    JOBS_BACKOFF_BASE_MS: '500',
    JOBS_CONCURRENCY: '32',
  };
  if (kind === 'postgres') {
    env.DATABASE_URL = process.env.CHAOS_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    env.DATABASE_SCHEMA = tag;
    env.REDIS_URL = process.env.CHAOS_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    env.REDIS_PREFIX = `carebridge-chaos:${tag}:`;
  }
  const site: Site = { dataDir, env, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };

  // The driver's own instance: migrations, seed, bookings. It never starts the job worker.
  const config = loadConfig({ ...process.env, ...env, LOG_LEVEL: 'error' });
  let driver = await buildApp(config);
  const db = driver.ctx.db;
  const doctors = 20;
  const patients = Math.max(20, Math.ceil(count / 20));
  const userIds = async (role: string, n: number) => {
    const { rows } = await sql<{ id: string; email: string }>`
      insert into users (email, password_hash, full_name, role, status, approved_at)
      select ${role} || '-' || g || '-' || ${tag} || '@chaos.test', 'not-a-login', initcap(${role}) || ' ' || g, ${role}, 'active', now()
      from generate_series(1, ${n}) g returning id, email`.execute(db);
    return rows;
  };
  const doctorRows = await userIds('doctor', doctors);
  const patientRows = await userIds('patient', patients);
  // Only reminders by email: booking confirmations and in-app rows off, so the capture holds reminders.
  const channels = JSON.stringify({
    appointment_booked: { in_app: false, email: false, push: false },
    appointment_reminder: { in_app: false, email: true, push: false },
  });
  await sql`insert into notification_preferences (user_id, channels) select id, ${channels}::jsonb from users where email like ${'%' + tag + '@chaos.test'}`.execute(
    db,
  );

  const servers: (Running | null)[] = [];
  // CPU seconds of the servers (Linux /proc): start-up (spawn → listening) and the rest.
  const cpu = { startup: 0, total: 0 };
  const start = async (i: number) => {
    // CHAOS_NODE_ARGS: extra Node options for the servers (e.g. `--cpu-prof --cpu-prof-dir=...`).
    servers[i] = await startServer(site, [process.execPath, ...(process.env.CHAOS_NODE_ARGS ?? '').split(' ').filter(Boolean), join(dist, 'main.js')]);
    cpu.startup += cpuSeconds(servers[i]!.child.pid);
  };
  if (kind === 'postgres') await Promise.all(Array.from({ length: instances }, (_, i) => start(i)));

  // One slot per appointment, back to back (so no doctor or patient overlaps), starting after
  // the bookings and the servers' start-up have had time: reminders fall due from then on.
  const margin = kind === 'postgres' ? Math.max(10_000, count * 5) : Math.max(25_000, count * 60);
  const spreadMs = 30_000;
  const step = Math.max(10, Math.floor(spreadMs / count));
  const base = Date.now() + offsetSeconds * 1000 + margin;
  const slots: { id: string; doctor: string; patient: string; start: number; appointment?: string }[] = [];
  for (let i = 0; i < count; i++) {
    const start = base + i * step;
    slots.push({ id: randomUUID(), doctor: doctorRows[i % doctors]!.id, patient: patientRows[i % patients]!.id, start });
  }

  // Book, in start order, a few at a time: reminder jobs are written in each booking's transaction.
  let kills = 0;
  const events: { at: number; what: string }[] = [];
  let chaos = true;
  let chaosLoop: Promise<void> = Promise.resolve();
  const restarts: Promise<void>[] = [];
  const startups: number[] = [];
  const chaos$ = async () => {
    while (chaos) {
      // PostgreSQL: the other instances carry on, so kills come often. PGlite: the one process
      // gets 10–20 s of life after each restart (its start-up, recovery included, takes seconds).
      const [min, max] = killEvery ?? (kind === 'postgres' ? [2, 5] : [10, 20]);
      if (!min) {
        await sleep(250);
        continue;
      }
      await sleep(rand(min * 1000, (max ?? min) * 1000));
      if (!chaos) break;
      const i = Math.floor(Math.random() * servers.length);
      const victim = servers[i];
      if (!victim) continue;
      servers[i] = null;
      cpu.total += cpuSeconds(victim.child.pid);
      victim.child.kill('SIGKILL');
      await victim.exited;
      kills++;
      events.push({ at: Date.now(), what: `kill ${i}` });
      // Restart in the background: the next kill may hit another instance meanwhile.
      const restart = (async () => {
        await sleep(rand(300, 2000));
        const t = Date.now();
        await start(i);
        startups.push(Date.now() - t);
        events.push({ at: Date.now(), what: `up ${i} (${((Date.now() - t) / 1000).toFixed(1)} s)` });
      })();
      restarts.push(restart);
      if (kind === 'pglite') await restart;
    }
  };
  // PostgreSQL: the chaos starts with the bookings (reminders fall due while they go on).
  if (kind === 'postgres') chaosLoop = chaos$();
  const appointments = driver.ctx.services.scheduling.appointments;
  let next = 0;
  let lastStart = 0;
  const parallel = kind === 'postgres' ? 8 : 1;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < slots.length) {
        const slot = slots[next++]!;
        // Never a reminder already due at booking (it would be skipped as past): a booking
        // that comes later than planned (a loaded machine) moves its slot later, keeping the
        // slots back to back so no doctor or patient overlaps.
        slot.start = Math.max(slot.start, Date.now() + offsetSeconds * 1000 + 3000, lastStart + step);
        lastStart = slot.start;
        await sql`insert into slots (id, doctor_id, start_at, end_at) values (${slot.id}, ${slot.doctor}, ${new Date(slot.start).toISOString()}::timestamptz, ${new Date(slot.start + step).toISOString()}::timestamptz)`.execute(
          db,
        );
        const actor: Actor = { id: slot.patient, role: 'patient', status: 'active', sessionId: randomUUID() };
        slot.appointment = (await appointments.book(actor, { slot_id: slot.id } as never)).id;
      }
    }),
  );
  const reminderJobs = Number((await sql<{ n: number }>`select count(*)::int as n from jobs where queue = 'notify.reminder'`.execute(db)).rows[0]!.n);
  await driver.close();
  if (reminderJobs !== count) throw new Error(`setup too slow: ${reminderJobs} reminder jobs for ${count} appointments (raise the margin)`);
  if (kind === 'pglite') {
    await start(0);
    chaosLoop = chaos$();
  }

  // Chaos: SIGKILL a random instance every few seconds, restart it shortly after.
  const lastDue = Math.max(...slots.map((slot) => slot.start)) - offsetSeconds * 1000;
  const firstDue = Math.min(...slots.map((slot) => slot.start)) - offsetSeconds * 1000;
  const expected = count * 2;
  const seen = () => new Set(smtp.received.filter((m) => /Reminder/.test(m.subject)).map((m) => m.messageId)).size;
  const deadline = lastDue + LATENESS_LIMIT_MS + 15_000;
  while (Date.now() < deadline && seen() < expected) await sleep(250);
  chaos = false;
  await chaosLoop;
  await Promise.all(restarts);
  await sleep(3000); // late duplicates, if any, would arrive now

  // Verdict: per (appointment, recipient), how many distinct messages and how late.
  const byAppointment = new Map(slots.map((s) => [s.appointment!, s]));
  const emailOf = new Map([...doctorRows, ...patientRows].map((u) => [u.id, u.email]));
  const logical = new Map<string, Set<string>>();
  const firstAt = new Map<string, number>();
  let resent = 0;
  const ids = new Set<string>();
  for (const m of smtp.received.filter((mail) => /Reminder/.test(mail.subject))) {
    if (ids.has(m.messageId)) resent++;
    ids.add(m.messageId);
    const appointmentId = /\/appointments\/([0-9a-f-]{36})/.exec(m.text)?.[1];
    if (!appointmentId || !byAppointment.has(appointmentId)) continue;
    const key = `${appointmentId}|${m.to.replace(/.*<|>.*/g, '').toLowerCase()}`;
    if (!logical.has(key)) logical.set(key, new Set());
    logical.get(key)!.add(m.messageId);
    if (!firstAt.has(key)) firstAt.set(key, m.receivedAt);
  }
  let missing = 0;
  let duplicates = 0;
  const lateness: number[] = [];
  for (const slot of slots) {
    for (const userId of [slot.patient, slot.doctor]) {
      const key = `${slot.appointment}|${emailOf.get(userId)}`;
      const got = logical.get(key);
      if (!got) missing++;
      else {
        if (got.size > 1) duplicates += got.size - 1;
        lateness.push(firstAt.get(key)! - (slot.start - offsetSeconds * 1000));
      }
    }
  }
  lateness.sort((a, b) => a - b);
  if ('timeline' in args) printTimeline(kind, smtp.received, firstDue, events);
  for (const s of servers) {
    if (!s) continue;
    cpu.total += cpuSeconds(s.child.pid);
    s.child.kill('SIGTERM');
    await s.exited;
  }
  // Failed jobs, read once the servers are down (a PGlite data directory has one owner at a time).
  driver = await buildApp(config);
  const failedJobs = Number((await sql<{ n: number }>`select count(*)::int as n from jobs where state = 'failed'`.execute(driver.ctx.db)).rows[0]!.n);
  await driver.close();
  await smtp.close();
  if (smtp.errors.length) throw new Error(`the SMTP capture failed: ${smtp.errors.map((e) => e.message).join('; ')}`);
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    await client.query(`drop schema if exists ${tag} cascade`);
    await client.end();
  }
  await site.cleanup();
  return {
    backend: kind,
    appointments: count,
    expected,
    delivered: logical.size,
    missing,
    duplicates,
    resent,
    kills,
    lateMaxMs: lateness.at(-1) ?? 0,
    lateP95Ms: lateness[Math.floor(lateness.length * 0.95)] ?? 0,
    failedJobs,
    restartMaxMs: Math.max(0, ...startups),
    serverCpuStartupSeconds: Math.round(cpu.startup * 10) / 10,
    serverCpuWorkSeconds: Math.round((cpu.total - cpu.startup) * 10) / 10,
    seconds: Math.round((Date.now() - t0) / 1000),
  };
}

/** utime + stime of a process in seconds (Linux; 0 where /proc is missing). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** `--timeline`: reminders received per 5 s from the first due time, with the kills and restarts. */
function printTimeline(kind: string, received: { subject: string; receivedAt: number }[], firstDue: number, events: { at: number; what: string }[]) {
  const bucket = (at: number) => Math.floor((at - firstDue) / 5000);
  const counts = new Map<number, number>();
  for (const m of received) if (/Reminder/.test(m.subject)) counts.set(bucket(m.receivedAt), (counts.get(bucket(m.receivedAt)) ?? 0) + 1);
  const all = [...counts.keys(), ...events.map((e) => bucket(e.at))];
  for (let b = Math.min(...all); b <= Math.max(...all); b++) {
    const what = events.filter((e) => bucket(e.at) === b).map((e) => e.what);
    process.stdout.write(`${kind} t=${String(b * 5).padStart(4)} s  ${String(counts.get(b) ?? 0).padStart(5)} sent  ${what.join(', ')}\n`);
  }
}

const dist = buildProduction();
let ok = true;
try {
  for (const kind of backend === 'both' ? (['postgres', 'pglite'] as const) : [backend as 'postgres' | 'pglite']) {
    const count = Number(kind === 'postgres' ? (args.count ?? 300) : (args['pglite-count'] ?? args.count ?? 150));
    const result = await run(kind, count, dist);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const pass = result.missing === 0 && result.duplicates === 0 && result.lateMaxMs <= LATENESS_LIMIT_MS && result.failedJobs === 0;
    process.stdout.write(
      `${pass ? 'PASS' : 'FAIL'} ${kind}: ${result.delivered}/${result.expected} reminders, ${result.missing} missing, ${result.duplicates} duplicate, ${result.resent} resent by the crash window, ${result.kills} SIGKILLs, latest ${(result.lateMaxMs / 1000).toFixed(1)} s after due (p95 ${(result.lateP95Ms / 1000).toFixed(1)} s), ${result.seconds} s\n`,
    );
    ok &&= pass;
  }
} finally {
  rmSync(dist, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
