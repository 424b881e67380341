import { DateTime } from 'luxon';
import { sql } from 'kysely';
import type { AppContext } from '../../platform/context.js';
import { DEMO_ACCOUNTS } from '../identity/index.js';
import { generateRangeSlots, todayIn } from './time.js';
import { ProfilesRepository } from './profiles.repository.js';
import { SlotsRepository } from './slots.repository.js';
import { AppointmentsRepository } from './appointments.repository.js';

const ZONE = 'Europe/Berlin';
const BIOS: Record<string, string> = {
  general_practice: 'Family medicine for all ages; preventive care and chronic disease management.',
  dermatology: 'Skin, hair and nail conditions; teledermatology for rashes and lesions.',
  cardiology: 'Heart rhythm, blood pressure and cardiovascular risk.',
};

/**
 * Demo data: profiles for the demo doctors, free slots for the coming 7 days (weekdays
 * 09:00–17:00 Europe/Berlin, 30 min), one completed past appointment Jane Doe ↔ Dr. Hause
 * (for the clinical-data demo) and one upcoming one. Safe to run on every start.
 */
export async function seedSchedulingDemo(ctx: AppContext): Promise<string[]> {
  const { db } = ctx;
  // Demo rows are written straight through the repositories (scheduling's own tables).
  const repositories = { profiles: new ProfilesRepository(), slots: new SlotsRepository(), appointments: new AppointmentsRepository() };
  const emails = DEMO_ACCOUNTS.map((a) => a.email as string);
  const users = await db.selectFrom('users').select(['id', 'email']).where('email', 'in', emails).execute();
  const idOf = (email: string) => users.find((u) => u.email === email)?.id;
  const today = todayIn(ZONE);
  const inAWeek = DateTime.fromISO(today, { zone: ZONE }).plus({ days: 7 }).toISODate()!;
  let slotCount = 0;
  for (const account of DEMO_ACCOUNTS) {
    if (account.role !== 'doctor') continue;
    const id = idOf(account.email);
    if (!id) continue;
    await repositories.profiles.upsertDoctorProfile(db, id, {
      specialty: account.specialty,
      qualifications: ['MD'],
      bio: BIOS[account.specialty] ?? null,
      languages: ['en', 'de'],
      consultation_fee: 80,
      time_zone: ZONE,
      default_slot_minutes: 30,
      buffer_minutes: 0,
    });
    const slots = generateRangeSlots({
      startDate: today,
      endDate: inAWeek,
      daysOfWeek: [1, 2, 3, 4, 5],
      dayStart: '09:00',
      dayEnd: '17:00',
      slotMinutes: 30,
      breakMinutes: 0,
      breaks: [],
      timeZone: ZONE,
    });
    const created = await repositories.slots.insertMany(
      db,
      id,
      slots.filter((s) => s.start.getTime() > Date.now()),
    );
    slotCount += created.length;
  }

  const jane = idOf('jane@demo.carebridge.local');
  const hause = idOf('dr.house@demo.carebridge.local');
  const lines = [`scheduling: ${slotCount} new demo slots (weekdays 09:00–17:00 ${ZONE}, next 7 days)`];
  if (!jane || !hause) return lines;

  const completed = await db
    .selectFrom('appointments')
    .select('id')
    .where('patient_id', '=', jane)
    .where('doctor_id', '=', hause)
    .where('status', '=', 'completed')
    .executeTakeFirst();
  if (!completed) {
    const start = DateTime.fromISO(today, { zone: ZONE }).minus({ days: 7 }).set({ hour: 10, minute: 0 });
    const id = await db.transaction().execute(async (trx) => {
      const slot = await trx
        .insertInto('slots')
        .values({ doctor_id: hause, start_at: start.toJSDate(), end_at: start.plus({ minutes: 30 }).toJSDate(), status: 'booked', deleted_at: null })
        .returning('id')
        .executeTakeFirstOrThrow();
      const appointment = await trx
        .insertInto('appointments')
        .values({
          slot_id: slot.id,
          doctor_id: hause,
          patient_id: jane,
          start_at: start.toJSDate(),
          end_at: start.plus({ minutes: 30 }).toJSDate(),
          type: 'video',
          status: 'completed',
          reason: 'Persistent cough for two weeks',
          notes: 'Demo: completed consultation',
          cancel_reason: null,
          cancelled_by: null,
          cancelled_at: null,
          booked_by: jane,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return appointment.id;
    });
    lines.push(`scheduling: completed demo appointment ${id} (Jane Doe with Dr. Hause)`);
  }

  const upcoming = await db
    .selectFrom('appointments')
    .select('id')
    .where('patient_id', '=', jane)
    .where('doctor_id', '=', hause)
    .where('status', 'in', ['scheduled', 'confirmed'])
    .where(sql<boolean>`start_at > now()`)
    .executeTakeFirst();
  if (!upcoming) {
    const row = await repositories.appointments.bookEarliest(
      db,
      { doctorId: hause, after: new Date(Date.now() + 24 * 3600_000) },
      { patientId: jane, bookedBy: jane, type: 'video', reason: 'Follow-up on cough' },
    );
    if (row) lines.push(`scheduling: upcoming demo appointment ${row.id} (Jane Doe with Dr. Hause, ${row.start_at.toISOString()})`);
  }
  return lines;
}
