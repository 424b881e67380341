import type { FastifyBaseLogger } from 'fastify';
import type { AppModule } from '../../platform/context.js';
import type { Db } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { AuditService } from '../audit/index.js';
import type { ChatService } from '../chat/index.js';
import { withMultipart, type FilesService } from '../files/index.js';
import { APPOINTMENT_EVENTS, type AppointmentCancelledEvent, type SchedulingServices } from '../scheduling/index.js';
import { AnalysisPool } from './analysis/pool.js';
import { InfectionsRepository } from './infections.repository.js';
import { diagnoseRoutes, infectionsRoutes } from './infections.routes.js';
import { InfectionRecordSchema } from './infections.schemas.js';
import { InfectionsService } from './infections.service.js';
import type { SkinModel } from './model.js';
import './infections.tables.js';

export { InfectionsService, DISCLAIMER, RULES_MODEL } from './infections.service.js';
export { LABELS as SKIN_LABELS } from './analysis/score.js';
export { loadSkinModel } from './analysis/onnx-model.js';

/** The skin-image services of one instance (`ctx.services.infections`). */
export interface InfectionsServices {
  infections: InfectionsService;
  /** The worker-thread pool the analyser runs in (closed with the app). */
  pool: AnalysisPool;
}

export interface InfectionsDeps {
  db: Db;
  log: FastifyBaseLogger;
  events: EventBus;
  audit: AuditService;
  files: FilesService;
  scheduling: Pick<SchedulingServices, 'appointments' | 'waitlist'>;
  chat: Pick<ChatService, 'createRoom' | 'send' | 'removeParticipant' | 'announceRemoved'> | undefined;
  model?: SkinModel | null;
}

/**
 * Builds the skin-image services and registers what a consult shares (docs/DERMA.md,
 * "Privacy"; docs/SECURITY.md): read access for the booked dermatologist to the record's
 * image (a files access rule) while the consult is live. The chart is NOT opened by the
 * consult itself (review M3): the consult's appointment is the care relationship, and it ends
 * when that appointment is cancelled — as does the consult (a transactional subscriber of
 * `appointment.cancelled`). Images are stored without a patient link, so without a consult only
 * the patient can read them. Workers start on the first analysis, not here.
 */
export function buildInfectionsServices(deps: InfectionsDeps): InfectionsServices {
  const repository = new InfectionsRepository();
  const pool = new AnalysisPool();
  deps.files.access.register(
    (db, actor, fileId) => (actor.role === 'doctor' ? repository.imageConsultedWith(db, fileId, actor.id) : Promise.resolve(false)),
    'skin_consult',
  );
  const infections = new InfectionsService({
    db: deps.db,
    repository,
    files: deps.files,
    audit: deps.audit,
    scheduling: deps.scheduling,
    chat: () => deps.chat,
    analyser: pool,
    model: deps.model ?? null,
    log: deps.log,
  });
  // Ends the consult in the cancelling transaction; the sockets hear of a removed room after commit.
  deps.events.subscribeInTransaction<AppointmentCancelledEvent>(APPOINTMENT_EVENTS.cancelled, async (trx, event) => {
    await infections.endForAppointment(trx, event.appointmentId, event.actorId);
  });
  deps.events.subscribe<AppointmentCancelledEvent>(APPOINTMENT_EVENTS.cancelled, (event) => infections.announceEnded(event.appointmentId));
  // A cancellation or a reschedule frees a slot, which scheduling offers to its waitlist (in its
  // transaction); after commit, a waitlisted consult whose entry got the offer books it.
  const promote = async () => void (await infections.promoteWaitlisted());
  deps.events.subscribe(APPOINTMENT_EVENTS.cancelled, promote);
  deps.events.subscribe(APPOINTMENT_EVENTS.rescheduled, promote);
  return { infections, pool };
}

/** Skin image analysis and dermatology consults (seed 004; docs/API.md §7.4, docs/DERMA.md). */
export const infectionsModule: AppModule = {
  name: 'infections',
  async routes(app, ctx) {
    app.addSchema(InfectionRecordSchema);
    const { infections, pool } = ctx.services.infections;
    const files = ctx.services.files;
    app.addHook('onClose', () => pool.close());
    // Outside tests the workers start with the server, so the first photo does not pay for
    // spawning them and loading the analyser (bench/derma.ts: cold vs warm). Not awaited: start-up
    // does not wait for it; a photo arriving meanwhile simply queues.
    if (ctx.config.env !== 'test') app.addHook('onReady', async () => void pool.warm());
    // Offers made just before a stop are acted on at the next start (promoteWaitlisted).
    app.addHook('onReady', async () => {
      await infections.promoteWaitlisted().catch(() => undefined);
    });
    await withMultipart(app, ctx, (scope) => diagnoseRoutes(scope, infections, files));
    await infectionsRoutes(app, infections);
  },
};
