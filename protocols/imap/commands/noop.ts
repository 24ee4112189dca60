import { argCount } from '../parser.js';
import { ok, type CommandSpec } from '../types.js';

// NOOP (RFC 3501 6.1.2). Keeps working on a suspended server (emulator
// default); the session's updates (EXISTS/EXPUNGE/FETCH) are added by the
// dispatcher.
export const noop: CommandSpec = {
  name: 'NOOP',
  states: ['not-authenticated', 'authenticated', 'selected'],
  store: 'none',
  handle(_session, cmd) {
    argCount(cmd.args, 0);
    return ok('NOOP completed');
  },
};
