import type { ListenerFactory } from '../../emulator/listeners.js';
import { listenTcp } from '../common/tcp.js';

// Placeholder until the POP3 server lands: answers every connection with -ERR.
export const startPop3: ListenerFactory = (_server, opts) =>
  listenTcp(opts, (socket) => {
    socket.end('-ERR POP3 service not implemented yet\r\n');
  });
