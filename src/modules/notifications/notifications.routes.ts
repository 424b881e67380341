import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { actorOf, anyUser, rolesAllowed } from '../../platform/http/auth.js';
import { DateTime, IdParams, problemResponses } from '../../platform/http/schemas.js';
import { decodeCursor, pageOf, PageQuery, toPage } from '../../platform/http/pagination.js';
import { ConflictError, NotFoundError } from '../../platform/errors.js';
import type { Db } from '../../platform/database/index.js';
import { deleteJob, findJob, JOB_STATES, listJobs, queueStats, retryJob, type JobQueue, type JobView } from '../../platform/jobs/index.js';
import type { NotificationsService } from './notifications.service.js';
import { NOTIFICATION_TYPES } from './templates.js';

const tags = ['notifications'];

const Switches = Type.Object({ in_app: Type.Boolean(), email: Type.Boolean(), push: Type.Boolean() }, { additionalProperties: false });
const PartialSwitches = Type.Partial(Switches, { additionalProperties: false });
const HHMM = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM, 24-hour clock' });
const QuietHours = Type.Union([Type.Object({ start: HHMM, end: HHMM }, { additionalProperties: false }), Type.Null()]);

const NotificationSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    type: Type.String({ description: 'event type (see /notifications/preferences)' }),
    title: Type.String(),
    body: Type.String(),
    data: Type.Record(Type.String(), Type.Unknown()),
    read: Type.Boolean(),
    read_at: Type.Union([DateTime, Type.Null()]),
    created_at: DateTime,
  },
  { $id: 'Notification' },
);

const PreferencesSchema = Type.Object({
  time_zone: Type.Union([Type.String(), Type.Null()], { description: "IANA zone for quiet hours and times in texts; null: the account's" }),
  quiet_hours: QuietHours,
  channels: Type.Object(Object.fromEntries(NOTIFICATION_TYPES.map((t) => [t, Switches]))),
});

/** Unknown event types are refused (422) by additionalProperties: false. */
const PreferencesBody = Type.Object(
  {
    time_zone: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()])),
    quiet_hours: Type.Optional(QuietHours),
    channels: Type.Optional(
      Type.Object(Object.fromEntries(NOTIFICATION_TYPES.map((t) => [t, Type.Optional(PartialSwitches)])), { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

const SubscriptionBody = Type.Object(
  {
    endpoint: Type.String({ minLength: 1, maxLength: 2048 }),
    keys: Type.Object({ p256dh: Type.String({ minLength: 1, maxLength: 200 }), auth: Type.String({ minLength: 1, maxLength: 100 }) }),
    expirationTime: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
  },
  { description: 'A PushSubscription as the browser serialises it (toJSON())' },
);

export async function notificationsRoutes(root: FastifyInstance, service: NotificationsService, vapidPublicKey: string | null): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(NotificationSchema);

  app.get('/notifications', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Your notifications, newest first (?unread=true)',
      querystring: Type.Intersect([PageQuery, Type.Object({ unread: Type.Optional(Type.Boolean()) })]),
      response: { 200: pageOf(Type.Ref('Notification')), ...problemResponses },
    },
    handler: async (request) => service.list(actorOf(request).id, request.query),
  });

  app.get('/notifications/unread-count', {
    config: { access: anyUser },
    schema: { tags, summary: 'Unread badge count', response: { 200: Type.Object({ unread: Type.Integer() }), ...problemResponses } },
    handler: async (request) => service.unreadCount(actorOf(request).id),
  });

  app.post('/notifications/:id/read', {
    config: { access: anyUser },
    schema: { tags, summary: 'Mark one notification read', params: IdParams, response: { 200: Type.Ref('Notification'), ...problemResponses } },
    handler: async (request) => service.read(actorOf(request).id, request.params.id),
  });

  app.post('/notifications/read-all', {
    config: { access: anyUser },
    schema: { tags, summary: 'Mark every notification read', response: { 200: Type.Object({ updated: Type.Integer() }), ...problemResponses } },
    handler: async (request) => service.readAll(actorOf(request).id),
  });

  app.get('/notifications/preferences', {
    config: { access: anyUser },
    schema: { tags, summary: 'Channels per event type, time zone and quiet hours', response: { 200: PreferencesSchema, ...problemResponses } },
    handler: async (request) => service.preferences(actorOf(request).id),
  });

  app.put('/notifications/preferences', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Change preferences (absent fields keep their value; unknown event types: 422; emergencies ignore quiet hours and switches)',
      body: PreferencesBody,
      response: { 200: PreferencesSchema, ...problemResponses },
    },
    handler: async (request) => service.putPreferences(actorOf(request).id, request.body as Parameters<NotificationsService['putPreferences']>[1]),
  });

  app.get('/notifications/push-key', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'The VAPID public key for PushManager.subscribe (null when web push is not configured)',
      response: { 200: Type.Object({ public_key: Type.Union([Type.String(), Type.Null()]) }), ...problemResponses },
    },
    handler: async () => ({ public_key: vapidPublicKey }),
  });

  app.post('/notifications/push-subscriptions', {
    config: { access: anyUser },
    schema: {
      tags,
      summary: 'Register this browser for web push',
      body: SubscriptionBody,
      response: { 201: Type.Object({ id: Type.String({ format: 'uuid' }), endpoint: Type.String(), created_at: DateTime }), ...problemResponses },
    },
    handler: async (request, reply) => reply.code(201).send(await service.subscribe(actorOf(request).id, request.body)),
  });

  app.delete('/notifications/push-subscriptions/:id', {
    config: { access: anyUser },
    schema: { tags, summary: 'Remove a push subscription', params: IdParams, response: { 204: Type.Null(), ...problemResponses } },
    handler: async (request, reply) => {
      await service.unsubscribe(actorOf(request).id, request.params.id);
      return reply.code(204).send(null);
    },
  });
}

const JobSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    queue: Type.String(),
    state: Type.Union(JOB_STATES.map((s) => Type.Literal(s))),
    key: Type.Union([Type.String(), Type.Null()]),
    run_at: DateTime,
    attempts: Type.Integer(),
    max_attempts: Type.Integer(),
    last_error: Type.Union([Type.String(), Type.Null()]),
    created_at: DateTime,
    updated_at: DateTime,
    finished_at: Type.Union([DateTime, Type.Null()]),
  },
  { $id: 'Job' },
);

function jobDto(job: JobView) {
  return {
    ...job,
    run_at: job.run_at.toISOString(),
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
    finished_at: job.finished_at ? job.finished_at.toISOString() : null,
  };
}

/** The durable job queue's admin view (docs/API.md §6): dead letters, retry, discard. Payloads are never shown. */
const Count = Type.Integer({ minimum: 0 });
const QueueStatsSchema = Type.Object(
  {
    queues: Type.Array(
      Type.Object({
        queue: Type.String(),
        due: Type.Integer({ minimum: 0, description: 'waiting and due now (the backlog)' }),
        delayed: Type.Integer({ minimum: 0, description: 'waiting for a later time (reminders, backoff, quiet hours)' }),
        active: Type.Integer({ minimum: 0, description: 'in flight on any instance' }),
        failed: Type.Integer({ minimum: 0, description: 'dead letters' }),
        completed: Type.Integer({ minimum: 0, description: 'finished in the last 24 h' }),
        oldest_due_lag_seconds: Type.Number({ minimum: 0, description: 'how long the oldest due job has waited past its due time' }),
        oldest_active_seconds: Type.Number({ minimum: 0, description: 'how long the longest-running job has been claimed' }),
      }),
    ),
    instance: Type.Object(
      {
        running: Type.Boolean(),
        in_flight: Count,
        completed: Count,
        failed: Count,
        retried: Count,
        reaped: Count,
      },
      { description: 'the worker of the instance that answered, since it started' },
    ),
    measured_at: DateTime,
  },
  { $id: 'JobQueueStats' },
);

export async function adminJobsRoutes(root: FastifyInstance, db: Db, jobs: Pick<JobQueue, 'wake' | 'stats' | 'inFlightCount' | 'isRunning'>): Promise<void> {
  const wake = () => jobs.wake();
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const adminOnly = rolesAllowed('admin');
  const jobTags = ['jobs'];
  app.addSchema(JobSchema);

  app.get('/admin/jobs', {
    config: { access: adminOnly },
    schema: {
      tags: jobTags,
      summary: 'Jobs by state (failed = dead-letter list), newest first',
      querystring: Type.Intersect([
        PageQuery,
        Type.Object({ state: Type.Optional(Type.Union(JOB_STATES.map((s) => Type.Literal(s)))), queue: Type.Optional(Type.String({ maxLength: 100 })) }),
      ]),
      response: { 200: pageOf(Type.Ref('Job')), ...problemResponses },
    },
    handler: async (request) => {
      const limit = request.query.limit ?? 20;
      const position = decodeCursor(request.query.cursor, 'timestamp');
      const rows = await listJobs(db, {
        state: request.query.state,
        queue: request.query.queue,
        limit,
        after: position ? { createdAt: new Date(position.v as string), id: position.id } : null,
      });
      return toPage(rows, limit, (row) => row.created_at.toISOString(), jobDto);
    },
  });

  app.get('/admin/jobs/stats', {
    config: { access: adminOnly },
    schema: {
      tags: jobTags,
      summary: 'Queue health: per-queue depth (due, delayed), in flight, dead letters and the oldest due job’s lag',
      response: { 200: QueueStatsSchema, ...problemResponses },
    },
    handler: async () => ({
      queues: await queueStats(db),
      instance: { running: jobs.isRunning, in_flight: jobs.inFlightCount, ...jobs.stats },
      measured_at: new Date().toISOString(),
    }),
  });

  app.get('/admin/jobs/:id', {
    config: { access: adminOnly },
    schema: { tags: jobTags, summary: 'One job', params: IdParams, response: { 200: Type.Ref('Job'), ...problemResponses } },
    handler: async (request) => {
      const job = await findJob(db, request.params.id);
      if (!job) throw new NotFoundError('Job');
      return jobDto(job);
    },
  });

  app.post('/admin/jobs/:id/retry', {
    config: { access: adminOnly },
    schema: {
      tags: jobTags,
      summary: 'Run a failed (or completed) job again now, with a fresh attempt budget',
      params: IdParams,
      response: { 200: Type.Ref('Job'), ...problemResponses },
    },
    handler: async (request) => {
      const existing = await findJob(db, request.params.id);
      if (!existing) throw new NotFoundError('Job');
      const job = await retryJob(db, request.params.id).catch((err) => {
        if ((err as { code?: string }).code === '23505') throw new ConflictError('Another job with this key is already waiting.', 'job-key-waiting');
        throw err;
      });
      if (!job) throw new ConflictError(`A ${existing.state} job cannot be retried; only failed or completed ones.`, 'job-not-finished');
      wake();
      return jobDto(job);
    },
  });

  app.delete('/admin/jobs/:id', {
    config: { access: adminOnly },
    schema: { tags: jobTags, summary: 'Discard a job that is not running', params: IdParams, response: { 204: Type.Null(), ...problemResponses } },
    handler: async (request, reply) => {
      const existing = await findJob(db, request.params.id);
      if (!existing) throw new NotFoundError('Job');
      if (!(await deleteJob(db, request.params.id))) throw new ConflictError('The job is running; retry the delete once it has finished.', 'job-running');
      return reply.code(204).send(null);
    },
  });
}
