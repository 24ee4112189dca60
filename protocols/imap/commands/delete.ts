import { argCount } from '../parser.js';
import { no, ok, type CommandSpec } from '../types.js';
import { mailboxArg } from './util.js';

// DELETE (RFC 3501 6.3.4): INBOX, OUTBOX and WasteBox cannot be deleted.

export const del: CommandSpec = {
  name: 'DELETE', states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    argCount(cmd.args, 1);
    const name = mailboxArg(cmd.args[0]);
    if (session.selected?.name === name) return no('Cannot delete the selected mailbox; close it first', 'INUSE');
    session.mail.deleteFolder(session.user, name);
    return ok('DELETE completed');
  },
};
