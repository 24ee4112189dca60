import type { Pop3Context } from '../command.js';
import { fromLine, type Reply } from '../replies.js';

/**
 * STAT, LIST and UIDL answer from the session's scan listing; whether a
 * session in flight gets an error instead is the emulator default
 * `pop3.listing` (off unless its policy is set).
 */
export function listingGate(ctx: Pop3Context, operation: string): Reply | null {
  const gate = ctx.server.gate('pop3.listing', { operation, client: 'pop3', user: ctx.user ?? undefined });
  return gate.allowed ? null : fromLine(gate.messages[0]!);
}
