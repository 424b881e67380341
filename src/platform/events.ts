import type { FastifyBaseLogger } from 'fastify';

/**
 * In-process domain events ("appointment.booked", "user.approved", ...).
 *
 * Publishers don't know their subscribers; handlers run after the publisher's
 * transaction has committed, one after another, and a failing handler is logged
 * without failing the request that caused the event. Cross-instance fan-out (chat,
 * presence) is a different concern and goes through PubSub instead.
 */
export type EventHandler<T = unknown> = (payload: T) => void | Promise<void>;

export interface DomainEventMap {
  [topic: string]: unknown;
}

export class EventBus {
  private readonly handlers = new Map<string, EventHandler<any>[]>();

  constructor(private readonly log: FastifyBaseLogger) {}

  subscribe<T>(topic: string, handler: EventHandler<T>): () => void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler);
    this.handlers.set(topic, list);
    return () => {
      const current = this.handlers.get(topic) ?? [];
      this.handlers.set(topic, current.filter((h) => h !== handler));
    };
  }

  async publish<T>(topic: string, payload: T): Promise<void> {
    for (const handler of this.handlers.get(topic) ?? []) {
      try {
        await handler(payload);
      } catch (err) {
        this.log.error({ err, topic }, 'domain event handler failed');
      }
    }
  }
}
