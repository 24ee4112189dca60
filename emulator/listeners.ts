import type { SiteServer } from './server.js';

/** A listening socket of one protocol on one server. */
export interface Listener {
  port: number;
  /** Stops accepting, ends every open session, resolves when the socket is closed. */
  close(): Promise<void>;
}

export interface ListenOptions {
  host: string;
  /** 0 for an ephemeral port. */
  port: number;
  /** Implicit TLS (POP3S, IMAPS): every connection starts with the handshake. */
  implicitTls?: boolean;
}

export type ListenerFactory = (server: SiteServer, opts: ListenOptions) => Promise<Listener>;
