// Mail: a user's folders live on their home server. Deleting moves to
// WasteBox (ごみ箱); deleting in WasteBox removes for good. Sending delivers
// to each recipient's INBOX on their home server and keeps a copy in the
// sender's OUTBOX (送信メール).

import type { Account } from '../store/directory.js';
import type { MailRepo } from '../store/mail.js';
import { ok, refuse, type Outcome } from './outcome.js';
import { headerField, stampMessage } from '../mta.js';
import type { DomainServer, DomainSite } from './ports.js';

export const WASTEBOX = 'WasteBox';

export class MailService<S extends DomainServer> {
  constructor(private readonly site: DomainSite<S>) {}

  /** The user's mailbox: the mail store of their home server (POP3, IMAP, the web and AME read and write messages there). */
  mailbox(user: string | Account): MailRepo {
    return this.site.homeServer(user).store.mail;
  }

  /** Creates INBOX, OUTBOX and WasteBox where they are missing (a client about to file a message). */
  ensureFolders(user: Account): MailRepo {
    const mail = this.mailbox(user);
    mail.ensureDefaultFolders(user.name);
    return mail;
  }

  /** A folder of the user's by name (INBOX in any case), with its stored name. */
  folder(user: Account, name: string): Outcome<string, 'not-found'> {
    const f = this.site.homeServer(user).store.mail.folder(user.name, name);
    return f ? ok(f.name) : refuse('not-found', `no folder ${JSON.stringify(name)}`);
  }

  /**
   * Deletes messages: to WasteBox, or removed for good in WasteBox. `removed`
   * or `moved` ([uid, WasteBox uid]) say what happened; missing UIDs are left out.
   */
  delete(user: Account, folder: string, uids: number[]): Outcome<{ folder: string; permanently: boolean; removed: number[]; moved: Array<[number, number]> }, 'not-found'> {
    const f = this.folder(user, folder);
    if (!f.ok) return f;
    const mail = this.mailbox(user);
    if (f.value === WASTEBOX) return ok({ folder: f.value, permanently: true, removed: mail.expunge(user.name, WASTEBOX, uids), moved: [] });
    const { pairs } = mail.copy(user.name, f.value, uids, WASTEBOX, { move: true });
    return ok({ folder: f.value, permanently: false, removed: [], moved: pairs });
  }

  /**
   * The message as an MTA delivers it: Return-Path (the envelope sender, else
   * From), Date (the site's clock) and Message-ID added where missing
   * (emulator/mta.ts). Every delivery path goes through here once.
   */
  stamp(message: Buffer | string, opts: { envelopeFrom?: string; host?: string } = {}): Buffer {
    const raw = Buffer.isBuffer(message) ? message : Buffer.from(message, 'utf8');
    return stampMessage(raw, { now: this.site.clock?.now() ?? Date.now(), host: opts.host ?? this.site.directoryServer.name, envelopeFrom: opts.envelopeFrom });
  }

  /**
   * Delivers to the user's INBOX on their home server, stamped (`stamp`);
   * `asStored`: the bytes as they are (demo data and fixtures: mail already in
   * the mailbox, or a message stamped once for several recipients).
   */
  deliver(to: string, message: Buffer | string, opts: { envelopeFrom?: string; asStored?: boolean } = {}): Outcome<{ user: string; server: string; uid: number }, 'not-found'> {
    const account = this.site.directory.get(to);
    if (!account) return refuse('not-found', `no account ${JSON.stringify(to)}`);
    const home = this.site.homeServer(account);
    home.store.mail.ensureDefaultFolders(account.name);
    const raw = opts.asStored ? (Buffer.isBuffer(message) ? message : Buffer.from(message, 'utf8')) : this.stamp(message, { envelopeFrom: opts.envelopeFrom, host: home.name });
    const { uid } = home.store.mail.append(account.name, 'INBOX', raw);
    return ok({ user: account.name, server: home.name, uid });
  }

  /**
   * Delivers the message to every recipient and files a copy (\Seen) in the
   * sender's OUTBOX; `messageId`: the one it carries (its own or the stamp's).
   */
  send(from: Account, to: Account[], message: Buffer | string): { delivered: Array<{ user: string; server: string; uid: number }>; outboxUid: number; messageId: string | null } {
    // Stamped once: every recipient and the OUTBOX copy have the same Message-ID and Date.
    const raw = this.stamp(message, { host: this.site.homeServer(from).name });
    const delivered = to.map((r) => {
      const d = this.deliver(r.name, raw, { asStored: true });
      if (!d.ok) throw new Error(d.message); // the recipients are accounts: cannot happen
      return d.value;
    });
    const { uid: outboxUid } = this.ensureFolders(from).append(from.name, 'OUTBOX', raw, { flags: ['\\Seen'] });
    return { delivered, outboxUid, messageId: headerField(raw, 'message-id') };
  }
}
