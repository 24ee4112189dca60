import { no, ok, type CommandSpec } from '../types.js';
import { hasEmptyLevel, superiors } from '../hierarchy.js';
import { mailboxArg, shown } from './util.js';

// CREATE (RFC 3501 6.3.3): the store enforces the product's folder rules
// (64 characters, no `\ " ( ) { }`) and the refusal is a NO. The superiors a
// name needs are created with it (`CREATE a/b/c` makes `a` and `a/b` when they
// do not exist), so no folder hangs below a level LIST could not show.
// Nothing is subscribed: that is the client's SUBSCRIBE.

export const create: CommandSpec = {
  name: 'CREATE', args: [{ name: 'mailbox', kind: 'mailbox' }], states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    // A trailing hierarchy delimiter only says the client wants children under it (RFC 3501 6.3.3).
    const name = mailboxArg(cmd.args[0]).replace(/\/+$/, '');
    if (name === 'INBOX') return no('INBOX already exists', 'ALREADYEXISTS');
    if (!name || hasEmptyLevel(name)) return no(`Mailbox name has an empty hierarchy level: ${shown(name)}`, 'CANNOT');
    if (session.mail.folder(session.user, name)) return no(`Mailbox already exists: ${shown(name)}`, 'ALREADYEXISTS');
    const missing = superiors(name).filter((s) => !session.mail.folder(session.user, s));
    session.mail.createFolder(session.user, name, { subscribed: false });
    for (const s of missing) session.mail.createFolder(session.user, s, { subscribed: false });
    return ok('CREATE completed');
  },
};
