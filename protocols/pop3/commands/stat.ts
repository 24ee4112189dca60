import type { CommandSpec } from '../command.js';
import { listingGate } from './listing-gate.js';
import { ok } from '../replies.js';

/** STAT (RFC 1939 section 5): count and octets of the messages not marked as deleted. */
export const STAT: CommandSpec = {
  name: 'STAT', states: ['TRANSACTION'], syntax: 'STAT', args: { min: 0, max: 0 },
  run(ctx) {
    const refused = listingGate(ctx, 'STAT');
    if (refused) return refused;
    const { count, octets } = ctx.maildrop!.stat();
    return ok(`${count} ${octets}`);
  },
};
