// The shape of one POP3 command: its keyword, the states it is valid in, its
// arguments, and a handler that returns a reply object (never writes a socket).

import type { SiteServer } from '../../emulator/server.js';
import type { Maildrop } from './maildrop.js';
import type { Pop3Options } from './options.js';
import type { Reply } from './replies.js';

/** RFC 1939 section 3. UPDATE is entered by QUIT and accepts no command. */
export type Pop3State = 'AUTHORIZATION' | 'TRANSACTION' | 'UPDATE';

/** What a handler may read and change of its session. */
export interface Pop3Context {
  readonly server: SiteServer;
  readonly options: Pop3Options;
  state: Pop3State;
  /** The name given by USER, while the next command may be PASS. */
  pendingUser: string | null;
  /** The greeting's `<...>` timestamp, for APOP. */
  readonly timestamp: string;
  /** The authenticated user (TRANSACTION). */
  user: string | null;
  maildrop: Maildrop | null;
  /** TLS is in force (POP3S, or after STLS). */
  readonly secure: boolean;
  /** Waits (failed-login delay); resolves early when the session ends. */
  delay(ms: number): Promise<void>;
}

export interface CommandSpec {
  name: string;
  states: readonly Pop3State[];
  /** For the `-ERR usage:` reply. */
  syntax: string;
  /** Number of space-separated arguments, or `rest`: the whole text after the keyword (PASS). */
  args: { min: number; max: number } | 'rest';
  run(ctx: Pop3Context, args: string[], rest: string): Reply | Promise<Reply>;
}
