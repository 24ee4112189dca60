import { CommandRefused, BadRequest, type RefusalCode } from './errors.js';
import { digestOf } from './backup.js';
import type { Site } from './site.js';
import type { SiteServer } from './server.js';

// The online backup procedure (administrator guide 19.3.1, steps 1-7) as data:
// each command's rules and effect. `state` rules (the command is already in
// effect, or makes no sense on this server) are always refused; `order` rules
// (the documented sequence, and the multi-server orders) are refused in strict
// mode and only warned about in lenient mode, so a trainer can do it wrong.

export const COMMANDS = ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume', 'tobkweb rm', 'to backup off'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface Rule {
  /** Stable id of the rule, named in refusals and warnings. */
  id: string;
  kind: 'state' | 'order';
  /** A state rule saying the command is already in effect (`--server all` skips such servers). */
  inEffect?: boolean;
  code: RefusalCode;
  /** True when executing the command on `server` now would break the rule. */
  broken(server: SiteServer, site: Site): boolean;
  message(server: SiteServer, site: Site): string;
  hint(server: SiteServer, site: Site): string;
}

export interface CommandSpec {
  name: CommandName;
  step: number;
  /** Order in which `--server all` visits the servers. */
  allOrder: 'applications-first' | 'directory-first' | 'any';
  rules: Rule[];
  apply(server: SiteServer, site: Site): void;
}

const available = (s: SiteServer) => !s.suspended;
const names = (list: SiteServer[]) => list.map((s) => s.name).join(', ');

const notSuspended: Rule = {
  id: 'suspend-first', kind: 'order', code: 'E_NOT_SUSPENDED',
  broken: (s) => !s.suspended,
  message: (s) => `${s.name}: the service is not suspended`,
  hint: (s) => `run \`to tran suspend --server ${s.name}\` first`,
};

export const PROCEDURE: Record<CommandName, CommandSpec> = {
  'to tran suspend': {
    name: 'to tran suspend', step: 1, allOrder: 'applications-first',
    rules: [
      { id: 'already-suspended', kind: 'state', inEffect: true, code: 'E_ALREADY_SUSPENDED', broken: (s) => s.suspended,
        message: (s) => `${s.name} is already suspended`, hint: (s) => `nothing to do; \`to tran resume --server ${s.name}\` makes the service available again` },
      { id: 'suspend-order', kind: 'order', code: 'E_SUSPEND_ORDER',
        broken: (s, site) => s.role === 'directory' && site.applicationServers.some(available),
        message: (s, site) => `cannot suspend directory server ${s.name} while application server(s) ${names(site.applicationServers.filter(available))} are available`,
        hint: (_s, site) => `suspend the application servers first (\`to tran suspend --server ${site.applicationServers.filter(available)[0]?.name}\`)` },
    ],
    apply: (s) => s.setState({ service: 'suspended' }, 'to tran suspend'),
  },
  'to backup on': {
    name: 'to backup on', step: 2, allOrder: 'any',
    rules: [
      { id: 'already-backup-on', kind: 'state', inEffect: true, code: 'E_ALREADY_BACKUP_ON', broken: (s) => s.state.backupMode !== 'off',
        message: (s) => `${s.name} is already in backup mode`, hint: () => 'continue the procedure, or run `to backup off` to end it' },
      notSuspended,
    ],
    apply: (s) => {
      s.store.database.beginStaging();
      s.setState({ backupMode: 'on', backupDone: false, backupOnAt: s.store.database.now() }, 'to backup on');
      // The pinned database file will not change until `to backup off`: digest it in the background for step 5.
      digestOf(s, s.store.database.file).catch(() => undefined);
      s.site.events.emit({ type: 'staging', server: s.name, operation: 'allocated', message: `staging area allocated in ${s.dir}` });
    },
  },
  'tobkweb arc': {
    name: 'tobkweb arc', step: 3, allOrder: 'applications-first',
    rules: [
      { id: 'no-web-service', kind: 'state', code: 'E_NO_WEB_SERVICE', broken: (s) => !s.runs('web'),
        message: (s) => `${s.name} has no web service`, hint: () => 'run tobkweb on a server with the web service' },
      { id: 'already-archived', kind: 'state', inEffect: true, code: 'E_ALREADY_ARCHIVED', broken: (s) => s.state.webArchive === 'present',
        message: (s) => `${s.name}: the web-service archive already exists`, hint: (s) => `back it up, then \`tobkweb rm --server ${s.name}\`` },
      { id: 'backup-on-first', kind: 'order', code: 'E_NOT_BACKUP_ON', broken: (s) => s.state.backupMode !== 'on',
        message: (s) => `${s.name} is not in backup mode`, hint: (s) => `run \`to backup on --server ${s.name}\` first` },
      notSuspended,
      { id: 'arc-order', kind: 'order', code: 'E_ARC_ORDER',
        broken: (s, site) => s.role === 'directory' && site.applicationServers.some((a) => a.runs('web') && a.state.webArchive !== 'present'),
        message: (s, site) => `cannot run tobkweb arc on directory server ${s.name} before application server(s) ${names(site.applicationServers.filter((a) => a.state.webArchive !== 'present'))}`,
        hint: (_s, site) => `run \`tobkweb arc --server ${site.applicationServers.find((a) => a.state.webArchive !== 'present')?.name}\` first` },
    ],
    apply: (s, site) => {
      const files = site.webArchive.create(s);
      s.setState({ webArchive: 'present' }, 'tobkweb arc');
      site.events.emit({ type: 'info', server: s.name, operation: 'tobkweb arc', message: `web-service data archived: ${files.join(', ')}` });
    },
  },
  'to tran resume': {
    name: 'to tran resume', step: 4, allOrder: 'directory-first',
    rules: [
      { id: 'not-suspended', kind: 'state', inEffect: true, code: 'E_NOT_SUSPENDED', broken: (s) => !s.suspended,
        message: (s) => `${s.name} is not suspended`, hint: () => 'nothing to do; the service is available' },
      { id: 'arc-before-resume', kind: 'order', code: 'E_ARC_BEFORE_RESUME',
        broken: (s) => s.state.backupMode === 'on' && s.runs('web') && s.state.webArchive !== 'present',
        message: (s) => `${s.name} is in backup mode but its web-service data has not been archived`, hint: (s) => `run \`tobkweb arc --server ${s.name}\` first` },
      { id: 'resume-order', kind: 'order', code: 'E_RESUME_ORDER',
        broken: (s, site) => s.role === 'application' && site.directoryServer.suspended,
        message: (s, site) => `cannot resume application server ${s.name} while directory server ${site.directoryServer.name} is suspended`,
        hint: (_s, site) => `resume the directory server first (\`to tran resume --server ${site.directoryServer.name}\`)` },
    ],
    apply: (s) => s.setState({ service: 'available' }, 'to tran resume'),
  },
  'tobkweb rm': {
    name: 'tobkweb rm', step: 6, allOrder: 'any',
    rules: [
      { id: 'no-web-service', kind: 'state', code: 'E_NO_WEB_SERVICE', broken: (s) => !s.runs('web'),
        message: (s) => `${s.name} has no web service`, hint: () => 'run tobkweb on a server with the web service' },
      { id: 'no-archive', kind: 'state', inEffect: true, code: 'E_NO_ARCHIVE', broken: (s) => s.state.webArchive !== 'present',
        message: (s) => `${s.name}: there is no web-service archive to remove`, hint: () => 'nothing to do' },
      { id: 'backup-before-rm', kind: 'order', code: 'E_NOT_BACKED_UP', broken: (s) => s.state.backupMode === 'on' && !s.state.backupDone,
        message: (s) => `${s.name}: the web-service archive has not been backed up yet`, hint: (s) => `run the differential backup first (\`twemu backup --level 0 --dest DIR --server ${s.name}\`)` },
    ],
    apply: (s, site) => {
      const files = site.webArchive.remove(s);
      s.setState({ webArchive: 'absent' }, 'tobkweb rm');
      site.events.emit({ type: 'info', server: s.name, operation: 'tobkweb rm', message: `web-service archive removed: ${files.join(', ')}` });
    },
  },
  'to backup off': {
    name: 'to backup off', step: 7, allOrder: 'any',
    rules: [
      { id: 'not-backup-on', kind: 'state', inEffect: true, code: 'E_NOT_BACKUP_ON', broken: (s) => s.state.backupMode === 'off',
        message: (s) => `${s.name} is not in backup mode`, hint: () => 'nothing to do' },
      { id: 'all-backups-done', kind: 'order', code: 'E_BACKUP_NOT_DONE',
        broken: (_s, site) => site.topology === 'multi' && site.servers.some((x) => x.state.backupMode === 'on' && !x.state.backupDone),
        message: (_s, site) => `the differential backup has not finished on ${names(site.servers.filter((x) => x.state.backupMode === 'on' && !x.state.backupDone))}`,
        hint: () => 'run `twemu backup` on every server first' },
    ],
    apply: (s, site) => {
      s.setState({ backupMode: 'merging' }, 'to backup off (merging)');
      // Fault injection for the crash tests: die with the merge begun and not finished.
      if (process.env.TWEMU_FAULT === 'merge') process.kill(process.pid, 'SIGKILL');
      const { merged } = s.store.database.mergeStaging();
      s.setState({ backupMode: 'off', backupDone: false, backupOnAt: null }, 'to backup off');
      site.events.emit({ type: 'staging', server: s.name, operation: 'merged', message: `staging area merged (${merged} write(s)) and released`, data: { merged } });
    },
  },
};

export function parseCommand(text: string): CommandName {
  const normal = text.trim().replace(/\s+/g, ' ').toLowerCase();
  const found = COMMANDS.find((c) => c === normal);
  if (!found) throw new BadRequest('E_UNKNOWN_COMMAND', `unknown command ${JSON.stringify(text)}`, `the commands are: ${COMMANDS.join(', ')}`);
  return found;
}

/** A check another part of the emulator adds to a command (e.g. SearchPro blocking `to backup on`); throws CommandRefused to refuse. */
export type CommandCheck = (server: SiteServer, site: Site, opts: { lenient: boolean }) => void;

export interface CommandOutcome {
  server: string;
  command: CommandName;
  /** Rules broken on purpose (lenient mode). */
  warnings: string[];
}

/** Runs one command on one server: rules, extra checks, then the effect. */
export function runOnServer(site: Site, server: SiteServer, command: CommandName, opts: { lenient: boolean }, checks: CommandCheck[]): CommandOutcome {
  const spec = PROCEDURE[command];
  const warnings: string[] = [];
  for (const rule of spec.rules) {
    if (!rule.broken(server, site)) continue;
    if (rule.kind === 'order' && opts.lenient) {
      warnings.push(rule.id);
      site.events.emit({ type: 'warning', server: server.name, operation: command, rule: rule.id, code: rule.code,
        message: `lenient mode: ${rule.message(server, site)} (rule ${rule.id} broken on purpose)` });
      continue;
    }
    throw new CommandRefused(rule.code, rule.message(server, site), rule.hint(server, site), rule.id);
  }
  for (const check of checks) check(server, site, opts);
  spec.apply(server, site);
  site.events.emit({ type: 'command', server: server.name, operation: command, message: `${command} done on ${server.name}` });
  return { server: server.name, command, warnings };
}

/** Servers in the order `--server all` visits them. */
export function orderForAll(site: Site, command: CommandName): SiteServer[] {
  const order = PROCEDURE[command].allOrder;
  const apps = site.servers.filter((s) => s.role !== 'directory');
  const dir = site.servers.filter((s) => s.role === 'directory');
  if (order === 'directory-first') return [...dir, ...apps];
  if (order === 'applications-first') return [...apps, ...dir];
  return [...site.servers];
}
