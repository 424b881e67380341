/**
 * The composition root: every module's services, built once per app instance, here and only
 * here (app.ts calls `buildServices` once, before any route is registered, and stores the
 * result as `ctx.services`).
 *
 * Rules (a guide for new modules: docs/CONVENTIONS.md, "Services"):
 *  - Each module's index.ts exports `build<Area>Services(deps)`, a plain function of plain
 *    arguments: infrastructure from `infra` and other modules' services, typed by what
 *    those modules export from their index.ts (narrow them with Pick<> where you can).
 *  - Builders run in dependency order: a module is built after every module it needs.
 *    A cycle means the boundary is wrong (use ctx.events, or move the shared piece).
 *  - Builders construct objects and register rules (care links, file-access rules, event
 *    subscriptions); they do no I/O. Async start-up work belongs in the module's `routes`
 *    (before serving) or `start` (after listening), stopped in `stop`.
 *  - Nothing else constructs a module's services: routes, demo seeding and start/stop read
 *    `ctx.services.<area>`; services never receive the context.
 */
import type { Infrastructure } from '../platform/context.js';
import { createStorage, type ObjectStorage } from '../platform/storage/index.js';
import { buildAuditServices, type AuditService } from './audit/index.js';
import { buildIdentityServices, type IdentityServices } from './identity/index.js';
import { buildFilesExport, buildFilesServices, type FilesService } from './files/index.js';
import { buildSchedulingServices, type SchedulingServices } from './scheduling/index.js';
import { buildMedicalServices, type MedicalServices } from './medical/index.js';
import { buildReportsServices, type ReportsService } from './reports/index.js';
import { buildChatExport, buildChatReads, buildChatServices, type ChatServices } from './chat/index.js';
import { buildVideoServices, type VideoService } from './video/index.js';
import { buildSymptomCheckerExport, buildSymptomCheckerServices, type SymptomCheckerServices } from './symptom-checker/index.js';
import { buildAssistantsServices, type AssistantsService } from './assistants/index.js';
import { buildNotificationsServices, type NotificationsServices } from './notifications/index.js';
import { buildInfectionsServices, loadSkinModel, type InfectionsServices } from './infections/index.js';
import { buildFhirServices, type FhirServices } from './fhir/index.js';
import { buildReportsReads } from './reports/index.js';
import { buildMedicalReads } from './medical/index.js';
import { buildSchedulingReads } from './scheduling/index.js';

export interface Services {
  audit: AuditService;
  identity: IdentityServices;
  /** Object storage (local disk or S3, docs/STORAGE.md); files and their readiness check use it. */
  storage: ObjectStorage;
  files: FilesService;
  scheduling: SchedulingServices;
  medical: MedicalServices;
  reports: ReportsService;
  chat: ChatServices;
  video: VideoService;
  symptomChecker: SymptomCheckerServices;
  assistants: AssistantsService;
  notifications: NotificationsServices;
  infections: InfectionsServices;
  /** The FHIR R4 facade (docs/FHIR.md): reads the other areas through their public reads, with the REST access rules. */
  fhir: FhirServices;
}

declare module '../platform/context.js' {
  // ctx.services is typed as Services without the platform naming any module.
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface AppServices extends Services {}
}

export function buildServices(infra: Infrastructure): Services {
  const { config, log, db, redis, events, pubsub, care } = infra;
  const identity = buildIdentityServices(infra);
  const audit = buildAuditServices({ db, identity: identity.lookups });
  const storage = createStorage(config);
  const files = buildFilesServices({ config, db, care, audit, storage });
  const scheduling = buildSchedulingServices({ db, care, events, files, audit });
  const medical = buildMedicalServices({ db, care, events, audit, files, scheduling: scheduling.lookups });
  const reports = buildReportsServices({ db, care, events, audit, files });
  const chat = buildChatServices({ config, log, db, redis, pubsub, care, events, audit, files });
  const video = buildVideoServices({ config, appointments: scheduling.appointments });
  const symptomChecker = buildSymptomCheckerServices({
    db,
    events,
    pubsub,
    log,
    audit,
    scheduling: scheduling.lookups,
    learningIntervalSeconds: config.symptomLearningIntervalSeconds,
  });
  const assistants = buildAssistantsServices({ db, log, events, care, audit, scheduling, medical, reports, chat: chat.chat });
  const dermaModel = config.dermaModelPath ? loadSkinModel(config.dermaModelPath, log) : null;
  const infections = buildInfectionsServices({ db, log, events, audit, files, scheduling, chat: chat.chat, model: dermaModel });
  const fhir = buildFhirServices({
    db,
    care,
    audit,
    reports: buildReportsReads({ db }),
    labUploads: reports,
    staging: files.staging,
    medical: buildMedicalReads({ db }),
    appointments: buildSchedulingReads({ db }),
    patients: scheduling.lookups,
    documents: files,
    doctors: scheduling.profiles,
    slots: scheduling.slots,
    booking: scheduling.appointments,
    chat: buildChatReads({ db }),
    auditLog: audit,
    config,
    identity: identity.identity,
  });
  // Last: it subscribes to the events of the modules above and sends live frames through chat's hub.
  const notifications = buildNotificationsServices({
    config,
    log,
    db,
    events,
    care,
    scheduling: scheduling.lookups,
    publishFrame: (userId, frame) => chat.hub.publishUser(userId, frame as Parameters<typeof chat.hub.publishUser>[1]),
    chat: { participantsOf: chat.participantsOf, presence: (userIds) => chat.hub.presenceStore.status(userIds) },
  });
  // Patient data export (identity, step-up): each section read through its area's own list, access rules and audit.
  // Files, chat and symptom-checker sessions through each area's export reader (its index.ts), the
  // audit trail as the patient sees it in GET /audit, whoever downloads (docs/API.md §1.1).
  const fileExport = buildFilesExport({ config, db, audit, storage });
  const chatExport = buildChatExport({ db, audit });
  const symptomExport = buildSymptomCheckerExport({ db, audit });
  identity.exports.connect(
    (meta, event) =>
      audit.record(db, meta, [
        { patientId: event.patientId, resourceType: 'patient_export', resourceId: event.patientId, action: 'download', details: event.details },
      ]),
    [
      { name: 'appointments', page: (meta, patient_id, cursor) => scheduling.appointments.list(meta.actor, { patient_id, cursor, limit: 100 }) },
      { name: 'medical_records', page: (meta, patient_id, cursor) => medical.records.list(meta, { patient_id, cursor, limit: 100 }) },
      { name: 'prescriptions', page: (meta, patient_id, cursor) => medical.prescriptions.list(meta, { patient_id, cursor, limit: 100 }) },
      { name: 'lab_reports', page: (meta, patient_id, cursor) => reports.list(meta, { patient_id, cursor, limit: 100 }) },
      { name: 'allergies', page: (meta, patient_id) => medical.allergies.list(meta, patient_id) },
      {
        name: 'files',
        page: (meta, patient_id, cursor) => fileExport.page(meta, patient_id, cursor),
        // The ZIP form carries the bytes too (?format=zip).
        contents: (meta, patient_id) => fileExport.contents(meta, patient_id),
      },
      { name: 'chat_messages', page: (meta, patient_id, cursor) => chatExport.page(meta, patient_id, cursor) },
      { name: 'symptom_checker_sessions', page: (meta, patient_id, cursor) => symptomExport.page(meta, patient_id, cursor) },
      // Last, so it also lists the reads this export has just made.
      { name: 'audit_trail', page: (_meta, patient_id, cursor) => audit.patientTrail(patient_id, cursor) },
    ],
  );
  return { audit, identity, storage, files, scheduling, medical, reports, chat, video, symptomChecker, assistants, infections, fhir, notifications };
}
