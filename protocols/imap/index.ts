import type { ListenerFactory } from '../../emulator/listeners.js';
import { listenTcp } from '../common/tcp.js';

// Placeholder until the IMAP server lands: answers every connection with BYE.
export const startImap: ListenerFactory = (_server, opts) =>
  listenTcp(opts, (socket) => {
    socket.end('* BYE IMAP service not implemented yet\r\n');
  });
