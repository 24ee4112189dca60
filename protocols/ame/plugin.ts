import type { FastifyPluginAsync } from 'fastify';
import type { SiteServer } from '../../emulator/server.js';

// Placeholder until the application execution module lands.
export const amePlugin: FastifyPluginAsync<{ server: SiteServer }> = async (app) => {
  app.get('/functions', async () => []);
};
