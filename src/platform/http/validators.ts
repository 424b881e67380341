import { AjvCompiler } from '@fastify/ajv-compiler';
import { LazyCompiler } from './lazy-compile.js';

type ValidatorFactory = ReturnType<typeof AjvCompiler>;
interface RouteSchema {
  schema: unknown;
  method: string;
  url: string;
  httpPart: string;
}
type Validate = ((data: unknown) => boolean) & { errors?: unknown };
type Compiler = (route: RouteSchema) => Validate;

/**
 * Fastify's own request validators (Ajv through @fastify/ajv-compiler, same options, same
 * shared schemas), compiled on a route's first request instead of for every route before the
 * server listens (~16 % of start-up CPU when eager); see lazy-compile.ts for when the rest are
 * compiled.
 *
 * A compiler factory makes Fastify treat the compiler as custom, and it then leaves header
 * schemas as given; header names arrive lower-cased, so the names in a headers schema are
 * lower-cased here as Fastify does for its default compiler (properties and required).
 */
export function lazyValidators() {
  const compiler = new LazyCompiler();
  const factory = AjvCompiler();

  const build = (...args: Parameters<ValidatorFactory>): Compiler => {
    const ajvCompiler = factory(...args) as unknown as Compiler;
    return (route) => {
      const input = route.httpPart === 'headers' ? { ...route, schema: lowerCaseHeaderNames(route.schema) } : route;
      const validate = compiler.once(() => ajvCompiler(input));
      const lazy: Validate = (data) => {
        const fn = validate();
        const ok = fn(data);
        // Fastify reads the errors from the function it was given.
        lazy.errors = fn.errors;
        return ok;
      };
      return lazy;
    };
  };
  // Typed as the factory Fastify takes; its validators are plain functions with `errors` to Fastify.
  const buildValidator = build as unknown as ValidatorFactory;
  return { buildValidator, warm: (onError: (err: unknown) => void) => compiler.warm(onError), stop: () => compiler.stop() };
}

function lowerCaseHeaderNames(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const { properties, required } = schema as { properties?: Record<string, unknown>; required?: unknown };
  const out: Record<string | symbol, unknown> = { ...schema };
  if (properties && typeof properties === 'object') {
    out.properties = Object.fromEntries(Object.entries(properties).map(([name, value]) => [name.toLowerCase(), value]));
  }
  if (Array.isArray(required)) out.required = required.map((name) => (typeof name === 'string' ? name.toLowerCase() : name));
  return out;
}
