import type { MailRepo, MessageMeta } from '../../emulator/store/mail.js';
import { data, status, type Untagged, type Value } from './types.js';
import { mailboxName } from './serialiser.js';
import { encodeMailbox } from './utf7.js';
import { recentAmong } from './recent.js';

export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/** The session's view of its selected mailbox: message numbers, UIDs and flags as last told to the client. */
export class SelectedMailbox {
  uids: number[] = [];
  flags = new Map<number, string[]>();
  /** UIDs that are \Recent in this session. */
  recent = new Set<number>();
  uidValidity = 0;
  uidNext = 1;
  /** Another session changed this mailbox since the last look. */
  dirty = false;
  /** The keywords told to the client in `* FLAGS` (by lower-case name), in the order told. */
  private keywords = new Map<string, string>();

  constructor(private readonly mail: MailRepo, readonly owner: string, readonly name: string, readonly readOnly: boolean) {}

  /** SELECT / EXAMINE: the first look, and its untagged responses (RFC 3501 6.3.1). */
  open(): Untagged[] {
    const folder = this.mail.folder(this.owner, this.name)!;
    const msgs = this.mail.messages(this.owner, this.name);
    this.uidValidity = folder.uidValidity;
    this.uidNext = folder.uidNext;
    this.uids = msgs.map((m) => m.uid);
    for (const m of msgs) this.flags.set(m.uid, m.flags);
    this.recent = recentAmong(this.mail, this.owner, this.name, folder.uidValidity, this.uids, !this.readOnly);
    const firstUnseen = msgs.findIndex((m) => !m.flags.includes('\\Seen'));
    this.learnKeywords(msgs.map((m) => m.flags));
    const out: Untagged[] = [
      ...this.flagsResponses(),
      data(msgs.length, 'EXISTS'),
      data(this.recent.size, 'RECENT'),
    ];
    if (firstUnseen >= 0) out.push(status('OK', `First unseen`, `UNSEEN ${firstUnseen + 1}`));
    out.push(status('OK', 'UIDs valid', `UIDVALIDITY ${folder.uidValidity}`), status('OK', 'Predicted next UID', `UIDNEXT ${folder.uidNext}`));
    return out;
  }

  /** The flags as this session tells them: the stored ones plus \Recent. */
  flagsOf(uid: number): string[] {
    const flags = this.flags.get(uid) ?? [];
    return this.recent.has(uid) ? [...flags, '\\Recent'] : flags;
  }

  get exists(): number {
    return this.uids.length;
  }

  seqOf(uid: number): number {
    // UIDs are ascending: binary search.
    let lo = 0;
    let hi = this.uids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.uids[mid]!;
      if (v === uid) return mid + 1;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  /**
   * Notes flags this session set itself (no FETCH update owed for them);
   * returns the `* FLAGS` / PERMANENTFLAGS responses owed first when a new
   * keyword came into use.
   */
  noteFlags(metas: MessageMeta[]): Untagged[] {
    for (const m of metas) if (this.flags.has(m.uid)) this.flags.set(m.uid, m.flags);
    return this.learnKeywords(metas.map((m) => m.flags)) ? this.flagsResponses() : [];
  }

  /** Adds the keywords among `lists` the client has not been told of; whether there were any. */
  private learnKeywords(lists: string[][]): boolean {
    let learnt = false;
    for (const flags of lists) {
      for (const f of flags) {
        if (f.startsWith('\\') || this.keywords.has(f.toLowerCase())) continue;
        this.keywords.set(f.toLowerCase(), f);
        learnt = true;
      }
    }
    return learnt;
  }

  /**
   * `* FLAGS` and `* OK [PERMANENTFLAGS]`: at SELECT and again whenever a new
   * keyword comes into use, before any FETCH that shows it (RFC 3501 7.2.6:
   * a client may only see flags it was told of).
   */
  private flagsResponses(): Untagged[] {
    const keywords = [...this.keywords.values()];
    return [
      data(`FLAGS (${[...SYSTEM_FLAGS, ...keywords].join(' ')})`),
      status('OK', 'Flags permitted', `PERMANENTFLAGS (${this.readOnly ? '' : [...SYSTEM_FLAGS, ...keywords, '\\*'].join(' ')})`),
    ];
  }

  /** Removes UIDs this session expunged itself; returns their message numbers as told (descending order safe). */
  removeExpunged(uids: number[]): number[] {
    const gone = new Set(uids);
    const seqs: number[] = [];
    for (let i = this.uids.length - 1; i >= 0; i--) {
      if (gone.has(this.uids[i]!)) {
        seqs.push(i + 1);
        this.flags.delete(this.uids[i]!);
        this.recent.delete(this.uids[i]!);
        this.uids.splice(i, 1);
      }
    }
    return seqs;
  }

  /**
   * What changed since the client's last look: EXPUNGE (only where allowed,
   * RFC 3501 7.4.1), EXISTS for new messages, FETCH FLAGS for changed flags.
   * Returns null when the mailbox is gone or was recreated (the session must end).
   */
  refresh(allowExpunge: boolean): Untagged[] | null {
    const folder = this.mail.folder(this.owner, this.name);
    if (!folder || folder.uidValidity !== this.uidValidity) return null;
    this.dirty = false;
    const msgs = this.mail.messages(this.owner, this.name);
    const current = new Map(msgs.map((m) => [m.uid, m]));
    const out: Untagged[] = [];
    const gone = this.uids.filter((u) => !current.has(u));
    // Descending, so each number is still valid when the client applies it.
    if (allowExpunge) for (const seq of this.removeExpunged(gone)) out.push(data(seq, 'EXPUNGE'));
    // Expunges not yet reported stay owed: look again at the next chance.
    else if (gone.length) this.dirty = true;
    const last = this.uids.length ? this.uids[this.uids.length - 1]! : 0;
    const added: number[] = [];
    // New keywords are announced before the FETCH responses that show them.
    const flagsAt = out.length;
    if (this.learnKeywords(msgs.map((m) => m.flags))) out.splice(flagsAt, 0, ...this.flagsResponses());
    for (const m of msgs) {
      const known = this.flags.get(m.uid);
      if (m.uid > last && !known) {
        this.uids.push(m.uid);
        this.flags.set(m.uid, m.flags);
        added.push(m.uid);
      } else if (known && !sameFlags(known, m.flags)) {
        this.flags.set(m.uid, m.flags);
        out.push(data(this.seqOf(m.uid), 'FETCH', ['FLAGS', this.flagsOf(m.uid), 'UID', m.uid] as Value[]));
      }
    }
    for (const u of recentAmong(this.mail, this.owner, this.name, this.uidValidity, added, !this.readOnly)) this.recent.add(u);
    this.uidNext = folder.uidNext;
    if (added.length) out.push(data(this.uids.length, 'EXISTS'), data(this.recent.size, 'RECENT'));
    return out;
  }
}

function sameFlags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((f) => b.includes(f));
}

export const wireName = (name: string): Value => mailboxName(encodeMailbox(name));
