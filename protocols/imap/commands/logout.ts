import { argCount } from '../parser.js';
import { status, type CommandSpec } from '../types.js';

export const logout: CommandSpec = {
  name: 'LOGOUT',
  states: ['not-authenticated', 'authenticated', 'selected'],
  store: 'none',
  handle(_session, cmd) {
    argCount(cmd.args, 0);
    return { untagged: [status('BYE', 'Logging out')], tagged: { status: 'OK', text: 'LOGOUT completed' }, close: true };
  },
};
