import type { FastifyBaseLogger } from 'fastify';
import type { AppModule } from '../../platform/context.js';
import type { CareRelationships } from '../../platform/access.js';
import type { Db } from '../../platform/database/index.js';
import type { AuditService } from '../audit/index.js';
import type { ChatService } from '../chat/index.js';
import { withMultipart, type FilesService } from '../files/index.js';
import type { SchedulingServices } from '../scheduling/index.js';
import { AnalysisPool } from './analysis/pool.js';
import { InfectionsRepository } from './infections.repository.js';
import { diagnoseRoutes, infectionsRoutes } from './infections.routes.js';
import { InfectionRecordSchema } from './infections.schemas.js';
import { InfectionsService } from './infections.service.js';
import type { SkinModel } from './model.js';
import './infections.tables.js';

export { InfectionsService, DISCLAIMER, RULES_MODEL } from './infections.service.js';
export { LABELS as SKIN_LABELS } from './analysis/score.js';

/** The skin-image services of one instance (`ctx.services.infections`). */
export interface InfectionsServices {
  infections: InfectionsService;
  /** The worker-thread pool the analyser runs in (closed with the app). */
  pool: AnalysisPool;
}

export interface InfectionsDeps {
  db: Db;
  log: FastifyBaseLogger;
  care: CareRelationships;
  audit: AuditService;
  files: FilesService;
  scheduling: Pick<SchedulingServices, 'appointments' | 'waitlist'>;
  chat: Pick<ChatService, 'createRoom' | 'send'> | undefined;
  model?: SkinModel | null;
}

/**
 * Builds the skin-image services and registers what a consult shares (docs/DERMA.md,
 * "Privacy"): a care relationship between the patient and the dermatologist a consult was
 * booked with (platform/access.ts), and read access for that doctor to the record's image (a
 * files access rule). Images are stored without a patient link, so without a consult only
 * the patient can read them. Workers start on the first analysis, not here.
 */
export function buildInfectionsServices(deps: InfectionsDeps): InfectionsServices {
  const repository = new InfectionsRepository();
  const pool = new AnalysisPool(2);
  deps.care.register('skin_consult', (db, doctorId, patientId) => repository.consulted(db, doctorId, patientId));
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
    await withMultipart(app, ctx, (scope) => diagnoseRoutes(scope, infections, files));
    await infectionsRoutes(app, infections);
  },
};
