
import { data, ok, quoted, type CommandSpec } from '../types.js';

// NAMESPACE (RFC 2342): one personal namespace, `/` as the delimiter.
export const namespace: CommandSpec = {
  name: 'NAMESPACE', capability: 'NAMESPACE', args: [], states: ['authenticated', 'selected'], store: 'none',
  handle(_session, cmd) {
    return ok('NAMESPACE completed', undefined, [data('NAMESPACE', [[quoted(''), quoted('/')]], null, null)]);
  },
};
