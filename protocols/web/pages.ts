import type { FastifyPluginAsync } from 'fastify';
import type { SiteServer } from '../../emulator/server.js';

// Placeholder until the web service's pages land.
export const webPagesPlugin: FastifyPluginAsync<{ server: SiteServer }> = async (app, { server }) => {
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(`<!doctype html><title>${server.name}</title><p>TeamWARE Office Web (not implemented yet)`));
};
