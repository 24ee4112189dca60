
import { ok, type CommandSpec } from '../types.js';

// NOOP (RFC 3501 6.1.2). Keeps working on a suspended server (emulator
// default); the session's updates (EXISTS/EXPUNGE/FETCH) are added by the
// dispatcher.
export const noop: CommandSpec = {
  name: 'NOOP', args: [],
  states: ['not-authenticated', 'authenticated', 'selected'],
  store: 'none',
  handle(_session, cmd) {
    return ok('NOOP completed');
  },
};
