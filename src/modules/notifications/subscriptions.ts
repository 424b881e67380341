import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db, Executor, Tx } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { CareRelationships } from '../../platform/access.js';
import { cancelJobs, enqueueJob, PermanentJobError, type BatchJob, type JobQueue } from '../../platform/jobs/index.js';
import type { Notifier, NotifyInput, UserLookup, UsersLookup } from './notifications.service.js';
import type { NotificationType } from './templates.js';

/** The appointment fields the `appointment.*` events carry (scheduling's AppointmentEvent). */
interface AppointmentEventLike {
  appointmentId: string;
  doctorId: string;
  patientId: string;
  start: string;
  status: string;
  previous?: { start: string };
  to?: string;
}

export interface SubscriptionDeps {
  db: Db;
  events: EventBus;
  care: CareRelationships;
  notifier: Notifier;
  users: UserLookup;
  /** Several users in one read (a batch of reminders). */
  usersMany: UsersLookup;
  /** Active doctors, for "every clinician with a care relationship" (identity's list). */
  activeDoctors: (db: Executor) => Promise<string[]>;
  /** Scheduling's read of one appointment (null when it no longer exists). */
  appointmentOfPatient: (
    db: Executor,
    appointmentId: string,
    patientId: string,
  ) => Promise<{ id: string; doctor_id: string; start_at: Date; status: string } | null>;
  /** Chat: a room's participants and who is connected (chat's public services). */
  chat: {
    participantsOf(roomId: string): Promise<{ userId: string; fullName: string }[]>;
    presence(userIds: string[]): Promise<Map<string, string>>;
  };
  /** Seconds before the start at which reminders go out (24 h and 1 h by default). */
  reminderOffsetsSeconds: number[];
  log: FastifyBaseLogger;
}

/** Scheduling's `waitlist.offered` (its WaitlistOffer). */
interface WaitlistOfferEvent {
  offerId: string;
  patientId: string;
  slotId: string;
  doctorId: string;
  start: string;
  end: string;
}

/** Chat's `chat.message_sent` (the fields this area reads). */
interface ChatMessageEvent {
  roomId: string;
  messageId: string;
  senderId: string | null;
}

export const REMINDER_QUEUE = 'notify.reminder';
/** Decides, right after a chat message's commit, which participants are offline and notifies them. */
const CHAT_QUEUE = 'notify.chat';
/** Chat messages to an offline recipient are batched: one notification per room per 10 minutes. */
export const CHAT_BATCH_MS = 10 * 60_000;
const ACTIVE = new Set(['scheduled', 'confirmed']);

export const reminderKey = (appointmentId: string, offsetSeconds: number) => `reminder|${appointmentId}|${offsetSeconds}`;

/**
 * Domain events → notifications (docs/NOTIFICATIONS.md, "Events"). Appointment events are
 * handled *inside* scheduling's transaction (EventBus.subscribeInTransaction): the in-app
 * rows, the delivery jobs and the reminder jobs commit or roll back with the booking,
 * reschedule or cancellation itself. Other events arrive after their publisher's commit.
 */
export function subscribe(deps: SubscriptionDeps): void {
  const { events, notifier } = deps;

  const name = async (db: Executor, userId: string) => (await deps.users(db, userId))?.full_name ?? '';
  const bothParties = async (trx: Tx, e: AppointmentEventLike, type: NotificationType, key: string, extra: Record<string, unknown> = {}) => {
    const [patientName, doctorName] = await Promise.all([name(trx, e.patientId), name(trx, e.doctorId)]);
    const common = { appointment_id: e.appointmentId, start: e.start, ...extra };
    await notifier.notify(trx, { type, userId: e.patientId, eventKey: key, data: { ...common, other_party_name: doctorName } });
    await notifier.notify(trx, { type, userId: e.doctorId, eventKey: key, data: { ...common, other_party_name: patientName } });
  };

  /** Reminder jobs at start − offset; one job per offset, keyed so a reschedule moves it in place. */
  const scheduleReminders = async (trx: Tx, e: AppointmentEventLike) => {
    const start = Date.parse(e.start);
    const past: string[] = [];
    for (const offset of deps.reminderOffsetsSeconds) {
      const due = new Date(start - offset * 1000);
      const key = reminderKey(e.appointmentId, offset);
      // A reminder whose time has passed is not sent late at booking time (a 24 h reminder
      // for an appointment in 3 hours would arrive all at once with the confirmation).
      if (due.getTime() <= Date.now()) {
        past.push(key);
        continue;
      }
      await enqueueJob(trx, {
        queue: REMINDER_QUEUE,
        key,
        onKey: 'replace',
        runAt: due,
        maxAttempts: 10,
        payload: { appointment_id: e.appointmentId, patient_id: e.patientId, doctor_id: e.doctorId, start: e.start, offset_seconds: offset },
      });
    }
    await cancelJobs(trx, past);
  };
  const cancelReminders = (trx: Tx, appointmentId: string) =>
    cancelJobs(
      trx,
      deps.reminderOffsetsSeconds.map((o) => reminderKey(appointmentId, o)),
    );

  events.subscribeInTransaction<AppointmentEventLike>('appointment.booked', async (trx, e) => {
    await bothParties(trx, e, 'appointment_booked', `appointment|${e.appointmentId}|booked`);
    await scheduleReminders(trx, e);
  });
  events.subscribeInTransaction<AppointmentEventLike>('appointment.rescheduled', async (trx, e) => {
    await bothParties(trx, e, 'appointment_rescheduled', `appointment|${e.appointmentId}|rescheduled|${e.previous?.start}|${e.start}`, {
      previous_start: e.previous?.start,
    });
    await scheduleReminders(trx, e);
  });
  events.subscribeInTransaction<AppointmentEventLike>('appointment.cancelled', async (trx, e) => {
    await cancelReminders(trx, e.appointmentId);
    await bothParties(trx, e, 'appointment_cancelled', `appointment|${e.appointmentId}|cancelled`);
  });
  events.subscribeInTransaction<AppointmentEventLike>('appointment.status_changed', async (trx, e) => {
    if (!ACTIVE.has(e.to ?? e.status)) await cancelReminders(trx, e.appointmentId);
  });

  // Every other event that notifies is handled inside its publisher's transaction too
  // (contract §6): the in-app row and its delivery jobs commit or roll back with the
  // prescription, the lab report, the approval or the waitlist offer, so a crash right after
  // the commit cannot lose the notification, and a rolled-back change notifies nobody.
  events.subscribeInTransaction<{ prescription_id: string; patient_id: string }>('prescription.created', (trx, e) =>
    notifier.notify(trx, {
      type: 'prescription_created',
      userId: e.patient_id,
      eventKey: `prescription|${e.prescription_id}`,
      data: { prescription_id: e.prescription_id },
    }),
  );
  events.subscribeInTransaction<{ report_id: string; patient_id: string; uploaded_by: string; abnormal_count: number; critical_count?: number }>(
    'lab_report.created',
    async (trx, e) => {
      if (!(e.abnormal_count > 0) && !((e.critical_count ?? 0) > 0)) return;
      const data = { report_id: e.report_id };
      await notifier.notify(trx, { type: 'lab_result_abnormal', userId: e.patient_id, eventKey: `lab|${e.report_id}`, data });
      if (e.uploaded_by !== e.patient_id)
        await notifier.notify(trx, { type: 'lab_result_abnormal', userId: e.uploaded_by, eventKey: `lab|${e.report_id}`, data });
    },
  );
  // Scheduling offers a freed slot in the cancelling (or rescheduling) transaction and
  // publishes this event there; the one in-app row (and the email and push) is written here.
  events.subscribeInTransaction<WaitlistOfferEvent>('waitlist.offered', async (trx, e) =>
    notifier.notify(trx, {
      type: 'waitlist_offer',
      userId: e.patientId,
      eventKey: `waitlist|${e.offerId}`,
      data: { slot_id: e.slotId, offer_id: e.offerId, start: e.start, end: e.end, doctor_id: e.doctorId, doctor_name: await name(trx, e.doctorId) },
    }),
  );
  events.subscribeInTransaction<{ userId: string }>('user.approved', (trx, e) =>
    notifier.notify(trx, { type: 'account_approved', userId: e.userId, eventKey: `approved|${e.userId}`, data: {} }),
  );

  // A chat message to someone who is offline (no live socket on any instance): one
  // notification per room and recipient per 10-minute window (the window is in the key, so
  // the first message of the window notifies and the rest of the window adds nothing).
  // Presence is Redis and the participants are chat's reads, neither of which belongs in the
  // message's transaction (which holds the room's lock): the transaction only records a
  // durable job (one INSERT), and the job decides who is offline right after the commit. A
  // crash between the commit and the job therefore delays the notification; it never loses it.
  events.subscribeInTransaction<ChatMessageEvent>('chat.message_sent', async (trx, e) => {
    await enqueueJob(trx, {
      queue: CHAT_QUEUE,
      maxAttempts: 5,
      payload: { room_id: e.roomId, message_id: e.messageId, sender_id: e.senderId, window: Math.floor(Date.now() / CHAT_BATCH_MS) },
    });
  });
  // Emergencies: every doctor with a care relationship to the patient, at once, every channel,
  // whatever their preferences and quiet hours say.
  type EmergencyEvent = { patientId: string; roomId?: string; messageId?: string; sessionId?: string; source?: string };
  const alertCareTeam = async (trx: Executor, e: EmergencyEvent) => {
    // The delivery key makes retries of this event idempotent; it must name the patient and this
    // detection, or one patient's alert would swallow another's in the same minute (review H1). A
    // detection without a message or session id is its own event: two alerts beat a missed one.
    const id = `${e.patientId}|${e.messageId ?? e.sessionId ?? `${e.source ?? 'check'}|${randomUUID()}`}`;
    const patientName = await name(trx, e.patientId);
    const doctors = await deps.activeDoctors(trx);
    const team: string[] = [];
    for (const doctorId of doctors) if (await deps.care.exists(trx, doctorId, e.patientId)) team.push(doctorId);
    for (const doctorId of team) {
      await notifier.notify(trx, {
        type: 'emergency_alert',
        userId: doctorId,
        eventKey: `emergency|${id}`,
        urgent: true,
        data: { patient_id: e.patientId, patient_name: patientName, room_id: e.roomId ?? null },
      });
    }
    return team.length;
  };
  // A chat message that is an emergency publishes in its own transaction: the alerts commit with
  // the message, so a crash right after the commit cannot leave it unalerted.
  events.subscribeInTransaction<EmergencyEvent>('emergency.detected', async (trx, e) => {
    const clinicians = await alertCareTeam(trx, e);
    deps.log.info({ clinicians }, 'emergency alert sent to the care team (in the message transaction)');
  });
  // Other detections (the public check, the interview, the assistant) store nothing of their own:
  // the alerts are committed here, together, before the publisher's request answers
  // (EventBus.publish awaits its subscribers). A chat message's after-commit event lands here too
  // and finds its deliveries already recorded (same key): nothing is sent twice.
  events.subscribe<EmergencyEvent>('emergency.detected', async (e) => {
    const clinicians = await deps.db.transaction().execute((trx) => alertCareTeam(trx, e));
    deps.log.info({ clinicians }, 'emergency alert sent to the care team');
  });
}

/** The offline-chat job (queued in the message's transaction, see `subscribe`). */
export function defineChatNotifications(queue: JobQueue, deps: SubscriptionDeps): void {
  queue.define(CHAT_QUEUE, async (payload) => {
    const roomId = String(payload.room_id);
    const senderId = typeof payload.sender_id === 'string' ? payload.sender_id : null;
    const window = Number(payload.window);
    if (!roomId || !Number.isInteger(window)) throw new PermanentJobError('malformed chat notification job');
    const participants = await deps.chat.participantsOf(roomId);
    const others = participants.filter((p) => p.userId !== senderId);
    if (!others.length) return;
    const status = await deps.chat.presence(others.map((p) => p.userId));
    const sender = participants.find((p) => p.userId === senderId)?.fullName ?? 'Someone';
    const offline = others.filter((p) => (status.get(p.userId) ?? 'offline') === 'offline');
    if (!offline.length) return;
    await deps.db.transaction().execute(async (trx) => {
      for (const recipient of offline)
        await deps.notifier.notify(trx, {
          type: 'chat_message',
          userId: recipient.userId,
          eventKey: `chat|${roomId}|${window}`,
          data: { room_id: roomId, sender_name: sender },
        });
    });
  });
}

/**
 * The reminder job: re-checks the appointment, then notifies both parties (once per version
 * and offset). Reminders fall due in bursts (every appointment of a morning), so the jobs one
 * claim picks up run as a batch: each appointment is re-read, then one transaction notifies
 * every party of the batch (one read of the users, one of their preferences, one INSERT of the
 * email and push jobs). If that transaction fails, each reminder runs again on its own, so one
 * bad reminder neither holds back nor fails the others.
 */
export function defineReminders(queue: JobQueue, deps: SubscriptionDeps): void {
  type Due = { appointmentId: string; patientId: string; doctorId: string; start: string; offset: number };
  /** The appointment as it is now: the reminder to send, null when stale (cancelled or moved). */
  const check = async ({ payload }: BatchJob): Promise<Due | null> => {
    const appointmentId = String(payload.appointment_id);
    const patientId = String(payload.patient_id);
    const start = String(payload.start);
    const appointment = await deps.appointmentOfPatient(deps.db, appointmentId, patientId);
    if (!appointment) throw new PermanentJobError('the appointment no longer exists');
    // Cancelled or moved after this job was claimed: the transaction that did it removed or
    // replaced the job; this stale run sends nothing.
    if (!ACTIVE.has(appointment.status) || appointment.start_at.getTime() !== Date.parse(start)) return null;
    return { appointmentId, patientId, doctorId: appointment.doctor_id, start, offset: Number(payload.offset_seconds) };
  };
  const notifyAll = (due: Due[]) =>
    deps.db.transaction().execute(async (trx) => {
      const users = await deps.usersMany(
        trx,
        due.flatMap((d) => [d.patientId, d.doctorId]),
      );
      const inputs: NotifyInput[] = [];
      for (const d of due) {
        const key = `reminder|${d.appointmentId}|${d.start}|${d.offset}`;
        const data = { appointment_id: d.appointmentId, start: d.start, offset_seconds: d.offset };
        const common = { type: 'appointment_reminder' as const, eventKey: key };
        inputs.push({ ...common, userId: d.patientId, data: { ...data, other_party_name: users.get(d.doctorId)?.full_name ?? '' } });
        inputs.push({ ...common, userId: d.doctorId, data: { ...data, other_party_name: users.get(d.patientId)?.full_name ?? '' } });
      }
      await deps.notifier.notifyMany(trx, inputs);
    });
  const one = async (job: BatchJob) => {
    const due = await check(job);
    if (due) await notifyAll([due]);
  };
  queue.defineBatch(REMINDER_QUEUE, async (jobs) => {
    const checked = await Promise.all(jobs.map((job) => check(job).catch((err: unknown) => ({ err }))));
    const due = checked.filter((c): c is Due => c !== null && !('err' in c));
    try {
      if (due.length) await notifyAll(due);
    } catch (err) {
      if (jobs.length === 1) throw err;
      deps.log.warn({ err, jobs: jobs.length }, 'a batch of reminders failed; running them one by one');
      return Promise.all(
        jobs.map((job) =>
          one(job).then(
            () => undefined,
            (e: unknown) => e,
          ),
        ),
      );
    }
    return checked.map((c) => (c !== null && 'err' in c ? c.err : undefined));
  });
}
