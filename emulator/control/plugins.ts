import type { FastifyPluginAsync } from 'fastify';
import type { Site } from '../site.js';

/**
 * Route plugins of the control API beyond the core (desktop clients, gateways,
 * SearchPro, backup utility, console). Each gets the site; /api/* routes are
 * behind the bearer-token check already.
 */
export const controlPlugins: Array<FastifyPluginAsync<{ site: Site }>> = [];
