import { argCount, astring } from '../parser.js';
import { wireName } from '../mailbox.js';
import { data, ok, quoted, type CommandSpec, type ParsedCommand, type Untagged } from '../types.js';
import type { Session } from '../session.js';
import { decodeMailbox } from '../utf7.js';

const DELIMITER = '/';
/** SPECIAL-USE (RFC 6154): the product's 送信メール and ごみ箱. */
const SPECIAL: Record<string, string> = { OUTBOX: '\\Sent', WasteBox: '\\Trash' };

function patternRegex(pattern: string): RegExp {
  const body = [...pattern].map((ch) => (ch === '*' ? '.*' : ch === '%' ? '[^/]*' : ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

function list(session: Session, cmd: ParsedCommand, subscribedOnly: boolean) {
  argCount(cmd.args, 2);
  const reference = decodeMailbox(astring(cmd.args[0], 'reference')) ?? '';
  const pattern = decodeMailbox(astring(cmd.args[1], 'mailbox pattern')) ?? '';
  if (pattern === '') {
    return ok(`${cmd.name} completed`, undefined, [data(cmd.name, ['\\Noselect'], quoted(DELIMITER), quoted(''))]);
  }
  const full = reference + pattern;
  const re = patternRegex(full);
  const folders = session.mail.folders(session.user);
  const names = new Set(folders.map((f) => f.name));
  const out: Untagged[] = [];
  for (const f of folders) {
    if (subscribedOnly && !f.subscribed) continue;
    // INBOX is case-insensitive (RFC 3501 5.1): `inbox`, `Inbox*` find it; `%box` does not.
    const matches = re.test(f.name) || (f.name === 'INBOX' && /^inbox/i.test(full) && patternRegex(`INBOX${full.slice(5)}`).test('INBOX'));
    if (!matches) continue;
    const hasChildren = [...names].some((n) => n.startsWith(`${f.name}${DELIMITER}`));
    const attrs = [hasChildren ? '\\HasChildren' : '\\HasNoChildren'];
    if (SPECIAL[f.name]) attrs.push(SPECIAL[f.name]!);
    out.push(data(cmd.name, attrs, quoted(DELIMITER), wireName(f.name)));
  }
  return ok(`${cmd.name} completed`, undefined, out);
}

export const listCommand: CommandSpec = {
  name: 'LIST', states: ['authenticated', 'selected'], store: 'store',
  handle: (session, cmd) => list(session, cmd, false),
};

export const lsub: CommandSpec = {
  name: 'LSUB', states: ['authenticated', 'selected'], store: 'store',
  handle: (session, cmd) => list(session, cmd, true),
};
