import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector>;
type Serializer = (doc: unknown) => string;

/**
 * Fastify's own response serializers (fast-json-stringify, same options, same shared
 * schemas), compiled when a route first replies instead of all at start-up: generating and
 * compiling them for every route and status was ~1 s of start-up CPU (docs/BENCHMARKS.md,
 * Footprint). `warm()` then compiles the rest in the background once the server listens,
 * one per event-loop turn, so the steady state is the same as eager compilation and a
 * schema that cannot compile is still reported at start-up (and answers 500 if used).
 */
export function lazySerializers() {
  const pending = new Set<() => Serializer>();
  let stopped = false;

  const buildSerializer: SerializerFactory = (externalSchemas, options) => (route) => {
    let serializer: Serializer | null = null;
    const compile = () => {
      pending.delete(compile);
      // A factory per route: the default one shares its options object between routes
      // and edits it when a route's schema is itself a shared one.
      serializer ??= SerializerSelector()(externalSchemas, options)(route);
      return serializer;
    };
    pending.add(compile);
    return (doc) => (serializer ?? compile())(doc);
  };

  return {
    buildSerializer,
    async warm(onError: (err: unknown) => void): Promise<void> {
      for (const compile of pending) {
        if (stopped) return;
        try {
          compile();
        } catch (err) {
          onError(err);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    stop() {
      stopped = true;
    },
  };
}
