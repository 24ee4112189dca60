
import { ok, type CommandSpec } from '../types.js';

// UNSELECT (RFC 3638): leaves the selected state without expunging.
export const unselect: CommandSpec = {
  name: 'UNSELECT', capability: 'UNSELECT', args: [], states: ['selected'], store: 'none',
  handle(session, cmd) {
    session.selected = null;
    session.state = 'authenticated';
    return ok('UNSELECT completed');
  },
};
