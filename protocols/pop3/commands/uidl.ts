import type { CommandSpec } from '../command.js';
import { listingGate } from './listing-gate.js';
import { messageNumber } from '../parser.js';
import { bad, err, ok } from '../replies.js';

/** UIDL [msg] (RFC 1939 section 7): `<UIDVALIDITY>.<UID>` of the INBOX, the same in every session. */
export const UIDL: CommandSpec = {
  name: 'UIDL', states: ['TRANSACTION'], syntax: 'UIDL [message-number]', args: { min: 0, max: 1 },
  run(ctx, [arg]) {
    if (arg !== undefined) {
      const n = messageNumber(arg);
      if (n === null) return bad(`invalid message number ${arg}`);
      const refused = listingGate(ctx, 'UIDL');
      if (refused) return refused;
      const e = ctx.maildrop!.get(n);
      return e ? ok(`${e.number} ${e.uidl}`) : err(`no such message ${n}`);
    }
    const refused = listingGate(ctx, 'UIDL');
    if (refused) return refused;
    return ok('unique-id listing follows', { lines: ctx.maildrop!.live().map((e) => `${e.number} ${e.uidl}`) });
  },
};
