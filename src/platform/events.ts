import type { FastifyBaseLogger } from 'fastify';
import type { Tx } from './database/index.js';

/**
 * In-process domain events ("appointment.booked", "user.approved", ...).
 *
 * Publishers don't know their subscribers; handlers run after the publisher's
 * transaction has committed, one after another, and a failing handler is logged
 * without failing the request that caused the event. Cross-instance fan-out (chat,
 * presence) is a different concern and goes through PubSub instead.
 */
export type EventHandler<T = unknown> = (payload: T) => void | Promise<void>;
/** A handler that runs inside the publisher's transaction (see publishInTransaction). */
export type TransactionalEventHandler<T = unknown> = (trx: Tx, payload: T) => void | Promise<void>;

export class EventBus {
  // Each topic's handlers take that topic's payload type; the map holds them type-erased.
  private readonly handlers = new Map<string, EventHandler<never>[]>();
  private readonly txHandlers = new Map<string, TransactionalEventHandler<never>[]>();

  constructor(private readonly log: FastifyBaseLogger) {}

  subscribe<T>(topic: string, handler: EventHandler<T>): () => void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler as EventHandler<never>);
    this.handlers.set(topic, list);
    return () => {
      const current = this.handlers.get(topic) ?? [];
      this.handlers.set(
        topic,
        current.filter((h) => h !== (handler as EventHandler<never>)),
      );
    };
  }

  async publish<T>(topic: string, payload: T): Promise<void> {
    for (const handler of this.handlers.get(topic) ?? []) {
      try {
        await (handler as EventHandler<T>)(payload);
      } catch (err) {
        this.log.error({ err, topic }, 'domain event handler failed');
      }
    }
  }

  /**
   * Subscribe to an event *inside* the publisher's transaction: the handler's writes (a
   * notification, a reminder job) commit or roll back with the change itself, and an error
   * in the handler fails the publisher's transaction. Keep such handlers to a few writes on
   * `trx`; anything slow belongs in a job they enqueue.
   */
  subscribeInTransaction<T>(topic: string, handler: TransactionalEventHandler<T>): () => void {
    const list = this.txHandlers.get(topic) ?? [];
    list.push(handler as TransactionalEventHandler<never>);
    this.txHandlers.set(topic, list);
    return () => {
      const current = this.txHandlers.get(topic) ?? [];
      this.txHandlers.set(
        topic,
        current.filter((h) => h !== (handler as TransactionalEventHandler<never>)),
      );
    };
  }

  /** Runs the transactional subscribers of `topic` on `trx`, in order; the first error propagates. */
  async publishInTransaction<T>(trx: Tx, topic: string, payload: T): Promise<void> {
    for (const handler of this.txHandlers.get(topic) ?? []) await (handler as TransactionalEventHandler<T>)(trx, payload);
  }
}
