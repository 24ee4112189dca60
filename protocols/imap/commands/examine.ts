import type { CommandSpec } from '../types.js';
import { open } from './select.js';

// EXAMINE (RFC 3501 6.3.2): SELECT, read-only.
export const examine: CommandSpec = {
  name: 'EXAMINE', args: [{ name: 'mailbox', kind: 'mailbox' }], states: ['authenticated', 'selected'], store: 'store',
  handle: (session, cmd) => open(session, cmd, true),
};
