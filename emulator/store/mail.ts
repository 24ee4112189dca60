import type { ServerDatabase } from './database.js';
import { BadRequest, NotFound } from '../errors.js';

/** The product's folders and their IMAP4 names (受信メール, 送信メール, ごみ箱). */
export const DEFAULT_FOLDERS = ['INBOX', 'OUTBOX', 'WasteBox'] as const;
export const FOLDER_NAME_MAX = 64;
const FORBIDDEN = /[\\"(){}]/;

export interface Folder {
  id: number;
  owner: string;
  name: string;
  uidValidity: number;
  uidNext: number;
  subscribed: boolean;
}

export interface MessageMeta {
  uid: number;
  size: number;
  /** ISO 8601. */
  internalDate: string;
  flags: string[];
}

/**
 * What the store keeps beside each message, computed from its bytes when it is written
 * (every delivery path writes through `append` or `copy`): IMAP's ENVELOPE as the octets a
 * FETCH sends, so that a first FETCH, in any process, reads them instead of parsing headers.
 * The site's composition root gives the function (the IMAP module computes ENVELOPE).
 */
export interface MessageIndex {
  envelope(raw: Buffer): Buffer;
}

/** Envelopes looked up with one statement at most (a FETCH of 1:* goes in runs of this many). */
export const ENVELOPE_RUN = 1000;

interface FolderRow { id: number; owner: string; name: string; uid_validity: number; uid_next: number; subscribed: number }
const toFolder = (r: FolderRow): Folder => ({ id: r.id, owner: r.owner, name: r.name, uidValidity: r.uid_validity, uidNext: r.uid_next, subscribed: !!r.subscribed });

/** Checks a user folder name against the product's rules; throws with the reason. */
export function checkFolderName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new BadRequest('E_FOLDER_NAME', 'folder name is empty');
  if ([...name].length > FOLDER_NAME_MAX) throw new BadRequest('E_FOLDER_NAME', `folder name is longer than ${FOLDER_NAME_MAX} characters`);
  if (FORBIDDEN.test(name)) throw new BadRequest('E_FOLDER_NAME', 'folder name must not contain \\ " ( ) { }');
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw new BadRequest('E_FOLDER_NAME', 'folder name must not contain control characters');
}

/** `INBOX` is case-insensitive (RFC 3501 5.1); every other name is exact. */
const canonical = (name: string): string => (name.toUpperCase() === 'INBOX' ? 'INBOX' : name);

let lastValidity = 0;
/** UIDVALIDITY: seconds since the epoch, strictly increasing within the process. */
function newUidValidity(): number {
  lastValidity = Math.max(lastValidity + 1, Math.floor(Date.now() / 1000));
  return lastValidity;
}

/** Mail folders and messages of the users whose home is this server. */
export class MailRepo {
  constructor(private readonly sdb: ServerDatabase, private readonly index?: MessageIndex) {}

  /** The message's envelope octets, or null when the store has no index (computed on first need, then). */
  private envelopeOf(raw: Buffer): Buffer | null {
    return this.index ? this.index.envelope(raw) : null;
  }

  private get db() {
    return this.sdb.db;
  }

  /** INBOX, OUTBOX and WasteBox exist for every mail user. */
  ensureDefaultFolders(owner: string): void {
    const missing = DEFAULT_FOLDERS.filter((name) => !this.folder(owner, name));
    if (!missing.length) return;
    this.sdb.write({ service: 'mail', operation: 'folder-create', object: `${owner}/${missing.join(',')}` }, () => {
      for (const name of missing) {
        this.sdb.prepare('INSERT INTO folders (owner, name, uid_validity) VALUES (?, ?, ?)').run(owner, name, newUidValidity());
      }
    });
  }

  folders(owner: string): Folder[] {
    return (this.sdb.prepare('SELECT * FROM folders WHERE owner = ? ORDER BY name = \'INBOX\' DESC, name').all(owner) as FolderRow[]).map(toFolder);
  }

  folder(owner: string, name: string): Folder | null {
    const row = this.sdb.prepare('SELECT * FROM folders WHERE owner = ? AND name = ?').get(owner, canonical(name)) as FolderRow | undefined;
    return row ? toFolder(row) : null;
  }

  private mustFolder(owner: string, name: string): Folder {
    const f = this.folder(owner, name);
    if (!f) throw new NotFound('E_NO_FOLDER', `no folder ${JSON.stringify(name)}`);
    return f;
  }

  /** A new folder; subscribed unless `subscribed: false` (IMAP CREATE leaves subscribing to the client, RFC 3501 6.3.3). */
  createFolder(owner: string, name: string, opts: { subscribed?: boolean } = {}): Folder {
    checkFolderName(name);
    if (this.folder(owner, name)) throw new BadRequest('E_FOLDER_EXISTS', `folder ${JSON.stringify(name)} already exists`);
    this.sdb.write({ service: 'mail', operation: 'folder-create', object: `${owner}/${name}` }, () => {
      this.sdb.prepare('INSERT INTO folders (owner, name, uid_validity, subscribed) VALUES (?, ?, ?, ?)').run(owner, canonical(name), newUidValidity(), opts.subscribed === false ? 0 : 1);
    });
    return this.folder(owner, name)!;
  }

  deleteFolder(owner: string, name: string): void {
    const f = this.mustFolder(owner, name);
    if ((DEFAULT_FOLDERS as readonly string[]).includes(f.name)) throw new BadRequest('E_FOLDER_PROTECTED', `folder ${f.name} cannot be deleted`);
    this.sdb.write({ service: 'mail', operation: 'folder-delete', object: `${owner}/${f.name}` }, () => {
      this.sdb.prepare('DELETE FROM folders WHERE id = ?').run(f.id);
    });
  }

  renameFolder(owner: string, from: string, to: string): Folder {
    const f = this.mustFolder(owner, from);
    checkFolderName(to);
    if ((DEFAULT_FOLDERS as readonly string[]).includes(f.name)) throw new BadRequest('E_FOLDER_PROTECTED', `folder ${f.name} cannot be renamed`);
    if (this.folder(owner, to)) throw new BadRequest('E_FOLDER_EXISTS', `folder ${JSON.stringify(to)} already exists`);
    this.sdb.write({ service: 'mail', operation: 'folder-rename', object: `${owner}/${f.name} -> ${to}` }, () => {
      // A renamed folder is a new mailbox for clients: new UIDVALIDITY (RFC 3501 2.3.1.1).
      this.sdb.prepare('UPDATE folders SET name = ?, uid_validity = ? WHERE id = ?').run(canonical(to), newUidValidity(), f.id);
    });
    return this.folder(owner, to)!;
  }

  setSubscribed(owner: string, name: string, subscribed: boolean): void {
    const f = this.mustFolder(owner, name);
    this.sdb.write({ service: 'mail', operation: subscribed ? 'subscribe' : 'unsubscribe', object: `${owner}/${f.name}` }, () => {
      this.sdb.prepare('UPDATE folders SET subscribed = ? WHERE id = ?').run(subscribed ? 1 : 0, f.id);
    });
  }

  messages(owner: string, folder: string): MessageMeta[] {
    const f = this.mustFolder(owner, folder);
    return (this.sdb.prepare('SELECT uid, size, internal_date, flags FROM messages WHERE folder_id = ? ORDER BY uid').all(f.id) as Array<{ uid: number; size: number; internal_date: string; flags: string }>)
      .map((r) => ({ uid: r.uid, size: r.size, internalDate: r.internal_date, flags: JSON.parse(r.flags) as string[] }));
  }

  count(owner: string, folder: string): number {
    const f = this.mustFolder(owner, folder);
    return (this.sdb.prepare('SELECT count(*) AS n FROM messages WHERE folder_id = ?').get(f.id) as { n: number }).n;
  }

  raw(owner: string, folder: string, uid: number): Buffer | null {
    const f = this.mustFolder(owner, folder);
    const row = this.sdb.prepare('SELECT raw FROM messages WHERE folder_id = ? AND uid = ?').get(f.id, uid) as { raw: Buffer } | undefined;
    return row ? row.raw : null;
  }

  /** Raw bytes of several messages with one statement (IMAP FETCH and SEARCH read them in batches). */
  rawMany(owner: string, folder: string, uids: number[]): Map<number, Buffer> {
    const f = this.mustFolder(owner, folder);
    if (!uids.length) return new Map();
    const [lo, hi] = uidSpan(uids);
    const want = new Set(uids);
    const rows = this.sdb.prepare('SELECT uid, raw FROM messages WHERE folder_id = ? AND uid BETWEEN ? AND ?').all(f.id, lo, hi) as Array<{ uid: number; raw: Buffer }>;
    return new Map(rows.filter((r) => want.has(r.uid)).map((r) => [r.uid, r.raw]));
  }

  /**
   * The envelope octets of each of `uids` that exists, with one statement: those stored with the
   * message, and for a message stored without one (before the store kept envelopes) computed
   * from its bytes now and kept from now on. At most ENVELOPE_RUN uids a call.
   */
  envelopes(owner: string, folder: string, uids: number[]): Map<number, Buffer> {
    const f = this.mustFolder(owner, folder);
    if (!uids.length) return new Map();
    if (uids.length > ENVELOPE_RUN) throw new RangeError(`envelopes: at most ${ENVELOPE_RUN} messages a call`);
    const [lo, hi] = uidSpan(uids);
    const want = new Set(uids);
    const rows = this.sdb.prepare('SELECT m.uid, e.octets FROM messages m LEFT JOIN envelopes e ON e.message_id = m.id WHERE m.folder_id = ? AND m.uid BETWEEN ? AND ?')
      .all(f.id, lo, hi) as Array<{ uid: number; octets: Buffer | null }>;
    const out = new Map<number, Buffer>();
    const missing: number[] = [];
    for (const r of rows) {
      if (!want.has(r.uid)) continue;
      if (r.octets) out.set(r.uid, r.octets);
      else missing.push(r.uid);
    }
    if (!missing.length) return out;
    if (!this.index) throw new Error('this store keeps no message index: envelopes cannot be computed');
    const read = this.sdb.prepare('SELECT id, raw FROM messages WHERE folder_id = ? AND uid = ?');
    const computed: Array<[number, Buffer]> = [];
    for (const uid of missing) {
      const row = read.get(f.id, uid) as { id: number; raw: Buffer } | undefined;
      if (!row) continue;
      const octets = this.index.envelope(row.raw);
      out.set(uid, octets);
      computed.push([row.id, octets]);
    }
    const keep = this.sdb.prepare('INSERT OR IGNORE INTO envelopes (message_id, octets) VALUES (?, ?)');
    try {
      this.sdb.writeDerived(() => {
        for (const [id, octets] of computed) keep.run(id, octets);
      });
    } catch {
      // A read does not fail because what it derived could not be kept (a full disk): the
      // envelopes are right, and computed again next time.
    }
    return out;
  }

  append(owner: string, folder: string, raw: Buffer, opts: { flags?: string[]; internalDate?: Date } = {}): { uid: number; uidValidity: number } {
    const f = this.mustFolder(owner, folder);
    const envelope = this.envelopeOf(raw);
    return this.sdb.write({ service: 'mail', operation: 'append', object: `${owner}/${f.name}` }, () => {
      const next = (this.sdb.prepare('SELECT uid_next FROM folders WHERE id = ?').get(f.id) as { uid_next: number }).uid_next;
      const { lastInsertRowid } = this.sdb.prepare('INSERT INTO messages (folder_id, uid, size, internal_date, flags, raw) VALUES (?, ?, ?, ?, ?, ?)').run(
        f.id, next, raw.length, opts.internalDate ? opts.internalDate.toISOString() : this.sdb.now(), JSON.stringify(opts.flags ?? []), raw);
      if (envelope) this.sdb.prepare('INSERT INTO envelopes (message_id, octets) VALUES (?, ?)').run(lastInsertRowid, envelope);
      this.sdb.prepare('UPDATE folders SET uid_next = ? WHERE id = ?').run(next + 1, f.id);
      return { uid: next, uidValidity: f.uidValidity };
    });
  }

  /** Sets, adds or removes flags on the given UIDs; returns the new metadata of those that exist. */
  setFlags(owner: string, folder: string, uids: number[], flags: string[], mode: 'add' | 'remove' | 'replace'): MessageMeta[] {
    const f = this.mustFolder(owner, folder);
    const select = this.sdb.prepare('SELECT uid, size, internal_date, flags FROM messages WHERE folder_id = ? AND uid = ?');
    const update = this.sdb.prepare('UPDATE messages SET flags = ? WHERE folder_id = ? AND uid = ?');
    return this.sdb.write({ service: 'mail', operation: `flags-${mode}`, object: `${owner}/${f.name} ${uids.length} message(s) ${flags.join(' ')}` }, () => {
      const out: MessageMeta[] = [];
      for (const uid of uids) {
        const row = select.get(f.id, uid) as { uid: number; size: number; internal_date: string; flags: string } | undefined;
        if (!row) continue;
        const current = JSON.parse(row.flags) as string[];
        let next: string[];
        if (mode === 'replace') next = [...new Set(flags)];
        else if (mode === 'add') next = [...new Set([...current, ...flags])];
        else next = current.filter((x) => !flags.some((y) => y.toLowerCase() === x.toLowerCase()));
        update.run(JSON.stringify(next), f.id, uid);
        out.push({ uid, size: row.size, internalDate: row.internal_date, flags: next });
      }
      return out;
    });
  }

  /** Removes the given UIDs; returns those that were removed. */
  expunge(owner: string, folder: string, uids: number[]): number[] {
    const f = this.mustFolder(owner, folder);
    const del = this.sdb.prepare('DELETE FROM messages WHERE folder_id = ? AND uid = ?');
    return this.sdb.write({ service: 'mail', operation: 'expunge', object: `${owner}/${f.name} ${uids.length} message(s)` }, () =>
      uids.filter((uid) => del.run(f.id, uid).changes > 0));
  }

  /** Copies messages; returns [source uid, new uid] pairs (UIDPLUS). */
  copy(owner: string, from: string, uids: number[], to: string, opts: { move?: boolean } = {}): { uidValidity: number; pairs: Array<[number, number]> } {
    const src = this.mustFolder(owner, from);
    const dst = this.mustFolder(owner, to);
    const select = this.sdb.prepare('SELECT id, uid, size, internal_date, flags, raw FROM messages WHERE folder_id = ? AND uid = ?');
    const insert = this.sdb.prepare('INSERT INTO messages (folder_id, uid, size, internal_date, flags, raw) VALUES (?, ?, ?, ?, ?, ?)');
    const copyEnvelope = this.sdb.prepare('INSERT INTO envelopes (message_id, octets) SELECT ?, octets FROM envelopes WHERE message_id = ?');
    const del = this.sdb.prepare('DELETE FROM messages WHERE folder_id = ? AND uid = ?');
    const op = opts.move ? 'move' : 'copy';
    return this.sdb.write({ service: 'mail', operation: op, object: `${owner}/${src.name} -> ${dst.name} ${uids.length} message(s)` }, () => {
      let next = (this.sdb.prepare('SELECT uid_next FROM folders WHERE id = ?').get(dst.id) as { uid_next: number }).uid_next;
      const pairs: Array<[number, number]> = [];
      for (const uid of uids) {
        const row = select.get(src.id, uid) as { id: number; uid: number; size: number; internal_date: string; flags: string; raw: Buffer } | undefined;
        if (!row) continue;
        copyEnvelope.run(insert.run(dst.id, next, row.size, row.internal_date, row.flags, row.raw).lastInsertRowid, row.id);
        if (opts.move) del.run(src.id, uid);
        pairs.push([uid, next]);
        next++;
      }
      this.sdb.prepare('UPDATE folders SET uid_next = ? WHERE id = ?').run(next, dst.id);
      return { uidValidity: dst.uidValidity, pairs };
    });
  }
}

/** The lowest and the highest of `uids` (not empty): the range one BETWEEN statement reads. */
function uidSpan(uids: readonly number[]): [number, number] {
  let lo = uids[0]!;
  let hi = uids[0]!;
  for (const u of uids) {
    if (u < lo) lo = u;
    if (u > hi) hi = u;
  }
  return [lo, hi];
}
