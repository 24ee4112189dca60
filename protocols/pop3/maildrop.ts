// The session's view of a user's INBOX (RFC 1939): a scan listing taken at
// login, numbered from 1, with deletion marks that only QUIT applies. The one
// place the POP3 server talks to the mail repository.

import type { SiteServer } from '../../emulator/server.js';
import type { Account } from '../../emulator/store/directory.js';
import type { MailRepo } from '../../emulator/store/mail.js';
import { normaliseLineEnds, wireSize } from './replies.js';

export interface MaildropEntry {
  /** Message number in this session, from 1. */
  number: number;
  uid: number;
  /** Octets with CRLF line ends (what RETR sends before byte-stuffing). */
  size: number;
  /** Unique-id listing: UIDVALIDITY and UID, stable across sessions (RFC 1939 section 7). */
  uidl: string;
  deleted: boolean;
}

const FOLDER = 'INBOX';
/**
 * Wire sizes of messages already seen, per store (messages never change; a UID
 * is never reused within a UIDVALIDITY). Keyed on the store object so that two
 * sites in one process never share an entry.
 */
const sizeCaches = new WeakMap<object, Map<string, number>>();
const SIZE_CACHE_MAX = 200_000;

export class Maildrop {
  /**
   * `mail` is the user's mailbox (the domain's: their home server's store, which is this
   * server's once logged in), looked up once at login: a server's store never changes, and
   * looking the account up again for each RETR cost a directory query each.
   */
  private constructor(
    private readonly mail: MailRepo,
    readonly user: string,
    readonly entries: MaildropEntry[],
  ) {}

  /** The scan listing of the user's INBOX on this server. */
  static open(server: SiteServer, account: Account): Maildrop {
    const user = account.name;
    const mail = server.site.domain.mail.mailbox(account);
    const folder = mail.folder(user, FOLDER);
    if (!folder) return new Maildrop(mail, user, []);
    let sizeCache = sizeCaches.get(server.store);
    if (!sizeCache) sizeCaches.set(server.store, (sizeCache = new Map()));
    const entries = mail.messages(user, FOLDER).map((m, i): MaildropEntry => {
      const key = `${user}/${folder.uidValidity}/${m.uid}`;
      let size = sizeCache.get(key);
      if (size === undefined) {
        const raw = mail.raw(user, FOLDER, m.uid);
        size = raw ? wireSize(raw) : m.size;
        if (sizeCache!.size >= SIZE_CACHE_MAX) sizeCache!.clear();
        sizeCache!.set(key, size);
      }
      return { number: i + 1, uid: m.uid, size, uidl: `${folder.uidValidity}.${m.uid}`, deleted: false };
    });
    return new Maildrop(mail, user, entries);
  }

  /** Messages not marked as deleted, and their octets (STAT). */
  stat(): { count: number; octets: number } {
    let count = 0;
    let octets = 0;
    for (const e of this.entries) if (!e.deleted) { count++; octets += e.size; }
    return { count, octets };
  }

  /** The entry for a message number, or null when there is none or it is marked as deleted. */
  get(number: number): MaildropEntry | null {
    const e = this.entries[number - 1];
    return e && !e.deleted ? e : null;
  }

  live(): MaildropEntry[] {
    return this.entries.filter((e) => !e.deleted);
  }

  /** The message's octets with CRLF line ends, or null when another client removed it since login. */
  read(entry: MaildropEntry): Buffer | null {
    const raw = this.mail.raw(this.user, FOLDER, entry.uid);
    return raw ? normaliseLineEnds(raw) : null;
  }

  mark(entry: MaildropEntry): void {
    entry.deleted = true;
  }

  /** RSET: unmarks every message; returns how many were marked. */
  reset(): number {
    let n = 0;
    for (const e of this.entries) if (e.deleted) { e.deleted = false; n++; }
    return n;
  }

  marked(): MaildropEntry[] {
    return this.entries.filter((e) => e.deleted);
  }

  /** UPDATE state: removes the marked messages (one store write; staged in backup mode). Returns how many went. */
  commit(): number {
    const uids = this.marked().map((e) => e.uid);
    if (!uids.length) return 0;
    return this.mail.expunge(this.user, FOLDER, uids).length;
  }

  /** Messages left in the INBOX after a commit. */
  remaining(): number {
    const folder = this.mail.folder(this.user, FOLDER);
    return folder ? this.mail.count(this.user, FOLDER) : 0;
  }
}
