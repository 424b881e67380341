/**
 * Reminder delivery cost on PGlite, in-process (issue 13: why one embedded process falls behind
 * in the chaos run). `npx tsx bench/reminders.ts [N]` (default 100).
 *
 * N appointments are booked through scheduling's service with a 20 s reminder offset (reminders
 * by email only, like the chaos run), the worker is started once they are all due, and the
 * backlog is drained into a real SMTP capture. Prints the statements PGlite ran per
 * appointment (a reminder job and its two email jobs), this process's CPU and the wall time.
 * On PGlite every statement waits its turn on the one session, so statements are the cost.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { PGlite } from '@electric-sql/pglite';
import { loadConfig } from '../src/platform/config.js';
import { buildApp } from '../src/app.js';
import { SmtpCapture } from '../src/modules/notifications/testing.js';

const N = Number(process.argv[2] ?? 100);
const counter = { n: 0, ms: 0 };
const query = PGlite.prototype.query;
PGlite.prototype.query = async function (this: PGlite, ...args: Parameters<PGlite['query']>) {
  const t = performance.now();
  try {
    return await query.apply(this, args);
  } finally {
    counter.n++;
    counter.ms += performance.now() - t;
  }
} as PGlite['query'];

const smtp = await SmtpCapture.start();
const dataDir = mkdtempSync(join(tmpdir(), 'carebridge-bench-reminders-'));
const config = loadConfig({
  ...process.env,
  DATA_DIR: dataDir,
  DATABASE_URL: '',
  NODE_ENV: 'production',
  LOG_LEVEL: 'error',
  SEED_DEMO: 'false',
  SMTP_URL: smtp.url,
  PUBLIC_BASE_URL: 'https://portal.bench.test',
  REMINDER_OFFSETS_SECONDS: '20',
  JOBS_POLL_MS: '100',
  JOBS_CONCURRENCY: '32',
  JOBS_LEASE_SECONDS: '5',
});
const built = await buildApp(config);
const db = built.ctx.db;
try {
  const users = async (role: string, n: number) =>
    (
      await sql<{ id: string }>`insert into users (email, password_hash, full_name, role, status, approved_at)
        select ${role} || g || '@bench.test', 'not-a-login', ${role} || ' ' || g, ${role}, 'active', now() from generate_series(1, ${n}) g returning id`.execute(
        db,
      )
    ).rows;
  const doctors = await users('doctor', 20);
  const patients = await users('patient', Math.max(20, Math.ceil(N / 20)));
  const channels = JSON.stringify({
    appointment_booked: { in_app: false, email: false, push: false },
    appointment_reminder: { in_app: false, email: true, push: false },
  });
  await sql`insert into notification_preferences (user_id, channels) select id, ${channels}::jsonb from users`.execute(db);
  // Slots far enough ahead that no reminder is due while booking (up to 0.4 s a booking).
  const base = Date.now() + 25_000 + N * 400;
  for (let i = 0; i < N; i++) {
    const id = randomUUID();
    const start = base + i * 10;
    await sql`insert into slots (id, doctor_id, start_at, end_at)
      values (${id}, ${doctors[i % doctors.length]!.id}, ${new Date(start).toISOString()}::timestamptz, ${new Date(start + 10).toISOString()}::timestamptz)`.execute(
      db,
    );
    const actor = { id: patients[i % patients.length]!.id, role: 'patient', status: 'active', sessionId: randomUUID() } as const;
    await built.ctx.services.scheduling.appointments.book(actor as never, { slot_id: id } as never);
  }
  while (Date.now() < base + (N - 1) * 10 - 20_000) await new Promise((r) => setTimeout(r, 20));
  const cpu0 = process.cpuUsage();
  const [n0, ms0, t0] = [counter.n, counter.ms, Date.now()];
  built.ctx.services.notifications.jobs.start();
  while (smtp.received.length < 2 * N) await new Promise((r) => setTimeout(r, 20));
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      appointments: N,
      emails: smtp.received.length,
      statementsPerAppointment: Math.round(((counter.n - n0) / N) * 100) / 100,
      pgliteMs: Math.round(counter.ms - ms0),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      wallMs: Date.now() - t0,
    }),
  );
} finally {
  await built.close();
  await smtp.close();
  rmSync(dataDir, { recursive: true, force: true });
}
