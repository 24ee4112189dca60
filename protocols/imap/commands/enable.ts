
import { data, ok, type CommandSpec } from '../types.js';

// ENABLE (RFC 5161): no extension this server implements needs enabling, so
// the ENABLED list is empty (3.1).
export const enable: CommandSpec = {
  name: 'ENABLE', capability: 'ENABLE', args: [{ name: 'capability', kind: 'atom', rest: true }], states: ['authenticated', 'selected'], store: 'none',
  handle(_session, cmd) {
    return ok('ENABLE completed', undefined, [data('ENABLED')]);
  },
};
