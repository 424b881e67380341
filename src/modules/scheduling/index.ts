import type { AppContext, AppModule } from '../../platform/context.js';
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
import { filesFor, withMultipart } from '../files/index.js';
import { FilesRepository } from '../files/files.repository.js';
import { IMAGE_TYPES, type AllowedType } from '../files/upload.js';
import { appointmentsRoutes } from './appointments.routes.js';
import { clientsRoutes } from './clients.routes.js';
import { AppointmentSchema, ClientLinkSchema, ClientSchema, DoctorSchema, SlotSchema } from './scheduling.schemas.js';
import { auditFor } from '../audit/index.js';
import { seedSchedulingDemo } from './demo.js';
import './scheduling.tables.js';

export { SPECIALTIES, type Specialty, type AppointmentDto } from './scheduling.schemas.js';
export { canonicalSpecialty } from './specialties.js';
export { PatientProfileSchema, type PatientProfileDto } from './scheduling.schemas.js';

/**
 * Patient demographics for other areas (medical's GET /patients/{id} and prescription
 * checks): the profile as GET /patients/me shows it, or null when the id is not a patient.
 * It does not check access: the caller does, through ctx.care.
 */
export function patientProfilesFor(ctx: AppContext): { profile(patientId: string): Promise<import('./scheduling.schemas.js').PatientProfileDto | null> } {
  const profiles = new ProfilesService(ctx.db, new ProfilesRepository());
  return { profile: (patientId) => profiles.patientProfile(patientId) };
}

/** The time zone a user's profile shows (patient or doctor profile, else the account's): plain dates in filters are days in it. */
export function timeZonesFor(ctx: AppContext): (userId: string) => Promise<string | null> {
  const repository = new ProfilesRepository();
  return (userId) => repository.timeZoneOf(ctx.db, userId);
}
export { APPOINTMENT_EVENTS, type AppointmentEvent, type AppointmentCancelledEvent, type AppointmentRescheduledEvent, type AppointmentStatusChangedEvent } from './appointments.service.js';
export type { WaitlistOffer } from './waitlist.service.js';
export { AppointmentsService } from './appointments.service.js';

export interface SchedulingServices {
  profilesRepository: ProfilesRepository;
  slotsRepository: SlotsRepository;
  appointmentsRepository: AppointmentsRepository;
  profiles: ProfilesService;
  slots: SlotsService;
  appointments: AppointmentsService;
  waitlist: WaitlistService;
  clients: ClientsService;
}

/** The scheduling services of one app instance (other areas, e.g. infections consult, book through `appointments`). */
export function createSchedulingServices(ctx: AppContext): SchedulingServices {
  const profilesRepository = new ProfilesRepository();
  const slotsRepository = new SlotsRepository();
  const appointmentsRepository = new AppointmentsRepository();
  const waitlist = new WaitlistService(ctx.db, new WaitlistRepository(), profilesRepository);
  return {
    profilesRepository,
    slotsRepository,
    appointmentsRepository,
    profiles: new ProfilesService(ctx.db, profilesRepository, async (actor, fileId) => {
      const files = filesFor(ctx);
      const file = await new FilesRepository().findById(ctx.db, fileId);
      return Boolean(file && IMAGE_TYPES.has(file.content_type as AllowedType) && (await files.canRead(ctx.db, actor, fileId)));
    }),
    slots: new SlotsService(ctx.db, slotsRepository, profilesRepository),
    appointments: new AppointmentsService(ctx.db, appointmentsRepository, profilesRepository, waitlist, ctx.care, ctx.events),
    waitlist,
    clients: new ClientsService(ctx.db, new ClientsRepository(), profilesRepository, auditFor(ctx)),
  };
}

/**
 * Scheduling (issue 4): patient and doctor profiles, the doctor directory, availability,
 * race-free booking, the appointment lifecycle, waitlist and clinic clients.
 *
 * Care links registered (platform/access.ts):
 *  - `appointment`: the doctor has or had a NON-cancelled appointment with the patient
 *    (scheduled, confirmed, in progress, completed or no-show). A booking cancelled before
 *    any encounter does not open the patient's record to that doctor.
 *  - `assigned_client`: a live clinic client record links the patient account (user_id)
 *    to the doctor (assigned_doctor_id).
 * Events published after commit: appointment.booked, appointment.cancelled,
 * appointment.rescheduled, appointment.status_changed (every change except cancellation),
 * waitlist.offered.
 */
export const schedulingModule: AppModule = {
  name: 'scheduling',
  async routes(app, ctx) {
    for (const schema of [DoctorSchema, SlotSchema, AppointmentSchema, ClientSchema, ClientLinkSchema]) app.addSchema(schema);
    const services = createSchedulingServices(ctx);
    const clientsRepository = new ClientsRepository();
    ctx.care.register('appointment', (db, doctorId, patientId) => services.appointmentsRepository.hasCareLink(db, doctorId, patientId));
    ctx.care.register('assigned_client', (db, doctorId, patientId) => clientsRepository.isAssigned(db, doctorId, patientId));
    ctx.events.subscribe<{ userId: string; role: string }>('user.approved', (event) => services.profiles.createProfileOnApproval(event.userId, event.role));
    const icsHost = safeHost(ctx.config.publicBaseUrl);
    await profilesRoutes(app, ctx.db, services.profiles, services.slots);
    await withMultipart(app, ctx, (scope) => patientPhotoRoutes(scope, ctx, services.profiles));
    await appointmentsRoutes(app, ctx.db, services.appointments, services.waitlist, icsHost, auditFor(ctx));
    await clientsRoutes(app, ctx.db, services.clients);
  },
  seedDemo: (ctx) => seedSchedulingDemo(ctx, createSchedulingServices(ctx)),
};

function safeHost(url: string): string {
  try {
    return new URL(url).hostname || 'carebridge.local';
  } catch {
    return 'carebridge.local';
  }
}
