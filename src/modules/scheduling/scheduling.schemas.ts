import { Type, type Static } from 'typebox';
import { DateTime, Uuid } from '../../platform/http/schemas.js';
import { TimeFilter, TzParam } from '../../platform/http/time-filter.js';

/** The fixed specialty list (docs/API.md §2). Other areas (infections consult) use these names. */
export const SPECIALTIES = [
  'general_practice',
  'internal_medicine',
  'dermatology',
  'cardiology',
  'pediatrics',
  'neurology',
  'psychiatry',
  'orthopedics',
  'gynecology',
  'ophthalmology',
  'ent',
  'endocrinology',
  'gastroenterology',
  'pulmonology',
  'urology',
  'oncology',
] as const;
export type Specialty = (typeof SPECIALTIES)[number];
export const SpecialtySchema = Type.Union(
  SPECIALTIES.map((s) => Type.Literal(s)),
  {
    description:
      'A specialty from the fixed list. Common synonyms are accepted and mapped (e.g. "dermatologist" or "skin" → dermatology, "GP" → general_practice, "cardiologist" or "heart" → cardiology; see specialties.ts).',
  },
);

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
/** Times are taken as strings and parsed by the service, so a missing offset gets its own 422. */
const TimeInput = Type.String({ minLength: 1, maxLength: 40, description: 'RFC 3339 date-time with offset' });
const DateOnly = Type.String({ format: 'date', description: 'YYYY-MM-DD' });
const HourMinute = Type.String({ pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$', description: 'HH:mm local time' });
const TimeZone = Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Berlin' });
const Text = (max: number) => Type.String({ maxLength: max });
const ShortList = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50 });
const Phone = Type.String({ minLength: 5, maxLength: 32, pattern: '^\\+?[0-9 ()./-]+$' });
export const AppointmentTypeSchema = Type.Union([Type.Literal('video'), Type.Literal('in_person'), Type.Literal('chat')]);
export const AppointmentStatusSchema = Type.Union([
  Type.Literal('scheduled'),
  Type.Literal('confirmed'),
  Type.Literal('in_progress'),
  Type.Literal('completed'),
  Type.Literal('cancelled'),
  Type.Literal('no_show'),
]);
const SexSchema = Type.Union([Type.Literal('female'), Type.Literal('male'), Type.Literal('other'), Type.Literal('unknown')]);
const SlotStateSchema = Type.Union([Type.Literal('free'), Type.Literal('held'), Type.Literal('booked'), Type.Literal('blocked')]);

// ---------- profiles ----------

export const DoctorSchema = Type.Object(
  {
    id: Uuid,
    full_name: Type.String(),
    specialty: Nullable(Type.String()),
    qualifications: Type.Array(Type.String()),
    bio: Nullable(Type.String()),
    languages: Type.Array(Type.String()),
    consultation_fee: Nullable(Type.Number()),
    time_zone: Type.String(),
    default_slot_minutes: Type.Integer(),
    buffer_minutes: Type.Integer(),
    next_available: Nullable(DateTime),
  },
  { $id: 'Doctor', additionalProperties: false },
);
export type DoctorDto = Static<typeof DoctorSchema>;

export const DoctorMeBody = Type.Object(
  {
    specialty: Type.Optional(SpecialtySchema),
    qualifications: Type.Optional(ShortList),
    bio: Type.Optional(Nullable(Text(4000))),
    languages: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z]{2,4})?$' }), { maxItems: 20, description: 'ISO 639 codes, e.g. "en", "de"' }),
    ),
    consultation_fee: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 100000 }))),
    time_zone: Type.Optional(TimeZone),
    default_slot_minutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 480 })),
    buffer_minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
  },
  { additionalProperties: false },
);
export type DoctorMeBody = Static<typeof DoctorMeBody>;

export const DoctorListQuery = Type.Object(
  {
    specialty: Type.Optional(SpecialtySchema),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    language: Type.Optional(Type.String({ minLength: 2, maxLength: 10 })),
    available_from: Type.Optional(TimeFilter),
    tz: Type.Optional(TzParam),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type DoctorListQuery = Static<typeof DoctorListQuery>;

const EmergencyContactSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), phone: Phone, relationship: Type.Optional(Type.String({ maxLength: 100 })) },
  { additionalProperties: false },
);

export const PatientProfileSchema = Type.Object(
  {
    user_id: Uuid,
    full_name: Type.String(),
    email: Type.String(),
    date_of_birth: Nullable(Type.String()),
    sex: Nullable(SexSchema),
    phone: Nullable(Type.String()),
    address: Nullable(Type.String()),
    allergies: Type.Array(Type.String()),
    chronic_conditions: Type.Array(Type.String()),
    emergency_contact: Nullable(EmergencyContactSchema),
    time_zone: Type.String(),
    photo_file_id: Nullable(Uuid),
    updated_at: Nullable(DateTime),
  },
  { additionalProperties: false },
);
export type PatientProfileDto = Static<typeof PatientProfileSchema>;

export const PatientMeBody = Type.Object(
  {
    date_of_birth: Type.Optional(Nullable(DateOnly)),
    sex: Type.Optional(Nullable(SexSchema)),
    phone: Type.Optional(Nullable(Phone)),
    address: Type.Optional(Nullable(Text(500))),
    allergies: Type.Optional(ShortList),
    chronic_conditions: Type.Optional(ShortList),
    emergency_contact: Type.Optional(Nullable(EmergencyContactSchema)),
    time_zone: Type.Optional(TimeZone),
    photo_file_id: Type.Optional(Nullable(Uuid)),
  },
  { additionalProperties: false },
);
export type PatientMeBody = Static<typeof PatientMeBody>;

// ---------- slots ----------

export const SlotSchema = Type.Object(
  {
    id: Uuid,
    doctor_id: Uuid,
    start: DateTime,
    end: DateTime,
    state: SlotStateSchema,
    time_zone: Type.String({ description: "the doctor's zone" }),
    start_local: Type.String({ description: "start in the doctor's zone, with offset" }),
    end_local: Type.String(),
  },
  { $id: 'Slot', additionalProperties: false },
);
export type SlotDto = Static<typeof SlotSchema>;

export const CreateSlotBody = Type.Object(
  {
    start: TimeInput,
    end: Type.Optional(TimeInput),
    duration_minutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 480 })),
    state: Type.Optional(Type.Union([Type.Literal('free'), Type.Literal('blocked')], { description: '"blocked" marks time as unavailable' })),
  },
  { additionalProperties: false },
);
export type CreateSlotBody = Static<typeof CreateSlotBody>;

const Weekday = Type.Union([Type.Integer({ minimum: 1, maximum: 7 }), ...['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => Type.Literal(d))]);

export const SlotsRangeBody = Type.Object(
  {
    start_date: DateOnly,
    end_date: DateOnly,
    days_of_week: Type.Optional(
      Type.Array(Weekday, { minItems: 1, maxItems: 7, description: 'ISO weekdays 1 = Monday … 7 = Sunday, or "mon"…"sun"; default Monday–Friday' }),
    ),
    day_start: HourMinute,
    day_end: HourMinute,
    slot_minutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 480 })),
    break_minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240, description: 'gap after each slot' })),
    breaks: Type.Optional(
      Type.Array(Type.Object({ start: HourMinute, end: HourMinute }, { additionalProperties: false }), {
        maxItems: 10,
        description: 'local windows without slots, e.g. lunch',
      }),
    ),
    time_zone: Type.Optional(TimeZone),
  },
  { additionalProperties: false },
);
export type SlotsRangeBody = Static<typeof SlotsRangeBody>;

export const SlotsRangeResult = Type.Object({
  created: Type.Integer(),
  skipped: Type.Integer({ description: 'overlapping existing slots or already past' }),
  items: Type.Array(Type.Ref('Slot')),
});

export const OwnSlotsQuery = Type.Object(
  {
    from: Type.Optional(TimeFilter),
    to: Type.Optional(TimeFilter),
    tz: Type.Optional(TzParam),
    state: Type.Optional(SlotStateSchema),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type OwnSlotsQuery = Static<typeof OwnSlotsQuery>;

export const PublicSlotsQuery = Type.Object(
  {
    from: Type.Optional(TimeFilter),
    to: Type.Optional(TimeFilter),
    tz: Type.Optional(TzParam),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type PublicSlotsQuery = Static<typeof PublicSlotsQuery>;

// ---------- appointments ----------

export const AppointmentSchema = Type.Object(
  {
    id: Uuid,
    slot_id: Uuid,
    doctor_id: Uuid,
    patient_id: Uuid,
    doctor_name: Type.String(),
    patient_name: Type.String(),
    start: DateTime,
    end: DateTime,
    type: AppointmentTypeSchema,
    status: AppointmentStatusSchema,
    reason: Nullable(Type.String()),
    notes: Nullable(Type.String()),
    cancel_reason: Nullable(Type.String()),
    cancelled_by: Nullable(Uuid),
    cancelled_at: Nullable(DateTime),
    reschedule_count: Type.Integer(),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { $id: 'Appointment', additionalProperties: false },
);
export type AppointmentDto = Static<typeof AppointmentSchema>;

export const BookBody = Type.Object(
  {
    slot_id: Type.Optional(Uuid),
    doctor_id: Type.Optional(Uuid),
    start: Type.Optional(TimeInput),
    type: Type.Optional(AppointmentTypeSchema),
    reason: Type.Optional(Text(2000)),
    patient_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type BookBody = Static<typeof BookBody>;

export const RequestBody = Type.Object(
  {
    specialty: Type.Optional(SpecialtySchema),
    doctor_id: Type.Optional(Uuid),
    after: Type.Optional(TimeInput),
    type: Type.Optional(AppointmentTypeSchema),
    reason: Type.Optional(Text(2000)),
  },
  { additionalProperties: false },
);
export type RequestBody = Static<typeof RequestBody>;

export const AppointmentListQuery = Type.Object(
  {
    status: Type.Optional(AppointmentStatusSchema),
    from: Type.Optional(TimeFilter),
    to: Type.Optional(TimeFilter),
    tz: Type.Optional(TzParam),
    doctor_id: Type.Optional(Uuid),
    patient_id: Type.Optional(Uuid),
    type: Type.Optional(AppointmentTypeSchema),
    sort: Type.Optional(Type.Union([Type.Literal('start'), Type.Literal('-start')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type AppointmentListQuery = Static<typeof AppointmentListQuery>;

export const PatchAppointmentBody = Type.Object(
  { reason: Type.Optional(Nullable(Text(2000))), notes: Type.Optional(Nullable(Text(10000))) },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchAppointmentBody = Static<typeof PatchAppointmentBody>;

export const StatusBody = Type.Object(
  { status: AppointmentStatusSchema, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) },
  { additionalProperties: false },
);
export type StatusBody = Static<typeof StatusBody>;

export const CancelBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });
export const RescheduleBody = Type.Object({ slot_id: Uuid }, { additionalProperties: false });

// ---------- waitlist ----------

export const WaitlistEntrySchema = Type.Object(
  {
    id: Uuid,
    patient_id: Uuid,
    doctor_id: Nullable(Uuid),
    specialty: Nullable(Type.String()),
    from: DateTime,
    to: DateTime,
    type: Nullable(AppointmentTypeSchema),
    status: Type.String(),
    offered_slot_id: Nullable(Uuid),
    created_at: DateTime,
  },
  { additionalProperties: false },
);
export type WaitlistEntryDto = Static<typeof WaitlistEntrySchema>;

export const JoinWaitlistBody = Type.Object(
  {
    doctor_id: Type.Optional(Uuid),
    specialty: Type.Optional(SpecialtySchema),
    from_date: DateOnly,
    to_date: DateOnly,
    type: Type.Optional(AppointmentTypeSchema),
    time_zone: Type.Optional(TimeZone),
  },
  { additionalProperties: false },
);
export type JoinWaitlistBody = Static<typeof JoinWaitlistBody>;

// ---------- clients ----------

export const ClientSchema = Type.Object(
  {
    id: Uuid,
    first_name: Type.String(),
    last_name: Type.String(),
    full_name: Type.String(),
    email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
    date_of_birth: Nullable(Type.String()),
    sex: Nullable(SexSchema),
    address: Nullable(Type.String()),
    medical_history: Nullable(Type.String()),
    notes: Nullable(Type.String()),
    assigned_doctor_id: Nullable(Uuid),
    user_id: Nullable(Uuid),
    /** `pending`: the patient has not accepted the link yet (no access through it); `active`: accepted, or made by an admin. */
    user_link_status: Nullable(Type.Union([Type.Literal('pending'), Type.Literal('active')])),
    created_by: Uuid,
    created_at: DateTime,
    updated_at: DateTime,
  },
  { $id: 'Client', additionalProperties: false },
);

/** A patient's view of a clinic record that names their account (issue 11: consent to the link). */
export const ClientLinkSchema = Type.Object(
  {
    client_id: Uuid,
    status: Type.Union([Type.Literal('pending'), Type.Literal('active')]),
    full_name: Type.String(),
    assigned_doctor: Nullable(Type.Object({ id: Uuid, full_name: Type.String() })),
    requested_by: Nullable(Type.Object({ id: Uuid, full_name: Type.String(), role: Type.String() })),
    requested_at: DateTime,
    confirmed_at: Nullable(DateTime),
  },
  { $id: 'ClientLink', additionalProperties: false },
);
export type ClientLinkDto = Static<typeof ClientLinkSchema>;
export type ClientDto = Static<typeof ClientSchema>;

const ClientFields = {
  first_name: Type.String({ minLength: 1, maxLength: 100 }),
  last_name: Type.String({ minLength: 1, maxLength: 100 }),
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 254 }))),
  phone: Type.Optional(Nullable(Phone)),
  date_of_birth: Type.Optional(Nullable(DateOnly)),
  sex: Type.Optional(Nullable(SexSchema)),
  address: Type.Optional(Nullable(Text(500))),
  medical_history: Type.Optional(Nullable(Text(20000))),
  notes: Type.Optional(Nullable(Text(10000))),
  assigned_doctor_id: Type.Optional(Nullable(Uuid)),
  user_id: Type.Optional(Nullable(Uuid)),
};
export const CreateClientBody = Type.Object(ClientFields, { additionalProperties: false });
export type CreateClientBody = Static<typeof CreateClientBody>;
export const UpdateClientBody = Type.Partial(Type.Object(ClientFields, { additionalProperties: false }), { additionalProperties: false, minProperties: 1 });
export type UpdateClientBody = Static<typeof UpdateClientBody>;

export const ClientListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    assigned_doctor_id: Type.Optional(Uuid),
    sort: Type.Optional(Type.Union([Type.Literal('created_at'), Type.Literal('-created_at'), Type.Literal('last_name'), Type.Literal('-last_name')])),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
  },
  { additionalProperties: false },
);
export type ClientListQuery = Static<typeof ClientListQuery>;
