import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { LazyCompiler } from './lazy-compile.js';

type SerializerFactory = ReturnType<typeof SerializerSelector>;
type Serializer = (doc: unknown) => string;

/**
 * Fastify's own response serializers (fast-json-stringify, same options, same shared
 * schemas), compiled when a route first replies instead of all at start-up (~1 s of start-up
 * CPU when eager); see lazy-compile.ts for when the rest are compiled.
 */
export function lazySerializers() {
  const compiler = new LazyCompiler();
  const buildSerializer: SerializerFactory = (externalSchemas, options) => (route) => {
    // A factory per route: the default one shares its options object between routes
    // and edits it when a route's schema is itself a shared one.
    const serializer = compiler.once<Serializer>(() => SerializerSelector()(externalSchemas, options)(route));
    return (doc) => serializer()(doc);
  };
  return { buildSerializer, warm: (onError: (err: unknown) => void) => compiler.warm(onError), stop: () => compiler.stop() };
}
