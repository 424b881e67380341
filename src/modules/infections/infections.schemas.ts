import { Type } from 'typebox';
import { DateTime, Uuid } from '../../platform/http/schemas.js';
import { LABELS } from './analysis/score.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const ConsultSummarySchema = Type.Object({
  id: Uuid,
  status: Type.Union([Type.Literal('booked'), Type.Literal('waitlisted'), Type.Literal('cancelled')], {
    description: 'cancelled: the consult appointment was cancelled; the record is no longer shared with that doctor (docs/SECURITY.md).',
  }),
  doctor_id: Nullable(Uuid),
  appointment_id: Nullable(Uuid),
  waitlist_entry_id: Nullable(Uuid),
  chat_room_id: Nullable(Uuid),
  created_at: DateTime,
  ended_at: Nullable(DateTime),
});

export const InfectionRecordSchema = Type.Object(
  {
    id: Uuid,
    patient_id: Uuid,
    created_at: DateTime,
    body_site: Nullable(Type.String()),
    notes: Nullable(Type.String()),
    scale_mm_per_px: Nullable(Type.Number()),
    predictions: Type.Array(Type.Object({ label: Type.String(), probability: Type.Number() }), {
      description: `Over a fixed label set (${LABELS.join(', ')}) for the rule-based analyser, or the configured model's labels.`,
    }),
    top_label: Type.String(),
    confidence: Type.Number({
      description: 'Probability of top_label. For the rule-based analyser: how strongly the rules point, not a calibrated accuracy (docs/DERMA.md).',
    }),
    risk: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
    features: Type.Object(
      {},
      {
        additionalProperties: true,
        description:
          'The measured features (asymmetry, border, colours, structures, diameter, erythema, texture, quality) and the total dermoscopy score (docs/DERMA.md).',
      },
    ),
    explanation: Type.Array(Type.String()),
    image_file_id: Uuid,
    image_url: Type.String(),
    model: Type.Object({
      name: Type.String(),
      version: Type.String(),
      kind: Type.Union([Type.Literal('rules'), Type.Literal('onnx')]),
      description: Type.String(),
    }),
    disclaimer: Type.String(),
    recommendation: Type.Object({
      see_dermatologist: Type.Boolean(),
      urgency: Type.Union([Type.Literal('none'), Type.Literal('routine'), Type.Literal('soon')]),
      text: Type.String(),
      consult: Type.Object({ method: Type.Literal('POST'), href: Type.String() }),
    }),
    consult: Nullable(ConsultSummarySchema),
  },
  { $id: 'InfectionRecord' },
);

export const DiagnoseQuery = Type.Object(
  {
    body_site: Type.Optional(Type.String({ maxLength: 100 })),
    notes: Type.Optional(Type.String({ maxLength: 2000 })),
    scale_mm_per_px: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 10 })),
  },
  { additionalProperties: false },
);

export const ConsultBodySchema = Type.Object(
  {
    type: Type.Optional(Type.Union([Type.Literal('video'), Type.Literal('in_person'), Type.Literal('chat')])),
    after: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
