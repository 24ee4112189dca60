import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import type { SwaggerOptions } from '@fastify/swagger';
import { lazyValidation } from './validators.js';

// The OpenAPI description and its Swagger UI (`PREFIX/docs`, `PREFIX/docs/json`,
// `PREFIX/docs/yaml`, `PREFIX/docs/static/...`), built on the first request to
// them. Loading @fastify/swagger and @fastify/swagger-ui (with yaml, @fastify/static,
// glob, send, mime) and registering their routes was a large part of a site's
// start-up, for pages few users open. The app records its routes as they are
// added (what @fastify/swagger itself does); the first request under the docs
// prefix builds a second Fastify app, not listening, holding swagger, swagger-ui
// and the same routes (schemas only: their handlers never run there), and every
// request under the prefix is routed to it.

type OpenApiOptions = Extract<SwaggerOptions, { openapi?: unknown }>['openapi'];

/**
 * Serves the OpenAPI description of `app`'s routes and Swagger UI at `routePrefix`, loaded on first use.
 * `notFound` is `app`'s own not-found handler: a path under the prefix that the docs do not have
 * (`/docs/nope`, a missing asset) is answered as any unknown path of `app`.
 */
export function lazyApiDocs(app: FastifyInstance, opts: { openapi: OpenApiOptions; routePrefix: string; notFound: (req: FastifyRequest, reply: FastifyReply) => unknown }): void {
  const prefix = `${app.prefix}${opts.routePrefix}`;
  const routes: RouteOptions[] = [];
  // As @fastify/swagger: HEAD routes (fastify adds one per GET) are not described.
  app.addHook('onRoute', (route) => {
    if (route.method !== 'HEAD' && !(route.url === prefix || route.url.startsWith(`${prefix}/`))) routes.push(route);
  });

  let docs: Promise<FastifyInstance> | undefined;
  const build = async (): Promise<FastifyInstance> => {
    const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')]);
    const docsApp = Fastify({ logger: false, ...lazyValidation });
    docsApp.setNotFoundHandler(opts.notFound);
    await docsApp.register(swagger, { openapi: opts.openapi });
    await docsApp.register(swaggerUi, { routePrefix: prefix });
    const unused = async () => undefined;
    for (const r of routes) docsApp.route({ method: r.method, url: r.url, schema: r.schema, config: r.config, handler: unused });
    await docsApp.ready();
    return docsApp;
  };
  const forward = async (req: { raw: import('node:http').IncomingMessage }, reply: { hijack(): void; raw: import('node:http').ServerResponse }) => {
    const pending = (docs ??= build());
    let docsApp: FastifyInstance;
    try {
      docsApp = await pending;
    } catch (err) {
      if (docs === pending) docs = undefined; // the next request tries again
      throw err;
    }
    reply.hijack();
    docsApp.routing(req.raw, reply.raw);
  };
  // Relative to the plugin's own prefix, as every route of `app`.
  app.get(opts.routePrefix, { schema: { hide: true } }, forward);
  app.get(`${opts.routePrefix}/*`, { schema: { hide: true } }, forward);
}
