import { Type, type Static } from 'typebox';
import { DateTime, Uuid } from '../../platform/http/schemas.js';
import { PageQuery } from '../../platform/http/pagination.js';
import { TimeFilter, TzParam } from '../../platform/http/time-filter.js';

export const RecordTypeSchema = Type.Union(['consultation', 'diagnosis', 'lab', 'imaging', 'note'].map((t) => Type.Literal(t)));
/** ICD-10 (WHO / ICD-10-CM shape): letter, two digits or digit+letter, optional dot and up to 4 more. */
export const Icd10 = Type.String({ pattern: '^[A-Za-z][0-9][0-9A-Za-z](\\.[0-9A-Za-z]{1,4})?$', maxLength: 8, description: 'ICD-10 code, e.g. J06.9' });
const DiagnosisIn = Type.Object(
  { code: Type.Optional(Type.Union([Icd10, Type.Null()])), text: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);
const DiagnosisOut = Type.Object({ code: Type.Union([Type.String(), Type.Null()]), text: Type.String() }, { additionalProperties: false });

export const RecordSchema = Type.Object(
  {
    id: Uuid,
    patient_id: Uuid,
    author_id: Uuid,
    appointment_id: Type.Union([Uuid, Type.Null()]),
    record_type: RecordTypeSchema,
    title: Type.String(),
    content: Type.String(),
    diagnoses: Type.Array(DiagnosisOut),
    version: Type.Integer(),
    created_at: DateTime,
    updated_at: DateTime,
    updated_by: Uuid,
    attachments: Type.Array(Type.Ref('File')),
  },
  { $id: 'MedicalRecord', additionalProperties: false },
);

export const RecordVersionSchema = Type.Object(
  {
    record_id: Uuid,
    version: Type.Integer(),
    record_type: RecordTypeSchema,
    title: Type.String(),
    content: Type.String(),
    diagnoses: Type.Array(DiagnosisOut),
    appointment_id: Type.Union([Uuid, Type.Null()]),
    written_by: Uuid,
    created_at: DateTime,
  },
  { $id: 'MedicalRecordVersion', additionalProperties: false },
);

export const CreateRecordBody = Type.Object(
  {
    patient_id: Uuid,
    appointment_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    record_type: RecordTypeSchema,
    title: Type.String({ minLength: 1, maxLength: 300 }),
    content: Type.String({ maxLength: 100_000 }),
    diagnoses: Type.Optional(Type.Array(DiagnosisIn, { maxItems: 50 })),
  },
  { additionalProperties: false },
);
export type CreateRecordBody = Static<typeof CreateRecordBody>;

/** PUT: the new content of the record (a new version). `version`: the version being replaced (optional optimistic lock; 409 if stale). */
export const UpdateRecordBody = Type.Object(
  {
    appointment_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    record_type: RecordTypeSchema,
    title: Type.String({ minLength: 1, maxLength: 300 }),
    content: Type.String({ maxLength: 100_000 }),
    diagnoses: Type.Optional(Type.Array(DiagnosisIn, { maxItems: 50 })),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type UpdateRecordBody = Static<typeof UpdateRecordBody>;

export const RecordListQuery = Type.Object(
  {
    ...PageQuery.properties,
    patient_id: Type.Optional(Uuid),
    record_type: Type.Optional(RecordTypeSchema),
    appointment_id: Type.Optional(Uuid),
    from: Type.Optional(TimeFilter),
    to: Type.Optional(TimeFilter),
    tz: Type.Optional(TzParam),
    sort: Type.Optional(Type.Union([Type.Literal('created_at'), Type.Literal('-created_at')], { default: '-created_at' })),
  },
  { additionalProperties: false },
);
export type RecordListQuery = Static<typeof RecordListQuery>;

const PrescriptionItem = Type.Object(
  {
    drug: Type.String({ minLength: 1, maxLength: 200 }),
    strength: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    dose: Type.String({ minLength: 1, maxLength: 100 }),
    route: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
    frequency: Type.String({ minLength: 1, maxLength: 100 }),
    duration_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    quantity: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
    refills: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 })),
    instructions: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export const PrescriptionStatusSchema = Type.Union([Type.Literal('active'), Type.Literal('completed'), Type.Literal('cancelled')]);

export const PrescriptionSchema = Type.Object(
  {
    id: Uuid,
    patient_id: Uuid,
    doctor_id: Uuid,
    appointment_id: Type.Union([Uuid, Type.Null()]),
    items: Type.Array(PrescriptionItem),
    notes: Type.Union([Type.String(), Type.Null()]),
    status: PrescriptionStatusSchema,
    status_reason: Type.Union([Type.String(), Type.Null()]),
    status_changed_at: Type.Union([DateTime, Type.Null()]),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { $id: 'Prescription', additionalProperties: false },
);

export const CreatePrescriptionBody = Type.Object(
  {
    patient_id: Uuid,
    appointment_id: Type.Optional(Type.Union([Uuid, Type.Null()])),
    items: Type.Array(PrescriptionItem, { minItems: 1, maxItems: 30 }),
    notes: Type.Optional(Type.String({ maxLength: 5000 })),
    confirm_warnings: Type.Optional(
      Type.Boolean({
        description:
          "Prescribe even though the drugs conflict with the patient's recorded allergies or active prescriptions. Without it such a request is answered 422 (code prescription-warnings) listing each conflict in errors[]. Extension to the contract, see docs/API.md.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreatePrescriptionBody = Static<typeof CreatePrescriptionBody>;

export const PrescriptionStatusBody = Type.Object(
  { status: PrescriptionStatusSchema, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })) },
  { additionalProperties: false },
);
export type PrescriptionStatusBody = Static<typeof PrescriptionStatusBody>;

export const PrescriptionListQuery = Type.Object(
  {
    ...PageQuery.properties,
    patient_id: Type.Optional(Uuid),
    status: Type.Optional(PrescriptionStatusSchema),
    appointment_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);
export type PrescriptionListQuery = Static<typeof PrescriptionListQuery>;

// ---------- allergies and the patient chart ----------

export const AllergySeveritySchema = Type.Union(['mild', 'moderate', 'severe', 'unknown'].map((v) => Type.Literal(v)));

export const AllergySchema = Type.Object(
  {
    id: Uuid,
    patient_id: Uuid,
    substance: Type.String(),
    reaction: Type.Union([Type.String(), Type.Null()]),
    severity: AllergySeveritySchema,
    notes: Type.Union([Type.String(), Type.Null()]),
    drug_class: Type.Union([Type.String(), Type.Null()], {
      description: 'The drug class this substance belongs to or names, when known (used by the prescription check)',
    }),
    recorded_by: Uuid,
    created_at: DateTime,
  },
  { $id: 'Allergy', additionalProperties: false },
);

export const CreateAllergyBody = Type.Object(
  {
    substance: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '\\S',
      description: 'A drug, drug class ("penicillin", "sulfa", "NSAIDs"), food or other substance',
    }),
    reaction: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    severity: Type.Optional(AllergySeveritySchema),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type CreateAllergyBody = Static<typeof CreateAllergyBody>;

export const AllergyParams = Type.Object({ id: Uuid, allergy_id: Uuid });
