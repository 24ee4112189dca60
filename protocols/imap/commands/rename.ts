import { argCount } from '../parser.js';
import { no, ok, type CommandSpec } from '../types.js';
import { mailboxArg } from './util.js';

// RENAME (RFC 3501 6.3.5): the product's folders cannot be renamed; the new name
// gets a new UIDVALIDITY.

export const rename: CommandSpec = {
  name: 'RENAME', states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    argCount(cmd.args, 2);
    const from = mailboxArg(cmd.args[0]);
    const to = mailboxArg(cmd.args[1]);
    if (session.selected?.name === from) return no('Cannot rename the selected mailbox; close it first', 'INUSE');
    session.mail.renameFolder(session.user, from, to);
    return ok('RENAME completed');
  },
};
