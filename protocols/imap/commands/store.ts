import { argCount, atom } from '../parser.js';
import { SyntaxError, data, no, ok, type CommandSpec, type Untagged } from '../types.js';
import { flagList, resolveSet } from './util.js';

export const store: CommandSpec = {
  name: 'STORE', states: ['selected'], store: 'store', uid: true,
  handle(session, cmd) {
    argCount(cmd.args, 3);
    const box = session.selected!;
    const targets = resolveSet(session, atom(cmd.args[0], 'sequence set'), cmd.uid);
    const m = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(atom(cmd.args[1], 'STORE item'));
    if (!m) throw new SyntaxError('the STORE item must be FLAGS, +FLAGS or -FLAGS (optionally .SILENT)');
    const value = cmd.args[2]!;
    const flags = flagList(value.type === 'list' ? value.items : [value]);
    if (box.readOnly) return no('The mailbox is read-only (EXAMINE)', 'READ-ONLY');
    const mode = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'replace';
    const metas = targets.length ? session.mail.setFlags(session.user, box.name, targets.map((t) => t.uid), flags, mode) : [];
    box.noteFlags(metas);
    const untagged: Untagged[] = [];
    if (!m[2]) {
      for (const meta of metas) {
        const seq = box.seqOf(meta.uid);
        if (seq) untagged.push(data(seq, 'FETCH', cmd.uid ? ['UID', meta.uid, 'FLAGS', box.flagsOf(meta.uid)] : ['FLAGS', box.flagsOf(meta.uid)]));
      }
    }
    return ok(`${cmd.uid ? 'UID ' : ''}STORE completed`, undefined, untagged);
  },
};
