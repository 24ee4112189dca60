
import { status, type CommandSpec } from '../types.js';

export const logout: CommandSpec = {
  name: 'LOGOUT', args: [],
  states: ['not-authenticated', 'authenticated', 'selected'],
  store: 'none',
  handle(_session, cmd) {
    return { untagged: [status('BYE', 'Logging out')], tagged: { status: 'OK', text: 'LOGOUT completed' }, close: true };
  },
};
