// TLS for the line protocols: an implicit-TLS socket (POP3S, IMAPS) and the
// in-band upgrade (POP3 STLS, IMAP STARTTLS, RFC 2595) share one wrapper.

import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

/**
 * Wraps a plain socket in a server-side TLS socket. The caller moves its
 * listeners to the returned socket; bytes the client sent before the
 * handshake (pipelined after STLS/STARTTLS) are not read as commands.
 */
export function serverTls(socket: Socket, context: SecureContext): TLSSocket {
  socket.removeAllListeners('data');
  const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
  // A failed handshake (a client that does not trust the certificate) is an 'error' then a 'close'.
  secure.on('error', () => undefined);
  return secure;
}
