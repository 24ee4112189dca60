import { astring } from '../parser.js';
import { wireName } from '../mailbox.js';
import { ImapSyntaxError, data, ok, quoted, type CommandSpec, type ParsedCommand, type Token, type Untagged } from '../types.js';
import type { Session } from '../session.js';
import { decodeMailbox } from '../utf7.js';
import { DELIMITER, isInferior, levels } from '../hierarchy.js';

/** SPECIAL-USE (RFC 6154): the product's 送信メール and ごみ箱. */
const SPECIAL: Record<string, string> = { OUTBOX: '\\Sent', WasteBox: '\\Trash' };

/**
 * Whether a mailbox name matches a LIST pattern (`*` anything, `%` anything
 * but the hierarchy delimiter). A table walk, not a regular expression: a
 * pattern of many wildcards would make a backtracking regex run for minutes
 * and stop every session of the site.
 */
export function patternMatches(pattern: string, name: string): boolean {
  const s = [...name];
  // Runs of wildcards are one wildcard (`*` wins over `%`).
  const p: string[] = [];
  let literals = 0;
  for (const ch of pattern) {
    const last = p[p.length - 1];
    if ((ch === '*' || ch === '%') && (last === '*' || last === '%')) {
      if (ch === '*') p[p.length - 1] = '*';
      continue;
    }
    if (ch !== '*' && ch !== '%') literals++;
    p.push(ch);
  }
  if (literals > s.length) return false;
  let cur: boolean[] = new Array<boolean>(s.length + 1).fill(false);
  cur[0] = true;
  for (const ch of p) {
    const next: boolean[] = new Array<boolean>(s.length + 1).fill(false);
    if (ch === '*' || ch === '%') {
      for (let j = 0; j <= s.length; j++) next[j] = cur[j]! || (j > 0 && next[j - 1]! && (ch === '*' || s[j - 1] !== DELIMITER));
    } else {
      for (let j = 1; j <= s.length; j++) next[j] = cur[j - 1]! && s[j - 1] === ch;
    }
    cur = next;
  }
  return cur[s.length]!;
}

/**
 * LIST / LSUB. LIST also takes the forms clients send when they see
 * SPECIAL-USE: `LIST (SPECIAL-USE) "" "*"`, `LIST (SUBSCRIBED) "" "*"` and a
 * trailing `RETURN (...)` (RFC 5258 / 6154), which is accepted and ignored:
 * special-use attributes are always returned.
 *
 * Every level of the hierarchy is listed: a name above folders that is not a
 * folder itself is `\Noselect \HasChildren` (RFC 3501 6.3.8). LSUB lists the
 * subscribed folders, and for a pattern without `*` the unsubscribed levels
 * above subscribed folders that the pattern stops at, as `\Noselect`
 * (RFC 3501 6.3.9: `LSUB "" %` with `foo/bar` subscribed returns `foo`).
 */
export function list(session: Session, cmd: ParsedCommand, subscribedOnly: boolean) {
  const args = [...cmd.args];
  const selection = new Set<string>();
  const first = args[0];
  if (cmd.name === 'LIST' && first?.type === 'list') {
    args.shift();
    for (const t of first.items) {
      if (t.type !== 'atom') throw new ImapSyntaxError('selection options must be atoms');
      selection.add(t.value.toUpperCase());
    }
  }
  if (cmd.name === 'LIST' && args.length === 4 && args[2]?.type === 'atom' && args[2].value.toUpperCase() === 'RETURN' && args[3]?.type === 'list') args.splice(2, 2);
  if (args.length !== 2) throw new ImapSyntaxError(`${cmd.name} takes a reference and a mailbox pattern`);
  const subscribed = subscribedOnly || selection.has('SUBSCRIBED');
  const rawReference = astring(args[0], 'reference');
  const reference = decodeMailbox(rawReference) ?? rawReference;
  const patterns: Token[] = args[1]!.type === 'list' ? args[1]!.items : [args[1]!];
  const fulls = patterns.map((p) => {
    const raw = astring(p, 'mailbox pattern');
    return reference + (decodeMailbox(raw) ?? raw);
  });
  if (fulls.length === 1 && fulls[0] === reference && patterns.length === 1 && astring(patterns[0], 'pattern') === '') {
    return ok(`${cmd.name} completed`, undefined, [data(cmd.name, ['\\Noselect'], quoted(DELIMITER), quoted(''))]);
  }
  // INBOX is case-insensitive (RFC 3501 5.1): `inbox`, `Inbox*` find it; `%box` does not.
  const matches = (name: string) => fulls.some((full) => patternMatches(full, name) || (name === 'INBOX' && /^inbox/i.test(full) && patternMatches(`INBOX${full.slice(5)}`, 'INBOX')));
  const all = levels(session.mail.folders(session.user));
  const out: Untagged[] = [];
  if (subscribed) {
    const subscribedNames = all.filter((l) => l.folder?.subscribed).map((l) => l.name);
    const stopsAtLevels = !fulls.some((f) => f.includes('*'));
    for (const l of all) {
      const isSubscribed = !!l.folder?.subscribed;
      if (!matches(l.name)) continue;
      if (!isSubscribed && !(stopsAtLevels && subscribedNames.some((n) => isInferior(n, l.name)))) continue;
      if (selection.has('SPECIAL-USE') && !SPECIAL[l.name]) continue;
      const attrs: string[] = isSubscribed ? [l.hasChildren ? '\\HasChildren' : '\\HasNoChildren'] : ['\\Noselect', '\\HasChildren'];
      if (isSubscribed && SPECIAL[l.name]) attrs.push(SPECIAL[l.name]!);
      if (selection.has('SUBSCRIBED') && isSubscribed) attrs.push('\\Subscribed');
      out.push(data(cmd.name, attrs, quoted(DELIMITER), wireName(l.name)));
    }
    return ok(`${cmd.name} completed`, undefined, out);
  }
  for (const l of all) {
    if (selection.has('SPECIAL-USE') && !SPECIAL[l.name]) continue;
    if (!matches(l.name)) continue;
    const attrs = l.folder ? [l.hasChildren ? '\\HasChildren' : '\\HasNoChildren'] : ['\\Noselect', '\\HasChildren'];
    if (SPECIAL[l.name]) attrs.push(SPECIAL[l.name]!);
    out.push(data(cmd.name, attrs, quoted(DELIMITER), wireName(l.name)));
  }
  return ok(`${cmd.name} completed`, undefined, out);
}

export const listCommand: CommandSpec = {
  name: 'LIST', args: [{ name: 'reference', kind: 'any' }, { name: 'mailbox pattern', kind: 'any', rest: true }], states: ['authenticated', 'selected'], store: 'store',
  handle: (session, cmd) => list(session, cmd, false),
};
