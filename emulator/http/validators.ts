import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

// Fastify compiles every route's JSON schemas with Ajv (and its response
// schemas with fast-json-stringify) when an app becomes ready; with the control
// API, the web service and the application execution module that was most of a
// site's start-up time. Here a schema is compiled on the first request (or the
// first reply) that needs it, once per process: later sites (a test suite
// starts many) reuse the compiled function. Ajv (with ajv-formats and fast-uri)
// and fast-json-stringify load with the first schema compiled, not at start-up.

type ValidateFn = ((data: unknown) => unknown) & { errors?: unknown };
type RouteDefinition = { schema?: unknown; httpPart?: string };
type SerializeFn = (data: unknown) => string;
type SerializerRoute = { schema?: unknown; httpStatus?: string; contentType?: string };

/**
 * One of Fastify's own compiler pools (`module`: one compiler per set of shared schemas and
 * options), loaded on first use, with the functions each compiler made kept by key.
 */
function lazyPool<Route, Fn>(module: string) {
  let pool: ((externalSchemas: unknown, options: unknown) => (route: Route) => Fn) | undefined;
  const compiledByCompiler = new WeakMap<object, Map<string, Fn>>();
  return (externalSchemas: unknown, options: unknown) => {
    pool ??= (createRequire(import.meta.url)(module) as () => NonNullable<typeof pool>)();
    const compile = pool(externalSchemas, options);
    let compiled = compiledByCompiler.get(compile);
    if (!compiled) compiledByCompiler.set(compile, (compiled = new Map()));
    return { compile, compiled };
  };
}

const compilerFor = lazyPool<RouteDefinition, ValidateFn>('@fastify/ajv-compiler');
const serializerCompilerFor = lazyPool<SerializerRoute, SerializeFn>('@fastify/fast-json-stringify-compiler');

export function buildLazyValidator(externalSchemas: unknown, options: unknown): (route: RouteDefinition) => ValidateFn {
  let compiler: ReturnType<typeof compilerFor> | undefined;
  return (route) => {
    let fn: ValidateFn | undefined;
    const key = `${route.httpPart ?? ''}\u0000${JSON.stringify(route.schema)}`;
    const wrapper: ValidateFn = (data) => {
      if (!fn) {
        const { compile, compiled } = (compiler ??= compilerFor(externalSchemas, options));
        fn = compiled.get(key);
        if (!fn) compiled.set(key, (fn = compile(route)));
      }
      const result = fn(data);
      wrapper.errors = fn.errors;
      return result;
    };
    return wrapper;
  };
}

export function buildLazySerializer(externalSchemas: unknown, options: unknown): (route: SerializerRoute) => SerializeFn {
  let compiler: ReturnType<typeof serializerCompilerFor> | undefined;
  return (route) => {
    let fn: SerializeFn | undefined;
    return (data) => {
      if (!fn) {
        const { compile, compiled } = (compiler ??= serializerCompilerFor(externalSchemas, options));
        const key = `${route.httpStatus ?? ''}\u0000${route.contentType ?? ''}\u0000${JSON.stringify(route.schema)}`;
        fn = compiled.get(key);
        if (!fn) compiled.set(key, (fn = compile(route)));
      }
      return fn(data);
    };
  };
}

/** Options for `Fastify(...)` that make schema validation and response serialisation lazy and shared. */
export const lazyValidation = {
  schemaController: { compilersFactory: { buildValidator: buildLazyValidator, buildSerializer: buildLazySerializer } } as unknown as FastifyServerOptions['schemaController'],
};
