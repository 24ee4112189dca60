import type { CommandSpec } from '../command.js';
import { ok } from '../replies.js';

/** RSET (RFC 1939 section 5): unmarks every message marked as deleted. */
export const RSET: CommandSpec = {
  name: 'RSET', states: ['TRANSACTION'], syntax: 'RSET', args: { min: 0, max: 0 },
  run(ctx) {
    ctx.maildrop!.reset();
    const { count, octets } = ctx.maildrop!.stat();
    return ok(`maildrop has ${count} message${count === 1 ? '' : 's'} (${octets} octets)`);
  },
};
