
import { ok, type CommandSpec } from '../types.js';
import { expungeDeleted } from './expunge.js';

// CLOSE (RFC 3501 6.4.2): removes the \Deleted messages silently (not in
// EXAMINE), then leaves the selected state.
export const close: CommandSpec = {
  name: 'CLOSE', args: [], states: ['selected'], store: 'store',
  handle(session, cmd) {
    if (!session.selected!.readOnly) {
      session.updates(false);
      expungeDeleted(session, null);
    }
    session.selected = null;
    session.state = 'authenticated';
    return ok('CLOSE completed');
  },
};
