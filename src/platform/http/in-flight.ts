import type { FastifyInstance, RouteHandlerMethod, RouteOptions } from 'fastify';

/**
 * Counts route handlers that are still running, so shutdown can wait for them before the
 * database closes.
 *
 * Fastify's close() resolves once every connection is gone. A client that disconnects while
 * its request is being handled (a load generator stopping, a browser tab closed) takes its
 * connection with it, but the handler goes on: it still awaits its query and its audit write
 * (audit/group-commit.ts). Closing the pool at that moment failed those writes with "driver
 * has already been destroyed" — and an audit row of a read that did happen was lost. So
 * close() waits for `idle()` between closing the server and closing the database.
 *
 * Each handler is wrapped once at registration (onRoute); a synchronous handler costs a
 * counter, an async one a `.finally` on its promise.
 */
export class InFlight {
  private running = 0;
  private waiters: (() => void)[] = [];

  get count(): number {
    return this.running;
  }

  register(app: FastifyInstance): void {
    app.addHook('onRoute', (route: RouteOptions & { websocket?: boolean }) => {
      // A WebSocket handler lives as long as its socket; modules close those on stop.
      if (!route.websocket) route.handler = this.wrap(route.handler);
    });
  }

  private wrap(handler: RouteHandlerMethod): RouteHandlerMethod {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the handler's own `this` is the Fastify instance
    const tracker = this;
    return function (this: FastifyInstance, request, reply) {
      tracker.running++;
      let result: unknown;
      try {
        result = handler.call(this, request, reply);
      } catch (err) {
        tracker.done();
        throw err;
      }
      if (result && typeof (result as Promise<unknown>).then === 'function') return (result as Promise<unknown>).finally(() => tracker.done());
      tracker.done();
      return result;
    } as RouteHandlerMethod;
  }

  private done(): void {
    if (--this.running === 0 && this.waiters.length) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Resolves when no handler is running, or after `timeoutMs` (returns false then). */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== finish);
        resolve(false);
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(finish);
    });
  }
}
