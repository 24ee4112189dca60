import type { Session } from '../session.js';
import { inRanges, mailboxName, parseSequenceSet } from '../parser.js';
import { encodeMailbox } from '../utf7.js';
import { ImapSyntaxError, type Token } from '../types.js';

/** A mailbox argument (checked in dispatch): Unicode as the store names it; INBOX case-insensitive. */
export const mailboxArg = (t: Token | undefined): string => mailboxName(t);

/** A mailbox name as it appears in a response text: modified UTF-7, 7-bit like every response text. */
export const shown = (name: string): string => encodeMailbox(name);

export interface Target {
  seq: number;
  uid: number;
}

/** Resolves a sequence set (message numbers, or UIDs for UID commands) against the selected mailbox. */
export function resolveSet(session: Session, text: string, uid: boolean): Target[] {
  const box = session.selected!;
  const out: Target[] = [];
  if (uid) {
    const max = box.uids.length ? box.uids[box.uids.length - 1]! : 0;
    const ranges = parseSequenceSet(text, max);
    box.uids.forEach((u, i) => {
      if (inRanges(ranges, u)) out.push({ seq: i + 1, uid: u });
    });
    return out;
  }
  if (text !== '*' && !text.includes('*') && box.exists === 0) throw new ImapSyntaxError('no messages in the mailbox');
  const ranges = parseSequenceSet(text, box.exists);
  for (const [, hi] of ranges) if (hi > box.exists && box.exists > 0) throw new ImapSyntaxError(`message number ${hi} does not exist (the mailbox has ${box.exists})`);
  box.uids.forEach((u, i) => {
    if (inRanges(ranges, i + 1)) out.push({ seq: i + 1, uid: u });
  });
  return out;
}

/** Flags in a STORE or APPEND: `\Seen`-style system flags (known ones only) and keyword atoms. */
export function flagList(tokens: Token[]): string[] {
  const SYSTEM = ['\\ANSWERED', '\\FLAGGED', '\\DELETED', '\\SEEN', '\\DRAFT'];
  return tokens.map((t) => {
    // `NIL` is a keyword like any other atom here (it is not a flag list).
    if (t.type !== 'atom' && t.type !== 'nil') throw new ImapSyntaxError('flags must be atoms');
    const f = t.type === 'nil' ? 'NIL' : t.value;
    if (f.startsWith('\\')) {
      const i = SYSTEM.indexOf(f.toUpperCase());
      if (i < 0) throw new ImapSyntaxError(`unknown system flag ${f}`);
      return ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'][i]!;
    }
    if (!/^[!#$&'+,\-.0-9:;<=>?@A-Z^_`a-z|~]+$/.test(f)) throw new ImapSyntaxError(`invalid keyword ${f}`);
    return f;
  });
}
