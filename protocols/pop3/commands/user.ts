import type { CommandSpec } from '../command.js';
import { ok } from '../replies.js';

/** USER name (RFC 1939 section 7). Always +OK: the maildrop is locked, and the name checked, at PASS. */
export const USER: CommandSpec = {
  name: 'USER', states: ['AUTHORIZATION'], syntax: 'USER name', args: { min: 1, max: 1 },
  run(ctx, [name]) {
    ctx.pendingUser = name!;
    return ok(`send PASS for ${name}`);
  },
};
