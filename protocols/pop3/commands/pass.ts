import type { CommandSpec } from '../command.js';
import { login } from '../auth.js';
import { bad } from '../replies.js';

/** PASS string (RFC 1939 section 7): only right after USER; the password is the rest of the line. */
export const PASS: CommandSpec = {
  name: 'PASS', states: ['AUTHORIZATION'], syntax: 'PASS password', args: 'rest',
  run(ctx, _args, rest) {
    const name = ctx.pendingUser;
    if (name === null) return bad('give USER first');
    if (rest.length === 0) return bad('usage: PASS password');
    return login(ctx, name, 'PASS', rest);
  },
};
