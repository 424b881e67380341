import { Type } from 'typebox';
import { Uuid } from '../../platform/http/schemas.js';
import { MAX_ASSISTANT_MESSAGE } from './assistants.service.js';

export const AssistantBody = Type.Object(
  {
    message: Type.String({ maxLength: MAX_ASSISTANT_MESSAGE, description: 'What the user wrote (blank gets a prompt back)' }),
    conversation_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

const DateEntity = Type.Object(
  { value: Type.String(), phrase: Type.String(), from: Type.String(), to: Type.String(), grain: Type.String() },
  { additionalProperties: false },
);

export const AssistantReplySchema = Type.Object(
  {
    reply: Type.String(),
    conversation_id: Uuid,
    intent: Type.String({ description: 'One of the role\'s intents (docs/API.md §7.3), or "out_of_scope"' }),
    entities: Type.Object(
      {
        specialty: Type.Optional(Type.String()),
        doctor_name: Type.Optional(Type.String()),
        patient_name: Type.Optional(Type.String()),
        date: Type.Optional(DateEntity),
        drug: Type.Optional(Type.String()),
        dose: Type.Optional(Type.String()),
        route: Type.Optional(Type.String()),
        frequency: Type.Optional(Type.String()),
        duration_days: Type.Optional(Type.Integer()),
      },
      { additionalProperties: false },
    ),
    actions: Type.Array(
      Type.Object(
        {
          type: Type.String(),
          status: Type.Union([Type.Literal('completed'), Type.Literal('pending_confirmation'), Type.Literal('failed'), Type.Literal('declined')]),
          resource: Type.Optional(Type.Object({ type: Type.String(), id: Uuid }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
    suggestions: Type.Array(Type.String()),
    emergency: Type.Boolean(),
  },
  { $id: 'AssistantReply', additionalProperties: false },
);
