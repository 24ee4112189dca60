import { atom } from '../parser.js';
import { ImapSyntaxError, data, no, ok, type CommandSpec, type Untagged } from '../types.js';
import { flagList, resolveSet } from './util.js';

export const store: CommandSpec = {
  name: 'STORE', args: [{ name: 'sequence set', kind: 'sequence-set' }, { name: 'item', kind: 'atom' }, { name: 'flags', kind: 'any' }], states: ['selected'], store: 'store', uid: true,
  handle(session, cmd) {
    const box = session.selected!;
    const targets = resolveSet(session, atom(cmd.args[0], 'sequence set'), cmd.uid);
    const m = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(atom(cmd.args[1], 'STORE item'));
    if (!m) throw new ImapSyntaxError('the STORE item must be FLAGS, +FLAGS or -FLAGS (optionally .SILENT)');
    const value = cmd.args[2]!;
    const flags = flagList(value.type === 'list' ? value.items : [value]);
    if (box.readOnly) return no('The mailbox is read-only (EXAMINE)', 'READ-ONLY');
    const mode = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'replace';
    const metas = targets.length ? session.mail.setFlags(session.user, box.name, targets.map((t) => t.uid), flags, mode) : [];
    const untagged: Untagged[] = box.noteFlags(metas);
    if (!m[2]) {
      for (const meta of metas) {
        const seq = box.seqOf(meta.uid);
        if (seq) untagged.push(data(seq, 'FETCH', cmd.uid ? ['UID', meta.uid, 'FLAGS', box.flagsOf(meta.uid)] : ['FLAGS', box.flagsOf(meta.uid)]));
      }
    }
    return ok(`${cmd.uid ? 'UID ' : ''}STORE completed`, undefined, untagged);
  },
};
