import type { CommandSpec } from '../types.js';
import { list } from './list.js';

// LSUB (RFC 3501 6.3.9): LIST of the subscribed folders.
export const lsub: CommandSpec = {
  name: 'LSUB', args: [{ name: 'reference', kind: 'astring' }, { name: 'mailbox pattern', kind: 'pattern' }], states: ['authenticated', 'selected'], store: 'store',
  handle: (session, cmd) => list(session, cmd, true),
};
