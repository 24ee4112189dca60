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
type BuildFromPool = (externalSchemas: unknown, options: unknown) => (route: RouteDefinition) => ValidateFn;

/** Fastify's own compiler pool: one Ajv instance per set of shared schemas and options; made on first use. */
let pool: BuildFromPool | undefined;
const compiledByCompiler = new WeakMap<object, Map<string, ValidateFn>>();

function compilerFor(externalSchemas: unknown, options: unknown) {
  pool ??= (createRequire(import.meta.url)('@fastify/ajv-compiler') as () => BuildFromPool)();
  const compile = pool(externalSchemas, options);
  let cache = compiledByCompiler.get(compile);
  if (!cache) compiledByCompiler.set(compile, (cache = new Map()));
  return { compile, compiled: cache };
}

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

type SerializeFn = (data: unknown) => string;
type SerializerRoute = { schema?: unknown; httpStatus?: string; contentType?: string };
type BuildSerializerFromPool = (externalSchemas: unknown, options: unknown) => (route: SerializerRoute) => SerializeFn;

/** Fastify's own serializer pool (fast-json-stringify); made on first use. */
let serializerPool: BuildSerializerFromPool | undefined;
const serializersByCompiler = new WeakMap<object, Map<string, SerializeFn>>();

function serializerCompilerFor(externalSchemas: unknown, options: unknown) {
  serializerPool ??= (createRequire(import.meta.url)('@fastify/fast-json-stringify-compiler') as () => BuildSerializerFromPool)();
  const compile = serializerPool(externalSchemas, options);
  let cache = serializersByCompiler.get(compile);
  if (!cache) serializersByCompiler.set(compile, (cache = new Map()));
  return { compile, compiled: cache };
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
