import { Type } from 'typebox';
import { DateTime, Uuid } from '../../platform/http/schemas.js';

const TriageLevel = Type.Union(['emergency_ambulance', 'emergency', 'consultation_24', 'consultation', 'self_care'].map((l) => Type.Literal(l)));
const EvidenceState = Type.Union([Type.Literal('present'), Type.Literal('absent')]);

export const StartBody = Type.Object(
  {
    age: Type.Optional(
      Type.Number({
        description:
          'Age in years (0–120; fractions for babies). Defaults to the signed-in patient\'s date of birth; an age stated in the text ("my 9 month old") is used for the person described.',
      }),
    ),
    sex: Type.Optional(Type.Union([Type.Literal('male'), Type.Literal('female')], { description: "Defaults to the signed-in patient's profile." })),
    symptoms: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 30 })),
    text: Type.Optional(Type.String({ maxLength: 2000, description: 'Free text, e.g. "I have a cough and no fever".' })),
    duration_days: Type.Optional(Type.Number({ minimum: 0, maximum: 36500 })),
    pregnant: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  },
  { additionalProperties: false },
);

export const ContinueBody = Type.Object(
  {
    session_id: Uuid,
    answer: Type.Object(
      {
        question_id: Type.String({ minLength: 1, maxLength: 100 }),
        value: Type.String({ minLength: 1, maxLength: 100, description: 'present | absent | unknown, or an option id of a single/duration question' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const FeedbackBody = Type.Object(
  {
    session_id: Uuid,
    actual_condition: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Condition id from GET /ml/symptom-checker/conditions' })),
    helpful: Type.Boolean(),
    rating: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    comment: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

const Question = Type.Object({
  id: Type.String(),
  text: Type.String(),
  type: Type.Union([Type.Literal('yes_no'), Type.Literal('single'), Type.Literal('duration')]),
  options: Type.Optional(Type.Array(Type.Object({ id: Type.String(), label: Type.String() }))),
});

export const InterviewReply = Type.Object(
  {
    session_id: Uuid,
    question: Type.Union([Question, Type.Null()]),
    conditions: Type.Array(
      Type.Object({ id: Type.String(), name: Type.String(), probability: Type.Number(), icd10: Type.Optional(Type.String()), triage: TriageLevel }),
    ),
    triage: Type.Object({
      level: TriageLevel,
      reason: Type.String(),
      red_flags: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), level: Type.String(), source: Type.String() })),
    }),
    should_stop: Type.Boolean(),
    stop_reason: Type.Union([Type.String(), Type.Null()]),
    questions_asked: Type.Integer(),
    recognised: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), state: EvidenceState, text: Type.String() })),
    unrecognised: Type.Array(Type.Object({ text: Type.String(), suggestions: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })) })),
    understood: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), state: EvidenceState }), {
      description: 'The findings read from the description, each with its final state (a later statement wins over an earlier one).',
    }),
    quantities: Type.Optional(
      Type.Object(
        {
          age_years: Type.Optional(Type.Number({ description: 'The age used (stated in the text, else given, else from the profile).' })),
          gestation_weeks: Type.Optional(Type.Number()),
          temperature_c: Type.Optional(Type.Number()),
          heart_rate: Type.Optional(Type.Number()),
          duration_days: Type.Optional(Type.Number()),
        },
        { description: 'Numbers read from the text besides the findings, so the patient can check them.' },
      ),
    ),
    disclaimer: Type.String(),
    created_at: Type.Optional(DateTime),
    expires_at: Type.Optional(DateTime),
  },
  { $id: 'SymptomInterview' },
);

export const HistoryItem = Type.Object({
  session_id: Uuid,
  created_at: DateTime,
  updated_at: DateTime,
  finished: Type.Boolean(),
  triage_level: TriageLevel,
  top_condition: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
  questions_asked: Type.Integer(),
  feedback_given: Type.Boolean(),
});

export const FeedbackReply = Type.Object({ id: Uuid, session_id: Uuid, status: Type.Literal('pending'), created_at: DateTime });

const Summary = Type.Unknown({ description: 'Largest prior and likelihood adjustments, vote counts and rejections (see MODEL.md).' });
export const ModelOverview = Type.Object({
  active_version: Type.Union([Uuid, Type.Null()]),
  pending_feedback: Type.Integer(),
  summary: Type.Union([Summary, Type.Null()]),
  versions: Type.Array(
    Type.Object({
      id: Uuid,
      feedback_applied: Type.Integer(),
      active: Type.Boolean(),
      created_at: DateTime,
      created_by: Type.Union([Uuid, Type.Null()]),
      note: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
});
export const ApplyReply = Type.Object({
  version_id: Type.Union([Uuid, Type.Null()]),
  feedback_applied: Type.Integer(),
  summary: Type.Union([Summary, Type.Null()]),
});
