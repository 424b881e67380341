import { OutboxSealer } from '../../src/platform/mail.js';

/**
 * The text of an `email_outbox` body as it would be sent: a body with a one-time link is
 * stored sealed (review L9, src/platform/mail.ts), and tests read the link the way the
 * sender does, with the instance's key.
 */
export function outboxText(ctx: { config: { jwtSecret: string } }, body: string): string {
  return OutboxSealer.isSealed(body) ? new OutboxSealer(ctx.config.jwtSecret).open(body) : body;
}
