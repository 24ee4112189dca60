import { createServer, type Server, type Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Listener, ListenOptions } from '../../emulator/listeners.js';
import { serverTls } from './tls.js';

/**
 * Listens on host:port; `close` stops accepting and destroys every open socket.
 * With `tls`, every connection is TLS from its first byte (POP3S, IMAPS).
 */
export async function listenTcp(opts: ListenOptions & { tls?: SecureContext }, onConnection: (socket: Socket) => void): Promise<Listener & { server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onConnection(opts.tls ? serverTls(socket, opts.tls) : socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
