import type { FastifyBaseLogger } from 'fastify';
import type { AppModule } from '../../platform/context.js';
import type { Config } from '../../platform/config.js';
import type { Db, Executor } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { CareRelationships } from '../../platform/access.js';
import { JobQueue } from '../../platform/jobs/index.js';
import { defineEmailOutbox, Mailer, OutboxSealer } from '../../platform/mail.js';
import { UsersRepository } from '../identity/index.js';
import type { SchedulingLookups } from '../scheduling/index.js';
import { NotificationsRepository } from './notifications.repository.js';
import { Notifier, NotificationsService, type FramePublisher, type UserLookup, type UsersLookup } from './notifications.service.js';
import { defineChatNotifications, defineReminders, subscribe, type SubscriptionDeps } from './subscriptions.js';
import { adminJobsRoutes, notificationsRoutes } from './notifications.routes.js';
import { registerReminderMetrics } from './metrics.js';
import './notifications.tables.js';

export { NOTIFICATION_TYPES, type NotificationType } from './templates.js';
export type { NotifyInput } from './notifications.service.js';

/** The notifications services of one instance (`ctx.services.notifications`). */
export interface NotificationsServices {
  notifications: NotificationsService;
  /** Writes an in-app notification and queues its email/push, in `db`'s transaction when it is one. */
  notifier: Notifier;
  /** The durable job queue's worker on this instance (started with the app, drained on close). */
  jobs: JobQueue;
  mailer: Mailer;
}

export interface NotificationsDeps {
  config: Config;
  log: FastifyBaseLogger;
  db: Db;
  events: EventBus;
  care: CareRelationships;
  scheduling: Pick<SchedulingLookups, 'appointmentOfPatient'>;
  /** Live frames to a user's sockets on every instance (chat's hub). */
  publishFrame: FramePublisher;
  /** A room's participants and their presence (chat's services), for messages to offline users. */
  chat: SubscriptionDeps['chat'];
}

/**
 * Notifications and jobs (issue 13, docs/NOTIFICATIONS.md): the job queue worker, email
 * (platform outbox + notification emails) through SMTP, web push, in-app notifications with
 * live frames, preferences, reminders, and the event subscriptions that turn domain events
 * into notifications. No I/O here: the worker starts in `start` and drains in `stop`.
 */
export function buildNotificationsServices(deps: NotificationsDeps): NotificationsServices {
  const { config, log, db } = deps;
  const settings = config.notifications;
  const usersRepository = new UsersRepository();
  const users: UserLookup = (executor: Executor, userId: string) => usersRepository.findById(executor, userId);
  const usersMany: UsersLookup = async (executor, ids) => new Map((await usersRepository.findByIds(executor, ids)).map((user) => [user.id, user]));
  const activeDoctors = async (executor: Executor) => {
    const rows = await usersRepository.list(executor, { role: 'doctor', status: 'active', sort: 'created_at', after: null, limit: 10_000 });
    return rows.map((row) => row.id);
  };
  const repo = new NotificationsRepository();
  const notifier = new Notifier(repo, users, config.publicBaseUrl, log, settings.outsideDetail, usersMany);
  const jobs = new JobQueue(db, log, {
    concurrency: settings.jobs.concurrency,
    pollMs: settings.jobs.pollMs,
    leaseMs: settings.jobs.leaseMs,
    backoffBaseMs: settings.jobs.backoffBaseMs,
  });
  const mailer = new Mailer(config.smtpUrl, config.mailFrom, config.smtpTimeoutMs);
  const mailDomain = safeHost(config.publicBaseUrl);
  defineEmailOutbox(jobs, db, mailer, log, mailDomain, new OutboxSealer(config.jwtSecret));
  notifier.define(jobs, db, { mailer, publishFrame: deps.publishFrame, push: settings.vapid, pushAllowedHosts: settings.pushAllowedHosts, mailDomain });
  const subscriptionDeps: SubscriptionDeps = {
    db,
    events: deps.events,
    care: deps.care,
    chat: deps.chat,
    notifier,
    users,
    usersMany,
    activeDoctors,
    appointmentOfPatient: deps.scheduling.appointmentOfPatient,
    reminderOffsetsSeconds: settings.reminderOffsetsSeconds,
    log,
  };
  defineReminders(jobs, subscriptionDeps);
  defineChatNotifications(jobs, subscriptionDeps);
  subscribe(subscriptionDeps);
  // Jobs queued inside a publisher's transaction become due at its commit: the after-commit
  // event wakes this instance's worker then, instead of at its next poll.
  for (const topic of WAKE_TOPICS) deps.events.subscribe(topic, () => jobs.wake());
  const notifications = new NotificationsService(db, repo, notifier, users, settings.pushAllowedHosts);
  return { notifications, notifier, jobs, mailer };
}

const WAKE_TOPICS = [
  'appointment.booked',
  'appointment.rescheduled',
  'appointment.cancelled',
  'prescription.created',
  'lab_report.created',
  'user.approved',
  'chat.message_sent',
] as const;

export const notificationsModule: AppModule = {
  name: 'notifications',
  async routes(app, ctx) {
    const { notifications, jobs } = ctx.services.notifications;
    await notificationsRoutes(app, notifications, ctx.config.notifications.vapid?.publicKey ?? null);
    await adminJobsRoutes(app, ctx.db, jobs);
  },
  start(ctx) {
    ctx.services.notifications.jobs.start();
  },
  // The job queue's own gauges are the platform's (src/platform/jobs/metrics.ts); reminder lag is ours.
  metrics(ctx, registry) {
    registerReminderMetrics(registry, ctx.db, ctx.log);
  },
  async stop(ctx) {
    // Graceful drain: running handlers finish (or are handed back), then SMTP closes.
    await ctx.services.notifications.jobs.stop();
    ctx.services.notifications.mailer.close();
  },
};

function safeHost(url: string): string {
  try {
    return new URL(url).hostname || 'carebridge.local';
  } catch {
    return 'carebridge.local';
  }
}
