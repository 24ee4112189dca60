import { argCount, astring } from '../parser.js';
import type { CommandSpec } from '../types.js';
import { logIn } from './auth.js';

export const login: CommandSpec = {
  name: 'LOGIN',
  states: ['not-authenticated'],
  store: 'none',
  handle(session, cmd) {
    argCount(cmd.args, 2);
    return logIn(session, astring(cmd.args[0], 'user name'), astring(cmd.args[1], 'password'), 'LOGIN');
  },
};
