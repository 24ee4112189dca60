
import { ImapSyntaxError, no, ok, type CommandSpec } from '../types.js';
import { offers } from '../capabilities.js';
import { flagList, mailboxArg, shown } from './util.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** date-time (RFC 3501 9): `"17-Jul-1996 02:44:25 -0700"`. */
export function parseDateTime(text: string): Date {
  const m = /^\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  const month = m ? MONTHS.findIndex((x) => x.toLowerCase() === m[2]!.toLowerCase()) : -1;
  if (!m || month < 0) throw new ImapSyntaxError(`invalid date-time ${JSON.stringify(text)}`);
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  const utc = Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offset * 60_000;
  const d = new Date(utc);
  if (Number.isNaN(d.getTime())) throw new ImapSyntaxError(`invalid date-time ${JSON.stringify(text)}`);
  return d;
}

export const append: CommandSpec = {
  name: 'APPEND', args: [{ name: 'mailbox', kind: 'mailbox' }, { name: 'flags, date-time and message', kind: 'any', rest: true }], states: ['authenticated', 'selected'], store: 'store',
  handle(session, cmd) {
    const name = mailboxArg(cmd.args[0]);
    const rest = cmd.args.slice(1);
    const message = rest.pop()!;
    if (message.type !== 'string' || !message.literal) throw new ImapSyntaxError('the message must be a literal');
    let flags: string[] = [];
    let internalDate: Date | undefined;
    for (const t of rest) {
      if (t.type === 'list') flags = flagList(t.items);
      else if (t.type === 'string' && !t.literal) internalDate = parseDateTime(t.value.toString('latin1'));
      else throw new ImapSyntaxError('APPEND takes a mailbox, optional flags, an optional date-time and a literal');
    }
    if (message.value.length === 0) throw new ImapSyntaxError('the message is empty');
    const folder = session.mail.folder(session.user, name);
    if (!folder) return no(`Mailbox does not exist: ${shown(name)}`, 'TRYCREATE');
    const { uid, uidValidity } = session.mail.append(session.user, folder.name, message.value, { flags, internalDate });
    return ok('APPEND completed', offers(session, 'UIDPLUS') ? `APPENDUID ${uidValidity} ${uid}` : undefined);
  },
};
