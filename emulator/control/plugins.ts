import type { FastifyPluginAsync } from 'fastify';
import type { Site } from '../site.js';

/**
 * A route plugin of the control API beyond the core routes (desktop clients,
 * gateways, SearchPro, backup utility, console, scenario inspection). Each gets
 * the site; /api/* routes are behind the bearer-token check already. The
 * composition root (emulator/root.ts) lists them.
 */
export type ControlPlugin = FastifyPluginAsync<{ site: Site }>;
