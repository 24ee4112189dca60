
import { SelectedMailbox } from '../mailbox.js';
import { no, type CommandSpec, type ParsedCommand } from '../types.js';
import type { Session } from '../session.js';
import { mailboxArg, shown } from './util.js';

/** SELECT and EXAMINE (RFC 3501 6.3.1-2): the session's first look at a mailbox. */
export function open(session: Session, cmd: ParsedCommand, readOnly: boolean) {
  const name = mailboxArg(cmd.args[0]);
  // A failed SELECT leaves no mailbox selected (RFC 3501 6.3.1).
  session.selected = null;
  session.state = 'authenticated';
  const folder = session.mail.folder(session.user, name);
  if (!folder) return no(`Mailbox does not exist: ${shown(name)}`, 'NONEXISTENT');
  const box = new SelectedMailbox(session.mail, session.user, folder.name, readOnly);
  const untagged = box.open();
  session.selected = box;
  session.state = 'selected';
  return { untagged, tagged: { status: 'OK' as const, code: readOnly ? 'READ-ONLY' : 'READ-WRITE', text: `${cmd.name} completed` } };
}

export const select: CommandSpec = {
  name: 'SELECT', args: [{ name: 'mailbox', kind: 'mailbox' }], states: ['authenticated', 'selected'], store: 'store',
  handle: (session, cmd) => open(session, cmd, false),
};
