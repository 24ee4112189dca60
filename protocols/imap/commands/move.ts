import type { CommandSpec } from '../types.js';
import { copyOrMove } from './copy.js';

// MOVE (RFC 6851): COPYUID, then EXPUNGE for each moved message.
export const move: CommandSpec = {
  name: 'MOVE', capability: 'MOVE', args: [{ name: 'sequence set', kind: 'sequence-set' }, { name: 'mailbox', kind: 'mailbox' }], states: ['selected'], store: 'store', uid: true,
  handle: (session, cmd) => copyOrMove(session, cmd, true),
};
