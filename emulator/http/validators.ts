import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

// Fastify compiles every route's JSON schemas with Ajv when an app becomes
// ready; with the control API, the web service and the application execution
// module that was most of a site's start-up time. Here a schema is compiled on
// the first request that needs it, once per process: later sites (a test
// suite starts many) reuse the compiled function.

type ValidateFn = ((data: unknown) => unknown) & { errors?: unknown };
type RouteDefinition = { schema?: unknown; httpPart?: string };
type BuildFromPool = (externalSchemas: unknown, options: unknown) => (route: RouteDefinition) => ValidateFn;

const require = createRequire(import.meta.url);
const ajvCompiler = require('@fastify/ajv-compiler') as () => BuildFromPool;
/** Fastify's own compiler pool: one Ajv instance per set of shared schemas and options. */
const pool = ajvCompiler();
const compiledByCompiler = new WeakMap<object, Map<string, ValidateFn>>();

export function buildLazyValidator(externalSchemas: unknown, options: unknown): (route: RouteDefinition) => ValidateFn {
  const compile = pool(externalSchemas, options);
  let cache = compiledByCompiler.get(compile);
  if (!cache) compiledByCompiler.set(compile, (cache = new Map()));
  const compiled = cache;
  return (route) => {
    let fn: ValidateFn | undefined;
    const key = `${route.httpPart ?? ''}\u0000${JSON.stringify(route.schema)}`;
    const wrapper: ValidateFn = (data) => {
      if (!fn) {
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

/** Options for `Fastify(...)` that make schema validation lazy and shared. */
export const lazyValidation = {
  schemaController: { compilersFactory: { buildValidator: buildLazyValidator } } as unknown as FastifyServerOptions['schemaController'],
};
