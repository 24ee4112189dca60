// TLS for the line protocols: an implicit-TLS socket (POP3S, IMAPS) and the
// in-band upgrade (POP3 STLS, IMAP STARTTLS, RFC 2595) share one wrapper.

import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { carryFaults } from './faults.js';

/**
 * Wraps a plain socket in a server-side TLS socket. The caller moves its
 * listeners to the returned socket; bytes the client sent before the
 * handshake (pipelined after STLS/STARTTLS) are not read as commands.
 */
export function serverTls(socket: Socket, context: SecureContext, handshakeTimeoutMs = HANDSHAKE_TIMEOUT_MS): TLSSocket {
  socket.removeAllListeners('data');
  const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
  // A network fault drawn for the connection (*.net-latency) holds after the upgrade too.
  carryFaults(socket, secure);
  // A failed handshake (a client that does not trust the certificate) is an 'error' then a 'close'.
  secure.on('error', () => undefined);
  // A client that never completes the handshake (plain text after STLS) does not hold the connection.
  const timer = setTimeout(() => secure.destroy(), handshakeTimeoutMs);
  timer.unref?.();
  secure.once('secure', () => clearTimeout(timer));
  secure.once('close', () => clearTimeout(timer));
  return secure;
}

/** How long a client may take to complete the TLS handshake. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
