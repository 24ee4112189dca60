import type { CommandSpec } from '../command.js';
import { listingGate } from './listing-gate.js';
import { messageNumber } from '../parser.js';
import { bad, err, ok } from '../replies.js';

/** LIST [msg] (RFC 1939 section 5): scan listings of the messages not marked as deleted. */
export const LIST: CommandSpec = {
  name: 'LIST', states: ['TRANSACTION'], syntax: 'LIST [message-number]', args: { min: 0, max: 1 },
  run(ctx, [arg]) {
    if (arg !== undefined) {
      const n = messageNumber(arg);
      if (n === null) return bad(`invalid message number ${arg}`);
      const refused = listingGate(ctx, 'LIST');
      if (refused) return refused;
      const e = ctx.maildrop!.get(n);
      return e ? ok(`${e.number} ${e.size}`) : err(`no such message ${n}`);
    }
    const refused = listingGate(ctx, 'LIST');
    if (refused) return refused;
    const { count, octets } = ctx.maildrop!.stat();
    return ok(`${count} message${count === 1 ? '' : 's'} (${octets} octets)`, { lines: ctx.maildrop!.live().map((e) => `${e.number} ${e.size}`) });
  },
};
