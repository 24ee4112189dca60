// The POP3 server (RFC 1939, RFC 2449 CAPA) of a server that runs mail.
// Layers: framer.ts (bytes -> lines) -> parser.ts -> session.ts (state checked
// once) -> commands/*.ts (one file per command) -> replies.ts (one serialiser);
// maildrop.ts is the only part that talks to the store.

import type { ListenerFactory } from '../../emulator/listeners.js';
import { listenTcp } from '../common/tcp.js';
import { networkFaults } from '../common/faults.js';
import { pop3Options } from './options.js';
import { Pop3Session } from './session.js';

export const startPop3: ListenerFactory = async (server, opts) => {
  const options = pop3Options(server.site.config.services?.pop3);
  let open = 0;
  const tls = server.site.tls;
  if (opts.implicitTls && !tls) throw new Error('POP3S needs the site TLS certificate');
  return listenTcp({ ...opts, tls: opts.implicitTls ? tls!.context : undefined }, (socket) => {
    if (!networkFaults(socket, server, 'pop3', 'pop3')) return;
    if (open >= options.maxConnections) {
      socket.on('error', () => undefined);
      socket.end('-ERR [SYS/TEMP] too many connections, try again later\r\n');
      server.site.events.emit({ type: 'info', server: server.name, client: 'pop3', operation: 'connect', message: `POP3 connection refused: ${open} open (limit ${options.maxConnections})` });
      return;
    }
    open++;
    server.sessions.pop3++;
    socket.once('close', () => {
      open--;
      server.sessions.pop3--;
    });
    new Pop3Session(socket, server, options, opts.implicitTls === true).start();
  });
};
