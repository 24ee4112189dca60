import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { Catalog } from './catalog/catalog.js';
import { EventLog } from './events.js';
import { DEFAULT_PORTS, type SiteConfig, type Topology } from './config.js';
import { SiteServer, type ServerRole } from './server.js';
import { TwemuError, NotFound, BadRequest, CommandRefused } from './errors.js';
import { PROCEDURE, allowedNow, endCycleIfFinished, orderForAll, parseCommand, runOnServer, refusal, type NextAction, type CommandName, type CommandOutcome, type CommandCheck } from './procedure.js';
import { BackupCycle } from './cycle.js';
import { WebArchive } from './webarchive.js';
import { writeFileAtomic } from './state.js';
import type { ExtensionFactory, SiteExtension } from './extensions.js';
import type { Listener, ListenerFactory, ListenOptions } from './listeners.js';
import { lockDataDir, type DataLock } from './lock.js';
import { makeFolder } from './disk.js';
import type { Account, NewAccount } from './store/directory.js';
import type { MessageIndex, Store } from './store/index.js';
import { seedDemoData } from './demo.js';
import { resolveClock, type Clock } from './clock.js';
import { accessOptions, createDomain, type Domain } from './domain/index.js';
import { loadSiteTls, type SiteTls } from './tls.js';

export interface ServerEndpoints {
  name: string;
  role: ServerRole;
  pop3?: number;
  imap?: number;
  /** Implicit TLS (absent with `tls: off`). */
  pop3s?: number;
  imaps?: number;
  /** Mail submission (STARTTLS, AUTH). */
  smtp?: number;
  web?: string;
  ame?: string;
}

export interface Endpoints {
  control: string;
  /** The PEM certificate clients should trust (absent with `tls: off`). */
  ca?: string;
  servers: ServerEndpoints[];
}

export interface ServerStatus {
  name: string;
  role: ServerRole;
  services: string[];
  service: 'available' | 'suspended';
  backupMode: 'off' | 'on' | 'merging';
  staging: { writes: number; bytes: number } | null;
  webArchive: 'absent' | 'present';
  backupDone: boolean;
  lastBackup: SiteServer['state']['lastBackup'];
  needsLevel0: boolean;
  /** Client sessions open now (POP3 and IMAP connections, web sessions). */
  sessions: { pop3: number; imap: number; web: number };
  [extra: string]: unknown;
}

/** The seed's note on client use during the backup (19.3.1), word for word. */
export const CLIENT_USE_NOTE = 'バックアップ作業中のシステムへの負荷を抑えるため、TeamWARE Officeクライアントの利用は必要最低限としてください。';

export interface ClientActivity {
  since: string;
  sessions: { pop3: number; imap: number; web: number };
  /** Client writes held in the staging areas of the servers in backup mode. */
  stagedWrites: number;
  note: string;
}

export interface CommandResult {
  command: CommandName;
  results: CommandOutcome[];
  /** Servers where the command was already in effect (`--server all` only). */
  skipped: string[];
  status: ServerStatus[];
}

interface SiteFile {
  topology: Topology;
  servers: Array<{ name: string; role: ServerRole }>;
  createdAt: string;
}

/**
 * What a site runs beside its servers, given by the composition root
 * (emulator/root.ts): the core imports no protocol, no control route and no
 * extension, and nothing registers itself by being imported.
 */
export interface SiteParts {
  /** One listener factory per listening service; a server that runs the service gets one listener. */
  listeners: { pop3: ListenerFactory; imap: ListenerFactory; smtp: ListenerFactory; web: ListenerFactory };
  /** The control API (with its plugins). */
  control: (site: Site, opts: ListenOptions) => Promise<Listener>;
  /** Background services (gateways, SearchPro); each site gets fresh instances. */
  extensions: readonly ExtensionFactory[];
  /** What every server's store keeps beside each message it writes (IMAP's ENVELOPE octets). */
  messageIndex: MessageIndex;
}

export const SITE_FILE = 'site.json';
export const TOKEN_FILE = 'admin-token';
export const ENDPOINTS_FILE = 'endpoints.json';

/** The emulated TeamWARE Office site: its servers, catalog, events, procedure and listeners. */
export class Site {
  readonly config: SiteConfig & { topology: Topology };
  readonly catalog: Catalog;
  readonly clock: Clock;
  readonly events: EventLog;
  readonly servers: SiteServer[] = [];
  readonly webArchive = new WebArchive();
  readonly log: Logger;
  readonly token: string;
  readonly extensions: SiteExtension[];
  /** The domain services (access, calendar, directory, forum, library, mail): every business rule, once. */
  readonly domain: Domain<SiteServer>;
  /** The current backup cycle: which step ran on which server (persisted). */
  readonly cycle: BackupCycle;
  private listeners: Listener[] = [];
  private control: Listener | null = null;
  private endpointsValue: Endpoints | null = null;
  /** The site's TLS certificate (loaded by start()); null with `tls: off`. */
  tls: SiteTls | null = null;
  private stopped = false;
  private readonly parts: SiteParts;
  /** What the stores keep beside each message (from the composition root). */
  get messageIndex(): MessageIndex {
    return this.parts.messageIndex;
  }
  private readonly lock: DataLock;

  constructor(config: SiteConfig & { topology?: Topology }, parts: SiteParts) {
    this.parts = parts;
    const dataDir = resolve(config.dataDir);
    this.clock = resolveClock(config.clock);
    accessOptions(config.services?.access); // a bad setting is one error before any database is opened
    makeFolder(dataDir, 0o700, 'E_DATA_FOLDER', 'the data folder');
    // One owner per data folder: a second site (or a restore) is refused while this one runs.
    this.lock = lockDataDir(dataDir, 'twemu serve');
    try {
      const siteFile = join(dataDir, SITE_FILE);
      let layout: SiteFile;
      let fresh = false;
      if (existsSync(siteFile)) {
        layout = JSON.parse(readFileSync(siteFile, 'utf8')) as SiteFile;
        if (config.topology && config.topology !== layout.topology) {
          throw new TwemuError('E_TOPOLOGY', `${dataDir} holds a ${layout.topology}-server site, not ${config.topology}`, { hint: `use --topology ${layout.topology} or another --data directory` });
        }
        if (layout.topology === 'multi' && config.topology === 'multi' && config.appServersExplicit &&
            layout.servers.filter((s) => s.role === 'application').length !== config.appServers) {
          throw new TwemuError('E_TOPOLOGY', `${dataDir} holds a site with ${layout.servers.filter((s) => s.role === 'application').length} application server(s), not ${config.appServers}`, { hint: 'use another --data directory for another layout' });
        }
      } else {
        layout = planLayout(config.topology ?? 'single', config.appServers, config.names, new Date(this.clock.now()));
        fresh = true;
      }
      this.config = { ...config, dataDir, topology: layout.topology };
      this.events = new EventLog(this.clock);
      this.log = createLogger(config.logLevel);
      this.catalog = new Catalog({ seed: config.seed, policies: config.policies });
      for (const s of layout.servers) this.servers.push(new SiteServer(this, s.name, s.role));
      this.domain = createDomain<SiteServer>(this);
      if (fresh) {
        if (config.demo) seedDemoData(this);
        writeFileAtomic(siteFile, `${JSON.stringify(layout, null, 2)}\n`);
      }
      this.token = this.loadToken();
      for (const name of Object.keys(config.servers ?? {})) {
        if (!this.servers.some((s) => s.name.toLowerCase() === name.toLowerCase())) {
          throw new TwemuError('E_CONFIG', `servers.${name}: the site has no server named ${name}`, { hint: `the servers are: ${this.servers.map((s) => s.name).join(', ')}` });
        }
      }
      this.cycle = new BackupCycle(dataDir, this.servers, () => this.clock.now());
      this.extensions = parts.extensions.map((f) => f());
      this.finishInterruptedMerges();
    } catch (err) {
      for (const s of this.servers) s.close();
      this.lock.release();
      throw err;
    }
  }

  get topology(): Topology {
    return this.config.topology;
  }

  get directoryServer(): SiteServer {
    return this.servers.find((s) => s.role === 'directory' || s.role === 'single')!;
  }

  get applicationServers(): SiteServer[] {
    return this.servers.filter((s) => s.role === 'application');
  }

  /** Servers holding users' mail (single, or the application servers). */
  get mailServers(): SiteServer[] {
    return this.servers.filter((s) => s.runs('mail'));
  }

  /** The server holding shared data (forums, library, facility calendars): the first mail server. */
  get sharedServer(): SiteServer {
    return this.mailServers[0]!;
  }

  /** Where the gateways and SearchPro run (one of each per site). */
  get gatewayServer(): SiteServer {
    return (this.config.gatewayServer && this.servers.find((s) => s.name === this.config.gatewayServer)) || this.sharedServer;
  }

  server(name: string): SiteServer {
    const s = this.servers.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!s) throw new NotFound('E_NO_SERVER', `no server named ${JSON.stringify(name)}`, `the servers are: ${this.servers.map((x) => x.name).join(', ')}`);
    return s;
  }

  // ---- domain routing -------------------------------------------------

  /** The Directory service's store (accounts, templates). */
  get directory() {
    return this.directoryServer.store.directory;
  }

  account(name: string): Account | null {
    return this.directory.get(name);
  }

  /** The server whose store holds a user's mail, schedule and personal web data. */
  homeServer(user: string | Account): SiteServer {
    const account = typeof user === 'string' ? this.account(user) : user;
    if (!account) throw new NotFound('E_NO_ACCOUNT', `no account ${JSON.stringify(user)}`);
    return this.mailServers.find((s) => s.name === account.homeServer) ?? this.sharedServer;
  }

  homeStore(user: string | Account): Store {
    return this.homeServer(user).store;
  }

  /** Creates an account (directory) and its mail folders (home server). */
  createUser(input: Omit<NewAccount, 'homeServer'> & { homeServer?: string }, opts: { applyOptionSettings?: boolean } = {}): Account {
    const home = input.homeServer ? this.server(input.homeServer) : this.nextHome();
    if (!home.runs('mail')) throw new BadRequest('E_HOME_SERVER', `${home.name} does not run the mail service`, `pick one of ${this.mailServers.map((s) => s.name).join(', ')}`);
    const account = this.directory.create({ ...input, homeServer: home.name }, opts);
    home.store.mail.ensureDefaultFolders(account.name);
    return account;
  }

  private nextHome(): SiteServer {
    const accounts = this.directory.list();
    const counts = this.mailServers.map((s) => ({ s, n: accounts.filter((a) => a.homeServer === s.name).length }));
    counts.sort((a, b) => a.n - b.n);
    return counts[0]!.s;
  }

  /** Delivers a raw RFC 5322 message to a user's INBOX (the domain's mail service). */
  deliver(to: string, raw: Buffer | string, opts: { envelopeFrom?: string; asStored?: boolean } = {}): { user: string; server: string; uid: number } {
    const delivered = this.domain.mail.deliver(to, raw, opts);
    if (!delivered.ok) throw new NotFound('E_NO_ACCOUNT', delivered.message);
    return delivered.value;
  }

  /**
   * The message as an MTA delivers it: Return-Path, Date (the site's clock) and
   * Message-ID added where missing (emulator/mta.ts). A path that delivers one
   * message to several recipients stamps it once, then delivers the result.
   */
  stamp(raw: Buffer | string, opts: { envelopeFrom?: string; server?: string } = {}): Buffer {
    return this.domain.mail.stamp(raw, { envelopeFrom: opts.envelopeFrom, host: opts.server });
  }

  // ---- the procedure --------------------------------------------------

  /**
   * Runs a documented command (`to tran suspend`, ...) on one server or on all
   * of them in the documented order. Throws CommandRefused (409) with the rule.
   */
  command(text: string, opts: { server?: string; lenient?: boolean; abort?: boolean } = {}): CommandResult {
    let command: CommandName;
    // `to backup off --abort` (19.3.4) may come as one text (console, scenarios) or as the `abort` option.
    const abortFlag = /\s--abort\s*$/i.test(text);
    const abort = opts.abort === true || abortFlag;
    try {
      command = parseCommand(abortFlag ? text.replace(/\s--abort\s*$/i, '') : text);
      if (abort && command !== 'to backup off') throw new BadRequest('E_USAGE', `--abort applies to \`to backup off\` only, not to \`${command}\``, 'stop a backup part-way with `to backup off --abort` (19.3.4)');
    } catch (err) {
      this.events.emit({ type: 'refused', operation: text, code: (err as TwemuError).code, message: (err as TwemuError).message });
      throw err;
    }
    const lenient = opts.lenient ?? this.config.lenient;
    const target = opts.server ?? 'all';
    const checks = this.extensions.flatMap((e) => e.checks?.[command] ?? []) as CommandCheck[];
    const results: CommandOutcome[] = [];
    const skipped: string[] = [];
    try {
      if (target.toLowerCase() === 'all') {
        const servers = orderForAll(this, command);
        const inEffect = (s: SiteServer) => PROCEDURE[command].rules.find((r) => r.inEffect && r.broken(s, this));
        const todo = servers.filter((s) => !inEffect(s) && !(command.startsWith('tobkweb') && !s.runs('web')));
        if (todo.length === 0) {
          const first = servers[0]!;
          const rule = inEffect(first) ?? PROCEDURE[command].rules.find((r) => r.kind === 'state' && r.broken(first, this));
          if (rule) {
            const r = refusal(this, first, rule);
            throw new CommandRefused(r.code, servers.length > 1 ? `every server: ${r.message}` : r.message, r.hint ?? '', r.rule, r.next);
          }
        }
        for (const s of servers) if (!todo.includes(s)) skipped.push(s.name);
        for (const s of todo) results.push(runOnServer(this, s, command, { lenient, abort }, checks));
      } else {
        results.push(runOnServer(this, this.server(target), command, { lenient, abort }, checks));
      }
    } catch (err) {
      if (err instanceof TwemuError) {
        this.events.emit({ type: 'refused', server: target, operation: command, code: err.code, rule: (err as CommandRefused).rule, message: err.line(),
          data: results.length || (err as CommandRefused).next ? { ...(results.length ? { alreadyDone: results.map((r) => r.server) } : {}), ...((err as CommandRefused).next ? { next: (err as CommandRefused).next } : {}) } : undefined });
        if (results.length && err instanceof CommandRefused) {
          throw new CommandRefused(err.code, `${err.message} (already done on ${results.map((r) => r.server).join(', ')})`, err.hint ?? '', err.rule, err.next);
        }
      }
      throw err;
    }
    return { command, results, skipped, status: this.status() };
  }

  /** A `to backup off` interrupted by a crash is finished at the next start (its staged writes are all in the WAL). */
  private finishInterruptedMerges(): void {
    for (const s of this.servers) {
      if (s.state.backupMode !== 'merging') continue;
      const { merged } = s.store.database.mergeStaging();
      s.setState({ backupMode: 'off', backupDone: false, backupOnAt: null }, 'to backup off (finished after restart)');
      this.cycle.record(s, PROCEDURE['to backup off'].step);
      this.events.emit({ type: 'staging', server: s.name, operation: 'merged', message: `interrupted merge finished after restart (${merged} write(s))` });
    }
    endCycleIfFinished(this);
  }

  // ---- status ---------------------------------------------------------

  serverStatus(s: SiteServer): ServerStatus {
    const db = s.store.database;
    const status: ServerStatus = {
      name: s.name, role: s.role, services: [...s.services], service: s.state.service, backupMode: s.state.backupMode,
      staging: s.state.backupMode === 'off' ? null : { writes: db.stagedCount(), bytes: db.stagingBytes() },
      webArchive: s.state.webArchive, backupDone: s.state.backupDone, lastBackup: s.state.lastBackup, needsLevel0: s.state.needsLevel0,
      sessions: { ...s.sessions, web: s.webSessions() },
    };
    for (const ext of this.extensions) Object.assign(status, ext.status?.(s) ?? {});
    return status;
  }

  status(): ServerStatus[] {
    return this.servers.map((s) => this.serverStatus(s));
  }

  /** The backup cycle so far and what strict mode allows next (the console's checklist reads the same). */
  procedureStatus(): { cycle: ReturnType<BackupCycle['view']>; next: NextAction | null; allowed: NextAction[]; activity: ClientActivity | null } {
    const allowed = allowedNow(this);
    return { cycle: this.cycle.view(), next: allowed[0] ?? null, allowed, activity: this.clientActivity() };
  }

  /**
   * Client activity during a backup cycle (19.3.1: "バックアップ作業中も…クライアントの
   * 利用は必要最低限としてください"): sessions open now and writes into the staging
   * areas, so a trainer can point at it. Null outside a cycle.
   */
  clientActivity(): ClientActivity | null {
    if (!this.cycle.current) return null;
    const sessions = { pop3: 0, imap: 0, web: 0 };
    let stagedWrites = 0;
    for (const s of this.servers) {
      sessions.pop3 += s.sessions.pop3;
      sessions.imap += s.sessions.imap;
      sessions.web += s.webSessions();
      if (s.state.backupMode !== 'off') stagedWrites += s.store.database.stagedCount();
    }
    return { since: this.cycle.current.startedAt, sessions, stagedWrites, note: CLIENT_USE_NOTE };
  }

  // ---- listeners ------------------------------------------------------

  get endpoints(): Endpoints {
    if (!this.endpointsValue) throw new Error('the site is not started');
    return this.endpointsValue;
  }

  /**
   * The port layout (docs/cli.md): the first three per server as they were
   * (base+1+3i POP3, base+2+3i IMAP, base+3+3i web), the mail clients' TLS
   * and submission ports from base+100 (base+101+3i SMTP, base+102+3i POP3S,
   * base+103+3i IMAPS), so adding them moved no existing port.
   */
  private port(kind: 'control' | 'pop3' | 'imap' | 'web' | 'smtp' | 'pop3s' | 'imaps', index: number): number {
    const base = this.config.portBase;
    if (base === 0) return 0;
    if (base === null || base === undefined) return kind === 'control' ? DEFAULT_PORTS.control : DEFAULT_PORTS[kind] + index;
    const offset = { control: 0, pop3: 1, imap: 2, web: 3, smtp: 101, pop3s: 102, imaps: 103 }[kind];
    return kind === 'control' ? base : base + offset + index * 3;
  }

  async start(): Promise<Endpoints> {
    const host = this.config.host;
    const servers: ServerEndpoints[] = [];
    try {
      this.tls = await loadSiteTls(this.config.tls, this.config.dataDir, { host, servers: this.servers.map((s) => s.name) });
      for (const [i, s] of this.servers.entries()) {
        const ep: ServerEndpoints = { name: s.name, role: s.role };
        const { pop3, imap, smtp, web } = this.parts.listeners;
        if (s.runs('pop3')) ep.pop3 = s.ports.pop3 = await this.listen(pop3(s, { host, port: this.port('pop3', i) }), 'POP3', s);
        if (s.runs('imap')) ep.imap = s.ports.imap = await this.listen(imap(s, { host, port: this.port('imap', i) }), 'IMAP', s);
        if (s.runs('pop3')) ep.smtp = s.ports.smtp = await this.listen(smtp(s, { host, port: this.port('smtp', i) }), 'SMTP', s);
        if (s.runs('pop3') && this.tls) ep.pop3s = await this.listen(pop3(s, { host, port: this.port('pop3s', i), implicitTls: true }), 'POP3S', s);
        if (s.runs('imap') && this.tls) ep.imaps = await this.listen(imap(s, { host, port: this.port('imaps', i), implicitTls: true }), 'IMAPS', s);
        if (s.runs('web')) {
          s.ports.web = await this.listen(web(s, { host, port: this.port('web', i) }), 'web', s);
          ep.web = `http://${urlHost(host)}:${s.ports.web}`;
          if (s.runs('ame')) ep.ame = `${ep.web}/ame`;
        }
        servers.push(ep);
      }
      this.control = await this.parts.control(this, { host, port: this.port('control', 0) }).catch((err) => {
        throw portError(err, 'control API', this.port('control', 0));
      });
      for (const ext of this.extensions) await ext.start?.(this);
    } catch (err) {
      await this.stop();
      throw err;
    }
    this.endpointsValue = { control: `http://${urlHost(host)}:${this.control.port}`, ...(this.tls ? { ca: this.tls.caFile } : {}), servers };
    writeFileAtomic(join(this.config.dataDir, ENDPOINTS_FILE), `${JSON.stringify(this.endpointsValue, null, 2)}\n`);
    this.events.emit({ type: 'info', message: `site started (${this.topology}, ${this.servers.length} server(s))` });
    return this.endpointsValue;
  }

  private async listen(p: Promise<Listener>, what: string, s: SiteServer): Promise<number> {
    try {
      const l = await p;
      this.listeners.push(l);
      return l.port;
    } catch (err) {
      throw portError(err, `${what} on ${s.name}`);
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const ext of this.extensions) await ext.stop?.();
    await Promise.all([...this.listeners, ...(this.control ? [this.control] : [])].map((l) => l.close().catch(() => undefined)));
    this.listeners = [];
    for (const s of this.servers) s.close();
    this.lock.release();
    this.log.flush?.();
  }

  private loadToken(): string {
    const file = join(this.config.dataDir, TOKEN_FILE);
    if (this.config.adminToken) return this.config.adminToken;
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    const token = randomBytes(24).toString('hex');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    return token;
  }
}

/** pino on stderr; not even loaded for a silent site (the in-process default), which saves start-up time. */
function createLogger(level: SiteConfig['logLevel']): Logger {
  if (level === 'silent') {
    const noop = () => undefined;
    return { level, info: noop, warn: noop, error: noop, debug: noop, trace: noop, fatal: noop, flush: noop, child: () => createLogger('silent') } as unknown as Logger;
  }
  const pino = createRequire(import.meta.url)('pino') as typeof import('pino').default;
  return pino({ level, name: 'twemu' }, pino.destination(2));
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function portError(err: unknown, what: string, port?: number): Error {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') return new TwemuError('E_PORT_IN_USE', `cannot listen for ${what}: port ${port ?? (e as { port?: number }).port ?? ''} is already in use`.replace(/ $/, ''), { hint: 'stop the other program, or pick other ports with --port-base (0 for ephemeral ports)' });
  if (e.code === 'EADDRNOTAVAIL') return new TwemuError('E_HOST', `cannot listen for ${what}: address not available`, { hint: 'use --host 127.0.0.1' });
  if (e.code === 'EACCES') return new TwemuError('E_PORT_ACCESS', `cannot listen for ${what}: permission denied for the port`, { hint: 'use a port above 1023 with --port-base' });
  return e instanceof Error ? e : new Error(String(e));
}

/** Server names and roles of a new site. */
export function planLayout(topology: Topology, appServers: number, names: SiteConfig['names'], createdAt = new Date()): SiteFile {
  const servers: SiteFile['servers'] = [];
  if (topology === 'single') servers.push({ name: names.single ?? 'twsv01', role: 'single' });
  else {
    servers.push({ name: names.directory ?? 'twdir01', role: 'directory' });
    for (let i = 0; i < appServers; i++) servers.push({ name: names.applications?.[i] ?? `twap${String(i + 1).padStart(2, '0')}`, role: 'application' });
  }
  const seen = new Set<string>();
  for (const s of servers) {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(s.name)) throw new TwemuError('E_CONFIG', `server name ${JSON.stringify(s.name)} must be 1-32 letters, digits, '_' or '-'`);
    if (seen.has(s.name.toLowerCase())) throw new TwemuError('E_CONFIG', `server name ${s.name} is used twice`);
    seen.add(s.name.toLowerCase());
  }
  return { topology, servers, createdAt: createdAt.toISOString() };
}
