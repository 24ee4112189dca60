// Network faults on a new connection (the catalog's `*.net-latency`,
// `*.net-timeout`, `*.net-reset`, off unless their policy is set), applied to
// the socket before the protocol sees it, as Toxiproxy's toxics would be.

import type { Socket } from 'node:net';
import type { SiteServer } from '../../emulator/server.js';
import { NETWORK_FAULTS } from '../../emulator/catalog/defaults/network.js';

/**
 * Draws the three faults for a new connection of `prefix` (pop3, imap4, web).
 * Returns false when the connection must not reach the protocol (timeout, reset).
 */
export function networkFaults(socket: Socket, server: SiteServer, prefix: 'pop3' | 'imap4' | 'web', client: string): boolean {
  const ctx = { operation: 'connect', client };
  const reset = server.gate(`${prefix}.net-reset`, ctx);
  if (!reset.allowed) {
    const fault = NETWORK_FAULTS[reset.decision!.variantName]!;
    const rst = () => (socket.destroyed ? undefined : socket.resetAndDestroy());
    if (!fault.ms) {
      rst();
      return false;
    }
    const timer = setTimeout(rst, fault.ms);
    socket.once('close', () => clearTimeout(timer));
  }
  const timeout = server.gate(`${prefix}.net-timeout`, ctx);
  if (!timeout.allowed) {
    const fault = NETWORK_FAULTS[timeout.decision!.variantName]!;
    // Swallow what the client sends; answer nothing.
    socket.removeAllListeners('data');
    socket.on('data', () => undefined);
    if (fault.ms !== null) {
      const timer = setTimeout(() => socket.destroy(), fault.ms);
      socket.once('close', () => clearTimeout(timer));
    }
    return false;
  }
  const latency = server.gate(`${prefix}.net-latency`, ctx);
  if (!latency.allowed) delayWrites(socket, NETWORK_FAULTS[latency.decision!.variantName]!.ms ?? 0);
  return true;
}

/** The write delay drawn for a connection, by socket (kept through a STLS/STARTTLS upgrade). */
const delayed = new WeakMap<Socket, number>();

/**
 * A TLS upgrade (POP3 STLS, IMAP STARTTLS) writes through a new socket: the
 * latency drawn for the connection goes on with it (serverTls calls this).
 */
export function carryFaults(plain: Socket, secure: Socket): void {
  const ms = delayed.get(plain);
  if (ms !== undefined) delayWrites(secure, ms);
}

/** Every write (and the end) reaches the socket `ms` after it was made, in order. */
function delayWrites(socket: Socket, ms: number): void {
  delayed.set(socket, ms);
  const write = socket.write.bind(socket) as (...a: unknown[]) => boolean;
  const end = socket.end.bind(socket) as (...a: unknown[]) => Socket;
  let chain = Promise.resolve();
  const later = (fn: () => void) => {
    const due = Date.now() + ms;
    chain = chain.then(() => new Promise<void>((r) => setTimeout(r, Math.max(0, due - Date.now())))).then(() => {
      if (!socket.destroyed) fn();
    });
  };
  (socket as { write: unknown }).write = (...args: unknown[]) => {
    later(() => write(...args));
    return true;
  };
  (socket as { end: unknown }).end = (...args: unknown[]) => {
    later(() => end(...args));
    return socket;
  };
}
