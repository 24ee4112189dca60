import { checkFolderName } from '../../../emulator/store/mail.js';
import { no, ok, type CommandSpec } from '../types.js';
import { hasEmptyLevel, isInferior, superiors } from '../hierarchy.js';
import { mailboxArg, shown } from './util.js';

// RENAME (RFC 3501 6.3.5): the product's folders cannot be renamed; the new
// name gets a new UIDVALIDITY. The inferiors move with the folder (`a/x`
// becomes `b/x`), and the superiors of the new name are created as CREATE
// would, so nothing is left below a level that does not exist.

export const rename: CommandSpec = {
  name: 'RENAME', args: [{ name: 'mailbox', kind: 'mailbox' }, { name: 'new name', kind: 'mailbox' }], states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    const from = mailboxArg(cmd.args[0]);
    const to = mailboxArg(cmd.args[1]).replace(/\/+$/, '');
    if (session.selected && (session.selected.name === from || isInferior(session.selected.name, from))) return no('Cannot rename the selected mailbox; close it first', 'INUSE');
    const folders = session.mail.folders(session.user);
    const moving = folders.filter((f) => f.name === from || isInferior(f.name, from));
    if (!moving.length) return no(`Mailbox does not exist: ${shown(from)}`, 'NONEXISTENT');
    if (!to || hasEmptyLevel(to)) return no(`Mailbox name has an empty hierarchy level: ${shown(to)}`, 'CANNOT');
    if (to === from || isInferior(to, from)) return no('Cannot rename a mailbox to itself or below itself', 'CANNOT');
    const target = (name: string) => to + name.slice(from.length);
    const clash = moving.find((f) => session.mail.folder(session.user, target(f.name)));
    if (clash) return no(`Mailbox already exists: ${shown(target(clash.name))}`, 'ALREADYEXISTS');
    for (const f of moving) checkFolderName(target(f.name));
    // The folder itself first: the store refuses the product's folders before anything moved.
    const own = moving.find((f) => f.name === from);
    if (own) session.mail.renameFolder(session.user, own.name, to);
    for (const f of moving) if (f !== own) session.mail.renameFolder(session.user, f.name, target(f.name));
    for (const s of superiors(to)) if (!session.mail.folder(session.user, s)) session.mail.createFolder(session.user, s, { subscribed: false });
    return ok('RENAME completed');
  },
};
