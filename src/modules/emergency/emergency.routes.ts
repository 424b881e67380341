import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { publicAccess } from '../../platform/http/auth.js';
import { problemResponses } from '../../platform/http/schemas.js';
import type { EventBus } from '../../platform/events.js';
import { detectEmergency } from './detector.js';
import { MAX_INPUT_CHARS } from '../clinical-text/index.js';

const Level = Type.Union([Type.Literal('emergency_ambulance'), Type.Literal('emergency'), Type.Literal('consultation_24'), Type.Literal('none')]);

export const EmergencyCheckReply = Type.Object({
  is_emergency: Type.Boolean(),
  level: Level,
  matched: Type.Array(
    Type.Object({
      category: Type.String(),
      phrase: Type.String(),
      span: Type.Array(Type.Integer(), { minItems: 2, maxItems: 2 }),
      rule: Type.Optional(Type.String()),
      level: Type.Optional(Level),
    }),
  ),
  advice: Type.String(),
  crisis_resources: Type.Optional(Type.Array(Type.Object({ name: Type.String(), contact: Type.String() }))),
});

/**
 * `POST /ml/emergency/check` (docs/API.md §7.2). Public on purpose: someone in trouble must not
 * need an account to be told to call for help. When a signed-in patient's text is an
 * emergency, the care team is alerted through the `emergency.detected` event.
 */
export async function emergencyRoutes(root: FastifyInstance, events: EventBus): Promise<void> {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.post('/ml/emergency/check', {
    config: { access: publicAccess },
    schema: {
      tags: ['emergency'],
      summary: 'Is this text describing an emergency happening now? (negation, history, hypotheticals and third parties handled)',
      body: Type.Object({ text: Type.String({ minLength: 1, maxLength: MAX_INPUT_CHARS }) }, { additionalProperties: false }),
      response: { 200: EmergencyCheckReply, ...problemResponses },
    },
    handler: async (request) => {
      const result = detectEmergency(request.body.text);
      const actor = request.actor;
      if (result.is_emergency && actor?.role === 'patient') {
        await events.publish('emergency.detected', {
          patientId: actor.id,
          source: 'emergency_check',
          level: result.level,
          matched: result.matched.map((m) => ({ category: m.category, phrase: m.phrase })),
        });
      }
      return result;
    },
  });
}
