import { argCount } from '../parser.js';
import { ok, type CommandSpec } from '../types.js';

// Keeps working on a suspended server (emulator default); the session's
// updates (EXISTS/EXPUNGE/FETCH) are added by the dispatcher.
export const noop: CommandSpec = {
  name: 'NOOP',
  states: ['not-authenticated', 'authenticated', 'selected'],
  store: 'none',
  handle(_session, cmd) {
    argCount(cmd.args, 0);
    return ok('NOOP completed');
  },
};

export const check: CommandSpec = {
  name: 'CHECK',
  states: ['selected'],
  store: 'store',
  handle(_session, cmd) {
    argCount(cmd.args, 0);
    return ok('CHECK completed');
  },
};
