import { argCount } from '../parser.js';
import { ok, type CommandSpec } from '../types.js';

// CHECK (RFC 3501 6.4.1): every write is already committed; updates follow as after NOOP.
export const check: CommandSpec = {
  name: 'CHECK',
  states: ['selected'],
  store: 'store',
  handle(_session, cmd) {
    argCount(cmd.args, 0);
    return ok('CHECK completed');
  },
};
