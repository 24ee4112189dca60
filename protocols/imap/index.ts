// The IMAP4rev1 server (RFC 3501 and the extensions real clients use) of a
// server that runs mail. Layers: framer.ts (bytes -> command units with their
// literals) -> parser.ts (typed tree) -> session.ts (state checked once, the
// in-flight behaviour, errors -> replies) -> commands/*.ts (one file per
// command: states + handler returning a reply object) -> serialiser.ts (the
// one place replies become bytes). mime.ts reads message structure with
// mailsplit and libmime; the store is reached only through MailRepo.

import type { ListenerFactory } from '../../emulator/listeners.js';
import { listenTcp } from '../common/tcp.js';
import { networkFaults } from '../common/faults.js';
import { imapOptions } from './options.js';
import { Session } from './session.js';

/** The IMAP4rev1 server of one site server (RFC 3501 with the extensions real clients use). */
export const startImap: ListenerFactory = async (server, opts) => {
  const options = imapOptions(server.site.config.services?.imap);
  let open = 0;
  const tls = server.site.tls;
  if (opts.implicitTls && !tls) throw new Error('IMAPS needs the site TLS certificate');
  return listenTcp({ ...opts, tls: opts.implicitTls ? tls!.context : undefined }, (socket) => {
    if (!networkFaults(socket, server, 'imap4', 'imap')) return;
    socket.on('error', () => undefined);
    if (open >= options.maxConnections) {
      socket.end(`* BYE Too many connections (limit ${options.maxConnections}); try again later\r\n`);
      server.site.events.emit({ type: 'info', server: server.name, client: 'imap', operation: 'connect', message: `IMAP connection refused: ${open} open (limit ${options.maxConnections})` });
      return;
    }
    open++;
    server.sessions.imap++;
    let counted = true;
    new Session(socket, server, options, () => {
      if (counted) {
        open--;
        server.sessions.imap--;
      }
      counted = false;
    }, opts.implicitTls === true);
  });
};
