import { astring } from '../parser.js';
import type { CommandSpec } from '../types.js';
import { logIn } from './auth.js';

export const login: CommandSpec = {
  name: 'LOGIN', args: [{ name: 'user name', kind: 'astring' }, { name: 'password', kind: 'astring' }],
  states: ['not-authenticated'],
  store: 'none',
  handle(session, cmd) {
    return logIn(session, astring(cmd.args[0], 'user name'), astring(cmd.args[1], 'password'), 'LOGIN');
  },
};
