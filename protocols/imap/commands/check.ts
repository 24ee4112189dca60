
import { ok, type CommandSpec } from '../types.js';

// CHECK (RFC 3501 6.4.1): every write is already committed; updates follow as after NOOP.
export const check: CommandSpec = {
  name: 'CHECK', args: [],
  states: ['selected'],
  store: 'store',
  handle(_session, cmd) {
    return ok('CHECK completed');
  },
};
