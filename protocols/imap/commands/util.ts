import type { Session } from '../session.js';
import { astring, inRanges, parseSequenceSet } from '../parser.js';
import { SyntaxError, type Token } from '../types.js';
import { decodeMailbox } from '../utf7.js';

/** A mailbox argument: modified UTF-7 on the wire, Unicode in the store; INBOX case-insensitive. */
export function mailboxArg(t: Token | undefined): string {
  const wire = astring(t, 'mailbox name');
  const name = t && t.type === 'string' && t.literal && /[\x80-\xff]/.test(t.value.toString('latin1')) ? wire : decodeMailbox(wire) ?? wire;
  return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
}

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
  if (text !== '*' && !text.includes('*') && box.exists === 0) throw new SyntaxError('no messages in the mailbox');
  const ranges = parseSequenceSet(text, box.exists);
  for (const [, hi] of ranges) if (hi > box.exists && box.exists > 0) throw new SyntaxError(`message number ${hi} does not exist (the mailbox has ${box.exists})`);
  box.uids.forEach((u, i) => {
    if (inRanges(ranges, i + 1)) out.push({ seq: i + 1, uid: u });
  });
  return out;
}

/** Flags in a STORE or APPEND: `\Seen`-style system flags (known ones only) and keyword atoms. */
export function flagList(tokens: Token[]): string[] {
  const SYSTEM = ['\\ANSWERED', '\\FLAGGED', '\\DELETED', '\\SEEN', '\\DRAFT'];
  return tokens.map((t) => {
    if (t.type !== 'atom') throw new SyntaxError('flags must be atoms');
    const f = t.value;
    if (f.startsWith('\\')) {
      const i = SYSTEM.indexOf(f.toUpperCase());
      if (i < 0) throw new SyntaxError(`unknown system flag ${f}`);
      return ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'][i]!;
    }
    if (!/^[!#$&'+,\-.0-9:;<=>?@A-Z^_`a-z|~]+$/.test(f)) throw new SyntaxError(`invalid keyword ${f}`);
    return f;
  });
}
