import { atom } from '../parser.js';
import { data, no, ok, type CommandSpec } from '../types.js';
import type { Session } from '../session.js';
import { resolveSet } from './util.js';

/** Removes the \Deleted messages (of `only`, for UID EXPUNGE); returns their message numbers, descending. */
export function expungeDeleted(session: Session, only: Set<number> | null): number[] {
  const box = session.selected!;
  const doomed = box.uids.filter((u) => (box.flags.get(u) ?? []).includes('\\Deleted') && (!only || only.has(u)));
  if (!doomed.length) return [];
  const removed = session.mail.expunge(session.user, box.name, doomed);
  return box.removeExpunged(removed);
}

export const expunge: CommandSpec = {
  name: 'EXPUNGE', args: [], uidArgs: [{ name: 'UID set', kind: 'sequence-set' }], uidCapability: 'UIDPLUS', states: ['selected'], store: 'store', uid: true,
  handle(session, cmd) {
    if (session.selected!.readOnly) return no('The mailbox is read-only (EXAMINE)', 'READ-ONLY');
    // Flags other sessions set count too: look at the store first.
    session.updates(false);
    const only = cmd.uid ? new Set(resolveSet(session, atom(cmd.args[0], 'UID set'), true).map((t) => t.uid)) : null;
    const seqs = expungeDeleted(session, only);
    return ok(`${cmd.uid ? 'UID ' : ''}EXPUNGE completed`, undefined, seqs.map((s) => data(s, 'EXPUNGE')));
  },
};
