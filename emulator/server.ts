import { chmodSync, closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { DB_FILE } from './store/database.js';
import { removeInterruptedBackup } from './backup-partial.js';
import { diskFull } from './disk.js';
import { join } from 'node:path';
import { Store } from './store/index.js';
import { loadState, saveState, type LifecycleState } from './state.js';
import type { Decision } from './catalog/catalog.js';
import { fillParts, variantParts } from './catalog/provenance.js';
import type { Site } from './site.js';

/** At most one `staging`/`write` event per server per this many ms. */
const STAGED_EVENT_MS = 100;

export type ServerRole = 'single' | 'directory' | 'application';

/** What runs on a server. A directory server runs the Directory service and the message router, plus its web service. */
export type ServiceKind = 'directory' | 'router' | 'mail' | 'calendar' | 'forum' | 'library' | 'web' | 'pop3' | 'imap' | 'ame';

export const SERVICES_BY_ROLE: Record<ServerRole, ServiceKind[]> = {
  single: ['directory', 'router', 'mail', 'calendar', 'forum', 'library', 'web', 'pop3', 'imap', 'ame'],
  directory: ['directory', 'router', 'web', 'ame'],
  application: ['mail', 'calendar', 'forum', 'library', 'web', 'pop3', 'imap', 'ame'],
};

/** The context of a client operation, for the event stream. */
export interface OperationContext {
  /** The client's operation, e.g. `PASS`, `GET /mail/list`, `mail_list`. */
  operation: string;
  /** The client or protocol, e.g. `pop3`, `imap`, `web`, `ame`. */
  client?: string;
  user?: string;
  /** Values for the message's placeholders (`<user name>`, `YESISU01`). */
  fill?: Record<string, string>;
}

/** What a handler gets back when it asks "may I touch the store now?". */
export type Gate =
  | { allowed: true }
  | { allowed: false; decision: Decision; messages: string[] };

/** One server of the site: its lifecycle state, its store, its services. */
export class SiteServer {
  readonly name: string;
  readonly role: ServerRole;
  readonly services: ReadonlySet<ServiceKind>;
  readonly dir: string;
  readonly store: Store;
  state: LifecycleState;
  /** Client sessions open now (19.3.1: keep client use to a minimum during the backup; the status shows it). */
  readonly sessions = { pop3: 0, imap: 0 };
  /** Web sessions alive now (set by the web service). */
  webSessions: () => number = () => 0;
  /** The id of the backup job copying this server now (not persisted: a crash ends the job). */
  backupJob: string | null = null;
  /** Ports its listeners got (filled when the site starts). */
  readonly ports: Partial<Record<'pop3' | 'imap' | 'web' | 'smtp', number>> = {};

  constructor(readonly site: Site, name: string, role: ServerRole) {
    this.name = name;
    this.role = role;
    // "Webサービスがインストールされている場合" (19.3.1 steps 3 and 6): a server may have no web service
    // (config `servers: {NAME: {web: false}}`); the application execution module runs in it, so it goes too.
    const settings = Object.entries(site.config.servers ?? {}).find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
    this.services = new Set(SERVICES_BY_ROLE[role].filter((s) => !(settings?.web === false && (s === 'web' || s === 'ame'))));
    this.dir = join(site.config.dataDir, name);
    // The database holds passwords: owner only (folder 0700, files 0600; SQLite gives its WAL the file's mode).
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    for (const f of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`]) {
      const file = join(this.dir, f);
      if (f === DB_FILE) closeSync(openSync(file, 'a', 0o600));
      if (existsSync(file)) chmodSync(file, 0o600);
    }
    removeInterruptedBackup(this.dir);
    this.state = loadState(this.dir);
    this.writeIniFiles();
    // Re-pin before anything can checkpoint: a restart comes back in backup mode with the staging area intact.
    this.store = new Store(this.dir, { staging: this.state.backupMode === 'on', clock: site.clock, index: site.messageIndex });
    if (this.state.backupMode === 'on') this.store.database.resumeStaging();
    this.store.database.changes.on('change', () => this.stagedWrite());
  }

  private stagedTimer: NodeJS.Timeout | null = null;

  /**
   * Every write held by the staging area shows on the event stream (`staging` / `write`, with the running
   * count and bytes), at most one event per STAGED_EVENT_MS per server, so a watcher sees the area grow per
   * write without a flood of events under load.
   */
  private stagedWrite(): void {
    if (!this.store.database.stagingActive || this.stagedTimer) return;
    this.stagedTimer = setTimeout(() => {
      this.stagedTimer = null;
      const db = this.store.database;
      if (!db.stagingActive) return;
      const writes = db.stagedCount();
      const bytes = db.stagingBytes();
      this.site.events.emit({ type: 'staging', server: this.name, operation: 'write', message: `${writes} write(s) in the staging area`, data: { writes, bytes } });
    }, STAGED_EVENT_MS);
    this.stagedTimer.unref();
  }

  /** The server's ini files (what the differential backup copies beside the database). */
  private writeIniFiles(): void {
    const dir = join(this.dir, 'ini');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'twoffice.ini');
    if (existsSync(file)) return;
    writeFileSync(file, [
      '[Server]', `Name=${this.name}`, `Role=${this.role}`, `Services=${[...this.services].join(',')}`,
      '[Database]', 'File=twoffice.db', 'Staging=WAL',
      '[IMAP4]', 'Folder.INBOX=受信メール', 'Folder.OUTBOX=送信メール', 'Folder.WasteBox=ごみ箱', 'AutoLogout=30', '',
    ].join('\r\n'));
  }

  runs(service: ServiceKind): boolean {
    return this.services.has(service);
  }

  get suspended(): boolean {
    return this.state.service === 'suspended';
  }

  get backupMode(): boolean {
    return this.state.backupMode !== 'off';
  }

  /** Persists a change of lifecycle state and announces it. */
  setState(patch: Partial<LifecycleState>, reason: string): void {
    const before = this.state;
    const next = { ...this.state, ...patch };
    // Saved before it takes effect: a failed save (a full disk) leaves memory and disk in agreement.
    try {
      if (process.env.TWEMU_FAULT === `state-enospc:${reason}`) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      saveState(this.dir, next);
    } catch (err) {
      throw diskFull(err, this.dir, Buffer.byteLength(JSON.stringify(next, null, 2)) + 1);
    }
    this.state = next;
    this.site.events.emit({ type: 'state', server: this.name, operation: reason, data: { before: summary(before), after: summary(this.state) } });
  }

  /**
   * The one question a protocol handler asks before touching the store: returns
   * permission, or the catalog behaviour to answer with (already on the event
   * stream). The trigger is this server's suspension unless the behaviour
   * depends on the directory server's (`directory-suspended`).
   */
  gate(behaviourId: string, ctx: OperationContext, preferredVariant?: number): Gate {
    const spec = this.site.catalog.spec(behaviourId);
    // A network fault's trigger is every new connection: with its policy at `never` (the default) it is off,
    // not "suppressed" three times per connection on the event stream.
    const triggered = spec.trigger === 'directory-suspended' ? this.site.directoryServer.suspended
      : spec.trigger === 'network' ? this.site.catalog.policy(behaviourId).mode !== 'never'
      : spec.trigger === 'indexing' ? true : this.suspended;
    if (!triggered) return { allowed: true };
    const decision = this.fire(behaviourId, ctx, preferredVariant);
    return decision.fires ? { allowed: false, decision, messages: decision.messages } : { allowed: true };
  }

  /**
   * Draws the behaviour (the caller has established its trigger) and puts the
   * outcome on the event stream. Placeholders in messages are filled from ctx.fill.
   */
  fire(behaviourId: string, ctx: OperationContext, preferredVariant?: number): Decision {
    const decision = this.site.catalog.decide(behaviourId, preferredVariant);
    if (ctx.fill) {
      // A seed text with its placeholder filled in is `derived` (catalog/provenance.ts).
      const spec = this.site.catalog.spec(behaviourId);
      const filled = variantParts(spec, spec.variants ? decision.variant : -1).map((parts) => fillParts(parts, ctx.fill));
      decision.messages = filled.map((f) => f.text);
      decision.provenance = filled.map((f) => f.source);
    }
    this.site.events.emit({
      type: decision.fires ? 'behaviour' : 'behaviour-suppressed', server: this.name, behaviour: behaviourId,
      operation: ctx.operation, client: ctx.client, user: ctx.user, messages: decision.messages, variant: decision.variantName,
      provenance: { entry: this.site.catalog.spec(behaviourId).source, variant: decision.variantSource, messages: decision.provenance },
    });
    return decision;
  }

  close(): void {
    if (this.stagedTimer) clearTimeout(this.stagedTimer);
    this.stagedTimer = null;
    this.store.close();
  }
}

function summary(s: LifecycleState): Record<string, unknown> {
  return { service: s.service, backupMode: s.backupMode, webArchive: s.webArchive, backupDone: s.backupDone };
}
