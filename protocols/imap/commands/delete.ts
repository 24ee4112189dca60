import { no, ok, type CommandSpec } from '../types.js';
import { isInferior } from '../hierarchy.js';
import { mailboxArg, shown } from './util.js';

// DELETE (RFC 3501 6.3.4): INBOX, OUTBOX and WasteBox cannot be deleted. A
// folder with inferiors loses its messages and stays as a `\Noselect` level
// (LIST shows it while it has inferiors); deleting such a level is refused.

export const del: CommandSpec = {
  name: 'DELETE', args: [{ name: 'mailbox', kind: 'mailbox' }], states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    const name = mailboxArg(cmd.args[0]);
    if (session.selected?.name === name) return no('Cannot delete the selected mailbox; close it first', 'INUSE');
    if (!session.mail.folder(session.user, name)) {
      const hasInferiors = session.mail.folders(session.user).some((f) => isInferior(f.name, name));
      if (hasInferiors) return no(`Mailbox has inferior mailboxes and is not selectable; delete them first: ${shown(name)}`, 'CANNOT');
      return no(`Mailbox does not exist: ${shown(name)}`, 'NONEXISTENT');
    }
    session.mail.deleteFolder(session.user, name);
    return ok('DELETE completed');
  },
};
