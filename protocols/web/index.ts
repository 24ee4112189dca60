import Fastify from 'fastify';
import type { ListenerFactory } from '../../emulator/listeners.js';
import { lazyValidation } from '../../emulator/http/validators.js';
import type { SiteServer } from '../../emulator/server.js';
import { amePlugin } from '../ame/plugin.js';
import { webPagesPlugin } from './pages.js';
import { networkFaults } from '../common/faults.js';

/** The web service of one server: the pages (`/`) and the application execution module (`/ame`). */
export async function buildWebApp(server: SiteServer) {
  const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024, ...lazyValidation });
  await app.register(webPagesPlugin, { server });
  await app.register(amePlugin, { server, prefix: '/ame' });
  return app;
}

export const startWeb: ListenerFactory = async (server, opts) => {
  const app = await buildWebApp(server);
  // Network faults (off unless their policy is set) on each new connection, before HTTP reads it.
  const held = new Set<import('node:net').Socket>();
  app.server.on('connection', (socket: import('node:net').Socket) => {
    if (networkFaults(socket, server, 'web', 'web')) return;
    socket.pause();
    held.add(socket);
    socket.once('close', () => held.delete(socket));
  });
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    port,
    close: () => {
      for (const s of held) s.destroy();
      // As the control API: a client that does not read its answer (a large page or asset, a
      // keep-alive socket) must not hold the site's stop; idle-only closing would wait for it.
      app.server.closeAllConnections();
      return app.close();
    },
  };
};
