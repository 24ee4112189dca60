import type { CommandSpec } from '../command.js';
import { messageNumber } from '../parser.js';
import { bad, err, ok } from '../replies.js';

/** DELE msg (RFC 1939 section 5): marks only; QUIT removes in the UPDATE state. */
export const DELE: CommandSpec = {
  name: 'DELE', states: ['TRANSACTION'], syntax: 'DELE message-number', args: { min: 1, max: 1 },
  run(ctx, [arg]) {
    const n = messageNumber(arg);
    if (n === null) return bad(`invalid message number ${arg}`);
    const entry = ctx.maildrop!.entries[n - 1];
    if (!entry) return err(`no such message ${n}`);
    if (entry.deleted) return err(`message ${n} already deleted`);
    ctx.maildrop!.mark(entry);
    return ok(`message ${n} deleted`);
  },
};
