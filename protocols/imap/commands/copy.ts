import { atom } from '../parser.js';
import { data, no, ok, status, type CommandSpec, type ParsedCommand, type Reply } from '../types.js';
import type { Session } from '../session.js';
import { offers } from '../capabilities.js';
import { mailboxArg, resolveSet, shown } from './util.js';

/** A UID set in compact form for COPYUID (`4:6,9`). */
export function uidSet(uids: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < uids.length) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    parts.push(i === j ? String(uids[i]) : `${uids[i]}:${uids[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export function copyOrMove(session: Session, cmd: ParsedCommand, move: boolean): Reply {
  const box = session.selected!;
  const targets = resolveSet(session, atom(cmd.args[0], 'sequence set'), cmd.uid);
  const dest = mailboxArg(cmd.args[1]);
  const folder = session.mail.folder(session.user, dest);
  if (!folder) return no(`Mailbox does not exist: ${shown(dest)}`, 'TRYCREATE');
  if (move && box.readOnly) return no('The mailbox is read-only (EXAMINE)', 'READ-ONLY');
  const verb = `${cmd.uid ? 'UID ' : ''}${cmd.name}`;
  if (!targets.length) return ok(`${verb} completed (no messages)`);
  const { uidValidity, pairs } = session.mail.copy(session.user, box.name, targets.map((t) => t.uid), folder.name, { move });
  const code = pairs.length && offers(session, 'UIDPLUS') ? `COPYUID ${uidValidity} ${uidSet(pairs.map((p) => p[0]))} ${uidSet(pairs.map((p) => p[1]))}` : undefined;
  if (!move) return ok(`${verb} completed`, code);
  // MOVE (RFC 6851 3.3): COPYUID untagged, then EXPUNGE for each moved message.
  const seqs = box.removeExpunged(pairs.map((p) => p[0]));
  return {
    untagged: [...(code ? [status('OK', 'Moved', code)] : []), ...seqs.map((s) => data(s, 'EXPUNGE'))],
    tagged: { status: 'OK', text: `${verb} completed` },
  };
}

export const copy: CommandSpec = {
  name: 'COPY', args: [{ name: 'sequence set', kind: 'sequence-set' }, { name: 'mailbox', kind: 'mailbox' }], states: ['selected'], store: 'store', uid: true,
  handle: (session, cmd) => copyOrMove(session, cmd, false),
};
