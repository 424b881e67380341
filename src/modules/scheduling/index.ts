import type { AppModule } from '../../platform/context.js';
import { ProfilesRepository } from './profiles.repository.js';
import { SlotsRepository } from './slots.repository.js';
import { AppointmentsRepository } from './appointments.repository.js';
import { WaitlistRepository } from './waitlist.repository.js';
import { ClientsRepository } from './clients.repository.js';
import { ProfilesService } from './profiles.service.js';
import { SlotsService } from './slots.service.js';
import { AppointmentsService } from './appointments.service.js';
import { WaitlistService } from './waitlist.service.js';
import { ClientsService } from './clients.service.js';
import { patientPhotoRoutes, profilesRoutes } from './profiles.routes.js';
import { IMAGE_TYPES, withMultipart, type AllowedType, type FilesService } from '../files/index.js';
import type { AuditService } from '../audit/index.js';
import type { CareRelationships } from '../../platform/access.js';
import type { Db, Executor } from '../../platform/database/index.js';
import type { EventBus } from '../../platform/events.js';
import type { PatientProfileDto } from './scheduling.schemas.js';
import { appointmentsRoutes } from './appointments.routes.js';
import { clientsRoutes } from './clients.routes.js';
import { AppointmentSchema, ClientLinkSchema, ClientSchema, DoctorSchema, SlotSchema } from './scheduling.schemas.js';
import { seedSchedulingDemo } from './demo.js';
import { SchedulingReads } from './scheduling.reads.js';
import { SchedulingReadsRepository } from './scheduling-reads.repository.js';
import './scheduling.tables.js';

export { SPECIALTIES, type Specialty, type AppointmentDto, type DoctorDto } from './scheduling.schemas.js';
export { canonicalSpecialty } from './specialties.js';
export { PatientProfileSchema, type PatientProfileDto } from './scheduling.schemas.js';

export {
  APPOINTMENT_EVENTS,
  type AppointmentEvent,
  type AppointmentCancelledEvent,
  type AppointmentRescheduledEvent,
  type AppointmentStatusChangedEvent,
} from './appointments.service.js';
export type { WaitlistOffer } from './waitlist.service.js';
export { AppointmentsService } from './appointments.service.js';
export { SchedulingReads, type AppointmentSearch, type AppointmentReadRow } from './scheduling.reads.js';

/** Appointment reads without access checks for areas that apply the rules themselves (the FHIR facade): see scheduling.reads.ts. */
export function buildSchedulingReads(deps: { db: Db }): SchedulingReads {
  return new SchedulingReads(deps.db, new SchedulingReadsRepository());
}

/**
 * What other modules may ask scheduling (medical, reports, the symptom checker): plain reads
 * of scheduling's own tables. They check no access: the caller does, through ctx.care.
 */
export interface SchedulingLookups {
  /** The patient's profile as GET /patients/me shows it, or null when the id is not a patient. */
  patientProfile(patientId: string): Promise<PatientProfileDto | null>;
  /** Patients by ids / name substring / date of birth, in id order after `afterId`; no access rule (the caller filters by care relationship). */
  searchPatients(filter: { ids?: string[]; name?: string; birthDate?: string }, afterId: string | null, limit: number): Promise<PatientProfileDto[]>;
  /** The time zone a user's profile shows (patient or doctor profile, else the account's): plain dates in filters are days in it. */
  timeZoneOf(userId: string): Promise<string | null>;
  /** The appointment when it is this patient's (any status), else null. `db` may be a transaction. */
  appointmentOfPatient(
    db: Executor,
    appointmentId: string,
    patientId: string,
  ): Promise<{ id: string; doctor_id: string; start_at: Date; status: string } | null>;
  /** The latest completed appointment of this patient with this doctor, if any (demo data). */
  lastCompletedAppointment(patientId: string, doctorId: string): Promise<{ id: string; start_at: Date } | null>;
}

/** The scheduling services of one instance (`ctx.services.scheduling`). */
export interface SchedulingServices {
  profiles: ProfilesService;
  slots: SlotsService;
  appointments: AppointmentsService;
  waitlist: WaitlistService;
  clients: ClientsService;
  lookups: SchedulingLookups;
}

export interface SchedulingDeps {
  db: Db;
  care: CareRelationships;
  events: EventBus;
  files: FilesService;
  audit: AuditService;
}

/**
 * Builds scheduling's services (once per instance, from src/modules/services.ts) and
 * registers what scheduling contributes to shared infrastructure:
 *  - care links (platform/access.ts) `appointment`: the doctor has or had a NON-cancelled
 *    appointment with the patient (scheduled, confirmed, in progress, completed or no-show; a
 *    booking cancelled before any encounter does not open the record), and `assigned_client`:
 *    a live clinic client record links the patient account (user_id) to the doctor;
 *  - a profile for each approved user (`user.approved`).
 */
export function buildSchedulingServices(deps: SchedulingDeps): SchedulingServices {
  const { db, care, events, files, audit } = deps;
  const profilesRepository = new ProfilesRepository();
  const slotsRepository = new SlotsRepository();
  const appointmentsRepository = new AppointmentsRepository();
  const clientsRepository = new ClientsRepository();
  const waitlist = new WaitlistService(db, new WaitlistRepository(), profilesRepository);
  const profiles = new ProfilesService(db, profilesRepository, async (actor, fileId) => {
    const [file] = await files.rowsByIds(db, [fileId]);
    return Boolean(file && IMAGE_TYPES.has(file.content_type as AllowedType) && (await files.canRead(db, actor, fileId)));
  });
  care.register(
    'appointment',
    (executor, doctorId, patientId) => appointmentsRepository.hasCareLink(executor, doctorId, patientId),
    (executor, doctorId) => appointmentsRepository.careLinkPatients(executor, doctorId),
    (doctor, patient) => appointmentsRepository.careLinkSql(doctor, patient),
  );
  care.register(
    'assigned_client',
    (executor, doctorId, patientId) => clientsRepository.isAssigned(executor, doctorId, patientId),
    (executor, doctorId) => clientsRepository.assignedPatients(executor, doctorId),
    (doctor, patient) => clientsRepository.assignedSql(doctor, patient),
  );
  events.subscribe<{ userId: string; role: string }>('user.approved', (event) => profiles.createProfileOnApproval(event.userId, event.role));
  return {
    profiles,
    slots: new SlotsService(db, slotsRepository, profilesRepository),
    appointments: new AppointmentsService(db, appointmentsRepository, profilesRepository, waitlist, care, events),
    waitlist,
    clients: new ClientsService(db, clientsRepository, profilesRepository, audit),
    lookups: {
      patientProfile: (patientId) => profiles.patientProfile(patientId),
      searchPatients: (filter, afterId, limit) => profiles.searchPatients(filter, afterId, limit),
      timeZoneOf: (userId) => profilesRepository.timeZoneOf(db, userId),
      async appointmentOfPatient(executor, appointmentId, patientId) {
        const row = await appointmentsRepository.findById(executor, appointmentId);
        return row && row.patient_id === patientId ? { id: row.id, doctor_id: row.doctor_id, start_at: row.start_at, status: row.status } : null;
      },
      async lastCompletedAppointment(patientId, doctorId) {
        const [row] = await appointmentsRepository.list(db, { patientId, doctorId, status: 'completed', descending: true, after: null, limit: 1 });
        return row ? { id: row.id, start_at: row.start_at } : null;
      },
    },
  };
}

/**
 * Scheduling (issue 4): patient and doctor profiles, the doctor directory, availability,
 * race-free booking, the appointment lifecycle, waitlist and clinic clients.
 * Care links: see buildSchedulingServices.
 * Events published after commit: appointment.booked, appointment.cancelled,
 * appointment.rescheduled, appointment.status_changed (every change except cancellation).
 * Published inside the transaction (EventBus.publishInTransaction): the same appointment events,
 * and waitlist.offered (the offered patient's notification is written there).
 */
export const schedulingModule: AppModule = {
  name: 'scheduling',
  async routes(app, ctx) {
    for (const schema of [DoctorSchema, SlotSchema, AppointmentSchema, ClientSchema, ClientLinkSchema]) app.addSchema(schema);
    const services = ctx.services.scheduling;
    const icsHost = safeHost(ctx.config.publicBaseUrl);
    await profilesRoutes(app, ctx.db, services.profiles, services.slots, ctx.services.audit);
    await withMultipart(app, ctx, (scope) => patientPhotoRoutes(scope, ctx.services.files, services.profiles, ctx.services.audit, ctx.db));
    await appointmentsRoutes(app, ctx.db, services.appointments, services.waitlist, icsHost, ctx.services.audit, ctx.pageCache, ctx.events);
    await clientsRoutes(app, ctx.db, services.clients);
  },
  seedDemo: (ctx) => seedSchedulingDemo(ctx),
};

function safeHost(url: string): string {
  try {
    return new URL(url).hostname || 'carebridge.local';
  } catch {
    return 'carebridge.local';
  }
}
