import { list } from '../parser.js';
import { wireName } from '../mailbox.js';
import { ImapSyntaxError, data, no, ok, type CommandSpec, type Value } from '../types.js';
import { mailboxArg, shown } from './util.js';
import { recentAmong } from '../recent.js';

const ITEMS = ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN'];

export const statusCommand: CommandSpec = {
  name: 'STATUS', args: [{ name: 'mailbox', kind: 'mailbox' }, { name: 'status items', kind: 'list' }], states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    const name = mailboxArg(cmd.args[0]);
    const items = list(cmd.args[1], 'status items').map((t) => {
      const item = t.type === 'atom' ? t.value.toUpperCase() : '';
      if (!ITEMS.includes(item)) throw new ImapSyntaxError(`unknown STATUS item ${t.type === 'atom' ? t.value : '(non-atom)'}`);
      return item;
    });
    if (!items.length) throw new ImapSyntaxError('STATUS needs at least one item');
    const folder = session.mail.folder(session.user, name);
    if (!folder) return no(`Mailbox does not exist: ${shown(name)}`, 'NONEXISTENT');
    const msgs = session.mail.messages(session.user, folder.name);
    const values: Value[] = [];
    for (const item of items) {
      const v = item === 'MESSAGES' ? msgs.length
        : item === 'RECENT' ? recentAmong(session.mail, session.user, folder.name, folder.uidValidity, msgs.map((m) => m.uid), false).size
        : item === 'UIDNEXT' ? folder.uidNext
        : item === 'UIDVALIDITY' ? folder.uidValidity : msgs.filter((m) => !m.flags.includes('\\Seen')).length;
      values.push(item, v);
    }
    return ok('STATUS completed', undefined, [data('STATUS', wireName(folder.name), values)]);
  },
};
