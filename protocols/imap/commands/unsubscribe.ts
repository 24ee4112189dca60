
import { no, ok, type CommandSpec } from '../types.js';
import { mailboxArg, shown } from './util.js';

// UNSUBSCRIBE (RFC 3501 6.3.7).

export const unsubscribe: CommandSpec = {
  name: 'UNSUBSCRIBE', args: [{ name: 'mailbox', kind: 'mailbox' }], states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    const name = mailboxArg(cmd.args[0]);
    if (!session.mail.folder(session.user, name)) return no(`Mailbox does not exist: ${shown(name)}`, 'NONEXISTENT');
    session.mail.setSubscribed(session.user, name, false);
    return ok('UNSUBSCRIBE completed');
  },
};
