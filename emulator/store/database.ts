import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { diskFull } from '../disk.js';
import { SCHEMA } from './schema.js';
import { systemClock, type Clock } from '../clock.js';

/** One captured write: what the staging area lists (issue: every domain write goes through `write`). */
export interface Change {
  seq: number;
  time: string;
  service: string;
  operation: string;
  object: string;
}

export type ChangeInput = Omit<Change, 'seq' | 'time'>;

export const DB_FILE = 'twoffice.db';
/** SQLite's default: checkpoint when the WAL reaches this many pages (outside backup mode). */
const AUTOCHECKPOINT_PAGES = 1000;

/**
 * A server's database: one SQLite file in WAL mode. Only the store folder sees SQL.
 *
 * The staging area (`to backup on` .. `to backup off`) is the WAL itself:
 * autocheckpoint is turned off, and while backup mode is on a read-only connection
 * holds a read transaction that began right after a TRUNCATE checkpoint, so no
 * checkpoint can copy WAL frames into the main file. The main file therefore
 * does not change by a byte while every write succeeds (into the WAL) and stays
 * visible to every reader. A read-only connection cannot checkpoint, so closing
 * the pin last never backfills either.
 */
let opened = 0;

export class ServerDatabase {
  /** Unique within the process: caches keyed by message must not mix two sites (or a site and its restored copy). */
  readonly id = ++opened;
  readonly db: Database.Database;
  readonly file: string;
  /** Fires 'change' with each committed Change (IMAP sessions, console). */
  readonly changes = new EventEmitter();
  private pin: Database.Database | null = null;
  private staging = false;
  private insertChange: Database.Statement;
  private seq = 0;

  /** The site's clock: the time of every change and of every row the repositories stamp. */
  readonly clock: Clock;

  /** `staging`: the server is in backup mode (a restart): no checkpoint from the first moment. */
  constructor(file: string, opts: { staging?: boolean; clock?: Clock } = {}) {
    this.file = file;
    this.clock = opts.clock ?? systemClock;
    this.db = new Database(file);
    // Outside backup mode the WAL is checkpointed as usual; in backup mode it must never be.
    this.db.pragma(`wal_autocheckpoint = ${opts.staging ? 0 : AUTOCHECKPOINT_PAGES}`);
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a commit is in the WAL before it is acknowledged, so a process crash
    // (kill -9) loses nothing; only a power loss could lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    // Fault injection for the tests: the database cannot grow (SQLite answers SQLITE_FULL, as on a full disk).
    if (process.env.TWEMU_FAULT === 'db-full') this.db.pragma(`max_page_count = ${this.db.pragma('page_count', { simple: true }) as number}`);
    this.insertChange = this.db.prepare('INSERT INTO staged_changes (time, service, operation, object) VALUES (?, ?, ?, ?)');
    this.changes.setMaxListeners(0);
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** A prepared statement, compiled once per SQL text (preparing costs more than running). */
  prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** The site clock's time, ISO 8601 (what rows are stamped with). */
  now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Whether writes are being captured by the staging area. */
  get stagingActive(): boolean {
    return this.staging;
  }

  /**
   * Runs `fn` in one transaction and records the change: the one place every
   * domain write goes through, so nothing escapes the staging list.
   */
  write<T>(change: ChangeInput, fn: () => T): T {
    const time = this.now();
    let result: T;
    try {
      result = this.db.transaction(() => {
        const value = fn();
        if (this.staging) this.insertChange.run(time, change.service, change.operation, change.object);
        return value;
      })();
    } catch (err) {
      // A full disk is a clear, temporary failure (the transaction rolled back: nothing half-written).
      // What the write needed is not known here: at least one more page of the database.
      throw diskFull(err, dirname(this.file), this.db.pragma('page_size', { simple: true }) as number, true);
    }
    this.changes.emit('change', { seq: ++this.seq, time, ...change } satisfies Change);
    return result;
  }

  /**
   * Runs `fn` in one transaction that writes only data derived from what is stored (a message's
   * ENVELOPE octets, computed from its bytes): not a change, so neither on the staging list nor
   * on `changes`; in backup mode it goes to the staging area like every write.
   */
  writeDerived(fn: () => void): void {
    try {
      this.db.transaction(fn)();
    } catch (err) {
      throw diskFull(err, dirname(this.file), this.db.pragma('page_size', { simple: true }) as number, true);
    }
  }

  /** Empties every table but the database's own bookkeeping (`meta`, the staging list): the console's "reset to demo state". */
  wipe(): void {
    const tables = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'staged_changes') AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    this.write({ service: 'site', operation: 'reset', object: 'every table' }, () => {
      for (const table of tables) this.db.prepare(`DELETE FROM "${table.replaceAll('"', '""')}"`).run();
    });
  }

  /** Step 2: checkpoint everything into the main file, then pin it. */
  beginStaging(): void {
    if (this.staging) return;
    this.db.pragma('wal_autocheckpoint = 0');
    const row = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (row[0]?.busy) throw new Error('could not checkpoint the database before backup mode (busy)');
    this.openPin();
    this.staging = true;
  }

  /** `beginStaging` undone (backup mode could not be saved): unpin, checkpoint as usual again. */
  abortStaging(): void {
    if (!this.staging) return;
    this.closePin();
    this.staging = false;
    this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  }

  /** After a restart in backup mode: pin again before anything can checkpoint. */
  resumeStaging(): void {
    if (this.staging) return;
    this.db.pragma('wal_autocheckpoint = 0');
    this.openPin();
    this.staging = true;
  }

  private openPin(): void {
    const pin = new Database(this.file, { readonly: true, fileMustExist: true });
    pin.pragma('wal_autocheckpoint = 0');
    // A read transaction held open: no checkpoint may backfill past it.
    pin.exec('BEGIN');
    pin.prepare('SELECT count(*) FROM sqlite_master').get();
    this.pin = pin;
  }

  /** Step 7: release the pin, merge the WAL into the main file, empty the staging list. */
  mergeStaging(): { merged: number } {
    const merged = this.stagedCount();
    this.closePin();
    this.staging = false;
    this.db.prepare('DELETE FROM staged_changes').run();
    const row = this.db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (row[0]?.busy) throw new Error('could not merge the staging area (database busy)');
    this.db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
    return { merged };
  }

  private closePin(): void {
    if (!this.pin) return;
    try {
      this.pin.exec('COMMIT');
    } catch {
      /* no transaction open */
    }
    this.pin.close();
    this.pin = null;
  }

  stagedCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM staged_changes').get() as { n: number }).n;
  }

  stagedChanges(offset = 0, limit = 100): Change[] {
    return this.db
      .prepare('SELECT seq, time, service, operation, object FROM staged_changes ORDER BY seq LIMIT ? OFFSET ?')
      .all(limit, offset) as Change[];
  }

  /** Bytes in the staging area: the WAL file's size. */
  stagingBytes(): number {
    try {
      return statSync(`${this.file}-wal`).size;
    } catch {
      return 0;
    }
  }

  /** The writer closes first, the read-only pin last: nothing is checkpointed. */
  close(): void {
    if (this.db.open) this.db.close();
    this.closePinWithoutCommit();
  }

  private closePinWithoutCommit(): void {
    if (!this.pin) return;
    this.pin.close();
    this.pin = null;
  }
}
