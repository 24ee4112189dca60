import { CommandRefused, BadRequest, type RefusalCode } from './errors.js';
import { digestOf } from './digest.js';
import type { Site } from './site.js';
import type { SiteServer } from './server.js';

// The online backup procedure (administrator guide 19.3.1, steps 1-7) as data:
// each step's rules and effect, over the whole site. `state` rules (the command
// is already in effect, or makes no sense on this server) are always refused;
// `order` rules (the documented sequence: "1の完了後" etc., over every server a
// step concerns, and the multi-server orders) are refused in strict mode and
// only warned about in lenient mode, so a trainer can do it wrong.
//
// Which step ran on which server in the current backup cycle is `site.cycle`
// (cycle.ts, persisted). `nextAllowed(site)` is the one answer to "what comes
// next": refusals name it, the console's checklist shows it.
//
// Step 5 (the differential backup utility) is not a `to` command; its rules
// are here too (`BACKUP_STEP`), checked by backup.ts.

export const COMMANDS = ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume', 'tobkweb rm', 'to backup off'] as const;
export type CommandName = (typeof COMMANDS)[number];
/** A step of the procedure: a command, or step 5's backup utility. */
export type StepName = CommandName | 'backup';

export interface Rule {
  /** Stable id of the rule, named in refusals and warnings. */
  id: string;
  kind: 'state' | 'order';
  /** A state rule saying the command is already in effect (`--server all` skips such servers). */
  inEffect?: boolean;
  /** An order rule about the cycle's progress: lifted once the cycle is aborted (`to backup off --abort`). */
  cycle?: boolean;
  code: RefusalCode;
  /** True when executing the command on `server` now would break the rule. */
  broken(server: SiteServer, site: Site): boolean;
  message(server: SiteServer, site: Site): string;
  /** What to do, for state rules; order rules are answered with the next allowed command (and this, when given). */
  hint(server: SiteServer, site: Site): string;
}

export interface StepSpec {
  name: StepName;
  step: number;
  /** Order in which `--server all` visits the servers (the seed's multi-server order for the step). */
  allOrder: 'applications-first' | 'directory-first' | 'any';
  /** False where the step does not apply to the server (tobkweb without the web service). */
  applies(server: SiteServer): boolean;
  rules: Rule[];
}

export interface CommandSpec extends StepSpec {
  name: CommandName;
  apply(server: SiteServer, site: Site): void;
}

const names = (list: SiteServer[]) => list.map((s) => s.name).join(', ');
const web = (s: SiteServer) => s.runs('web');
const always = () => true;
/** `are` / `is` for a list of servers. */
const be = (list: SiteServer[]) => (list.length === 1 ? 'is' : 'are');

/** Step 1 is complete when every server is suspended. */
const notSuspended = (site: Site) => site.servers.filter((s) => !s.suspended);
/** Step 2 is complete when every server is in backup mode. */
const notBackupOn = (site: Site) => site.servers.filter((s) => s.state.backupMode !== 'on');
/** Step 3 is complete when every server with the web service has archived in this cycle. */
const notArchived = (site: Site) => site.servers.filter((s) => web(s) && !site.cycle.ran(s.name, 3));
/** Step 4 is complete when every server has been resumed in this cycle. */
const notResumed = (site: Site) => site.servers.filter((s) => !site.cycle.ran(s.name, 4));
/** Step 5 is complete when every server has been backed up in this cycle ("すべてのサーバでバックアップします"). */
const notBackedUp = (site: Site) => site.servers.filter((s) => !site.cycle.backup(s.name));
/** The backup cycle has passed step 1: some server went on to step 3 or later (a new cycle starts after every `to backup off`). */
const pastStep1 = (site: Site) => site.cycle.reached([3, 4, 5, 6, 7]);

const stepNotComplete = (step: number, what: string, list: SiteServer[]) =>
  `step ${step} is not complete: ${names(list)} ${be(list)} ${what}`;

/** A running differential backup (a job of POST /api/backups) reads the server's files: nothing may change them until it ends. */
const backupRunning: Rule = {
  id: 'backup-running', kind: 'state', code: 'E_BACKUP_RUNNING',
  broken: (s) => s.backupJob !== null,
  message: (s) => `${s.name}: a differential backup is still running (job ${s.backupJob})`,
  hint: (s) => `wait for it to finish (\`GET /api/backups/jobs/${s.backupJob}\`), then run the command again`,
};

export const PROCEDURE: Record<CommandName, CommandSpec> = {
  'to tran suspend': {
    name: 'to tran suspend', step: 1, allOrder: 'applications-first', applies: always,
    rules: [
      { id: 'already-suspended', kind: 'state', inEffect: true, code: 'E_ALREADY_SUSPENDED', broken: (s) => s.suspended,
        message: (s) => `${s.name} is already suspended`, hint: (s) => `nothing to do; \`to tran resume --server ${s.name}\` makes the service available again` },
      { id: 'cycle-in-progress', kind: 'order', code: 'E_CYCLE_IN_PROGRESS', broken: (_s, site) => pastStep1(site),
        message: (s, site) => `an online backup cycle (started ${site.cycle.current?.startedAt}) is past step 1: suspending ${s.name} again is not part of it`,
        hint: () => 'finish the cycle, or stop it with `to backup off --abort` (19.3.4)' },
      { id: 'suspend-order', kind: 'order', code: 'E_SUSPEND_ORDER',
        broken: (s, site) => s.role === 'directory' && site.applicationServers.some((a) => !a.suspended),
        message: (s, site) => `cannot suspend directory server ${s.name} while application server(s) ${names(site.applicationServers.filter((a) => !a.suspended))} are available (step 1: every application server first, then the directory server)`,
        hint: () => '' },
    ],
    apply: (s) => s.setState({ service: 'suspended' }, 'to tran suspend'),
  },
  'to backup on': {
    name: 'to backup on', step: 2, allOrder: 'any', applies: always,
    rules: [
      { id: 'already-backup-on', kind: 'state', inEffect: true, code: 'E_ALREADY_BACKUP_ON', broken: (s) => s.state.backupMode !== 'off',
        message: (s) => `${s.name} is already in backup mode`, hint: () => 'continue the procedure, or run `to backup off` to end it' },
      { id: 'suspend-first', kind: 'order', code: 'E_NOT_SUSPENDED', broken: (_s, site) => notSuspended(site).length > 0,
        message: (s, site) => site.servers.length === 1 ? `${s.name}: the service is not suspended (step 2 comes after step 1)`
          : `${s.name}: ${stepNotComplete(1, 'not suspended', notSuspended(site))} (step 2 comes after step 1 on every server)`,
        hint: () => '' },
    ],
    apply: (s) => {
      s.store.database.beginStaging();
      try {
        s.setState({ backupMode: 'on', backupDone: false, backupOnAt: s.store.database.now() }, 'to backup on');
      } catch (err) {
        // Not saved: backup mode did not begin (memory, disk and the database agree).
        s.store.database.abortStaging();
        throw err;
      }
      // The pinned database file will not change until `to backup off`: digest it in the background for step 5.
      digestOf(s, s.store.database.file).catch(() => undefined);
      s.site.events.emit({ type: 'staging', server: s.name, operation: 'allocated', message: `staging area allocated in ${s.dir}` });
    },
  },
  'tobkweb arc': {
    name: 'tobkweb arc', step: 3, allOrder: 'applications-first', applies: web,
    rules: [
      { id: 'no-web-service', kind: 'state', code: 'E_NO_WEB_SERVICE', broken: (s) => !web(s),
        message: (s) => `${s.name} has no web service (steps 3 and 6 do not apply to it)`, hint: () => 'run tobkweb on a server with the web service' },
      { id: 'already-archived', kind: 'state', inEffect: true, code: 'E_ALREADY_ARCHIVED', broken: (s) => s.state.webArchive === 'present',
        message: (s) => `${s.name}: the web-service archive already exists`, hint: (s) => `back it up, then \`tobkweb rm --server ${s.name}\`` },
      { id: 'backup-on-first', kind: 'order', code: 'E_NOT_BACKUP_ON', broken: (_s, site) => notBackupOn(site).length > 0,
        message: (s, site) => site.servers.length === 1 ? `${s.name} is not in backup mode (step 3 comes after step 2)`
          : `${s.name}: ${stepNotComplete(2, 'not in backup mode', notBackupOn(site))} (step 3 comes after step 2 on every server)`,
        hint: () => '' },
      { id: 'suspend-first', kind: 'order', code: 'E_NOT_SUSPENDED', broken: (s) => !s.suspended,
        message: (s) => `${s.name}: the service is not suspended (tobkweb arc runs between step 2 and step 4)`, hint: () => '' },
      { id: 'arc-order', kind: 'order', code: 'E_ARC_ORDER',
        broken: (s, site) => s.role === 'directory' && site.applicationServers.some((a) => web(a) && a.state.webArchive !== 'present'),
        message: (s, site) => `cannot run tobkweb arc on directory server ${s.name} before application server(s) ${names(site.applicationServers.filter((a) => web(a) && a.state.webArchive !== 'present'))} (step 3: application servers, then the directory server)`,
        hint: () => '' },
    ],
    apply: (s, site) => {
      const files = site.webArchive.create(s);
      s.setState({ webArchive: 'present' }, 'tobkweb arc');
      site.events.emit({ type: 'info', server: s.name, operation: 'tobkweb arc', message: `web-service data archived: ${files.join(', ')}` });
    },
  },
  'to tran resume': {
    name: 'to tran resume', step: 4, allOrder: 'directory-first', applies: always,
    rules: [
      { id: 'not-suspended', kind: 'state', inEffect: true, code: 'E_NOT_SUSPENDED', broken: (s) => !s.suspended,
        message: (s) => `${s.name} is not suspended`, hint: () => 'nothing to do; the service is available' },
      // A suspension without `to backup on` anywhere is not an online backup: it may be lifted at any time.
      { id: 'arc-before-resume', kind: 'order', cycle: true, code: 'E_ARC_BEFORE_RESUME',
        broken: (_s, site) => site.servers.some((x) => x.state.backupMode !== 'off') && (notBackupOn(site).length > 0 || notArchived(site).length > 0),
        message: (s, site) => {
          const parts: string[] = [];
          if (notBackupOn(site).length) parts.push(stepNotComplete(2, 'not in backup mode', notBackupOn(site)));
          if (notArchived(site).length) parts.push(stepNotComplete(3, 'without a web-service archive of this cycle', notArchived(site)));
          return `cannot resume ${s.name} during the online backup: ${parts.join('; ')} (step 4 comes after step 3)`;
        },
        hint: () => '' },
      { id: 'resume-order', kind: 'order', code: 'E_RESUME_ORDER',
        broken: (s, site) => s.role === 'application' && site.directoryServer.suspended,
        message: (s, site) => `cannot resume application server ${s.name} while directory server ${site.directoryServer.name} is suspended (step 4: the directory server first, then the application servers)`,
        hint: () => '' },
    ],
    apply: (s) => s.setState({ service: 'available' }, 'to tran resume'),
  },
  'tobkweb rm': {
    name: 'tobkweb rm', step: 6, allOrder: 'any', applies: web,
    rules: [
      { id: 'no-web-service', kind: 'state', code: 'E_NO_WEB_SERVICE', broken: (s) => !web(s),
        message: (s) => `${s.name} has no web service (steps 3 and 6 do not apply to it)`, hint: () => 'run tobkweb on a server with the web service' },
      { id: 'no-archive', kind: 'state', inEffect: true, code: 'E_NO_ARCHIVE', broken: (s) => s.state.webArchive !== 'present',
        message: (s) => `${s.name}: there is no web-service archive to remove`, hint: () => 'nothing to do' },
      backupRunning,
      // Only an archive made in this cycle must be backed up first (one left by an aborted cycle may go).
      { id: 'backup-before-rm', kind: 'order', cycle: true, code: 'E_NOT_BACKED_UP',
        broken: (s, site) => site.cycle.archivedInCycle(s.name) && (notBackedUp(site).length > 0 || !site.cycle.backup(s.name)?.withArchive),
        message: (s, site) => {
          const own = site.cycle.backup(s.name);
          const others = notBackedUp(site);
          const parts: string[] = [];
          if (own && !own.withArchive) parts.push(`${s.name}'s backup ${own.id} was taken before tobkweb arc and holds no web-service archive`);
          if (others.length) parts.push(stepNotComplete(5, 'not backed up in this cycle', others));
          return `${s.name}: the web-service archive has not been backed up yet: ${parts.join('; ')} (step 6 comes after step 5)`;
        },
        hint: () => '' },
    ],
    apply: (s, site) => {
      const files = site.webArchive.remove(s);
      s.setState({ webArchive: 'absent' }, 'tobkweb rm');
      site.events.emit({ type: 'info', server: s.name, operation: 'tobkweb rm', message: `web-service archive removed: ${files.join(', ')}` });
    },
  },
  'to backup off': {
    name: 'to backup off', step: 7, allOrder: 'any', applies: always,
    rules: [
      { id: 'not-backup-on', kind: 'state', inEffect: true, code: 'E_NOT_BACKUP_ON', broken: (s) => s.state.backupMode === 'off',
        message: (s) => `${s.name} is not in backup mode`, hint: () => 'nothing to do' },
      backupRunning,
      { id: 'all-backups-done', kind: 'order', cycle: true, code: 'E_BACKUP_NOT_DONE',
        broken: (_s, site) => notBackedUp(site).length > 0,
        message: (s, site) => `cannot end backup mode on ${s.name}: the differential backup has not finished on ${names(notBackedUp(site))} (step 7 comes after step 5 on every server)`,
        hint: () => 'to stop the backup part-way instead, `to backup off --abort` (19.3.4)' },
      { id: 'rm-before-off', kind: 'order', cycle: true, code: 'E_ARCHIVE_NOT_REMOVED',
        broken: (_s, site) => site.servers.some((x) => site.cycle.archivedInCycle(x.name)),
        message: (s, site) => `cannot end backup mode on ${s.name}: ${stepNotComplete(6, 'still holding the web-service archive of this cycle', site.servers.filter((x) => site.cycle.archivedInCycle(x.name)))} (step 7 comes after step 6)`,
        hint: () => 'to stop the backup part-way instead, `to backup off --abort` (19.3.4)' },
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

/** Step 5: the differential backup utility, on every server, after step 4 ("すべてのサーバでバックアップします"). */
export const BACKUP_STEP: StepSpec = {
  name: 'backup', step: 5, allOrder: 'any', applies: always,
  rules: [
    backupRunning,
    { id: 'backup-on-first', kind: 'state', code: 'E_NOT_BACKUP_ON', broken: (s) => s.state.backupMode !== 'on',
      message: (s) => `${s.name} is not in backup mode: the copy would not be consistent`, hint: (s) => `run \`to tran suspend\` and \`to backup on --server ${s.name}\` first` },
    { id: 'resume-before-backup', kind: 'order', cycle: true, code: 'E_NOT_RESUMED', broken: (_s, site) => notResumed(site).length > 0,
      message: (s, site) => `cannot back up ${s.name} yet: ${stepNotComplete(4, 'not resumed in this cycle', notResumed(site))} (step 5 comes after step 4)`,
      hint: () => '' },
    { id: 'arc-before-backup', kind: 'order', cycle: true, code: 'E_NOT_ARCHIVED', broken: (s, site) => web(s) && !site.cycle.ran(s.name, 3),
      message: (s) => `${s.name}: tobkweb arc has not run in this cycle, so the backup would hold no web-service archive (step 5 comes after step 3)`,
      hint: () => '' },
  ],
};

/** Every step in the documented order. */
export const STEP_SPECS: StepSpec[] = [
  PROCEDURE['to tran suspend'], PROCEDURE['to backup on'], PROCEDURE['tobkweb arc'], PROCEDURE['to tran resume'],
  BACKUP_STEP, PROCEDURE['tobkweb rm'], PROCEDURE['to backup off'],
];

/** How the administrator types a step on a server. */
export function stepCommandText(step: StepName, server: SiteServer): string {
  if (step === 'backup') {
    const level = server.state.needsLevel0 || !server.state.lastBackup ? 0 : 'N';
    return `twemu backup --level ${level} --dest DIR --server ${server.name}`;
  }
  return `${step} --server ${server.name}`;
}

export function parseCommand(text: string): CommandName {
  const normal = text.trim().replace(/\s+/g, ' ').toLowerCase();
  const found = COMMANDS.find((c) => c === normal);
  if (!found) throw new BadRequest('E_UNKNOWN_COMMAND', `unknown command ${JSON.stringify(text)}`, `the commands are: ${COMMANDS.join(', ')} (and \`to backup off --abort\`)`);
  return found;
}

/** A check another part of the emulator adds to a command (e.g. SearchPro blocking `to tran suspend`); throws CommandRefused to refuse. */
export type CommandCheck = (server: SiteServer, site: Site, opts: { lenient: boolean }) => void;

export interface CommandOutcome {
  server: string;
  command: CommandName;
  /** Rules broken on purpose (lenient mode). */
  warnings: string[];
  /** `to backup off --abort`: what the backup of this cycle lacks (19.3.4). */
  lacks?: string[];
}

/** The rules of a step that `server` would break now (state rules first, in the order they are listed). */
export function brokenRules(site: Site, server: SiteServer, spec: StepSpec, opts: { abort?: boolean } = {}): Rule[] {
  const aborted = site.cycle.aborted || opts.abort === true;
  return spec.rules.filter((r) => !(aborted && r.cycle) && !(opts.abort && r.kind === 'order' && spec.step === 7) && r.broken(server, site));
}

/** One action the procedure allows now. */
export interface NextAction {
  step: number;
  name: StepName;
  server: string;
  /** As the administrator types it, e.g. `to tran suspend --server twap01`. */
  command: string;
}

/** Servers in the order `--server all` visits them. */
export function orderForAll(site: Site, command: StepName): SiteServer[] {
  const order = command === 'backup' ? 'any' : PROCEDURE[command].allOrder;
  const apps = site.servers.filter((s) => s.role !== 'directory');
  const dir = site.servers.filter((s) => s.role === 'directory');
  if (order === 'directory-first') return [...dir, ...apps];
  if (order === 'applications-first') return [...apps, ...dir];
  return [...site.servers];
}

/** The first step of the documented order not yet done on a server in the current cycle (null: all done). */
export function pendingStep(site: Site, server: SiteServer): StepSpec | null {
  return STEP_SPECS.find((spec) => spec.applies(server) && !site.cycle.ran(server.name, spec.step)) ?? null;
}

/**
 * What strict mode allows next, in the documented order: for each server the
 * first step it has not done in this cycle, when no rule blocks it. The first
 * entry is "the next step" (the console's highlight, named in every refusal).
 */
export function allowedNow(site: Site): NextAction[] {
  const out: NextAction[] = [];
  for (const spec of STEP_SPECS) {
    for (const server of orderForAll(site, spec.name)) {
      if (pendingStep(site, server) !== spec) continue;
      if (brokenRules(site, server, spec).length) continue;
      out.push({ step: spec.step, name: spec.name, server: server.name, command: stepCommandText(spec.name, server) });
    }
  }
  return out;
}

export function nextAllowed(site: Site): NextAction | null {
  return allowedNow(site)[0] ?? null;
}

/** What to say when strict mode allows no step at all (a cycle walked out of order in lenient mode). */
function stuck(site: Site): string {
  return site.servers.some((s) => s.state.backupMode !== 'off')
    ? 'no step of the procedure can run now in strict mode: stop the cycle with `to backup off --abort` (19.3.4), or go on with --lenient'
    : 'no step of the procedure can run now in strict mode; go on with --lenient';
}

/** A refusal naming its rule and the next allowed command. */
export function refusal(site: Site, server: SiteServer, rule: Rule): CommandRefused {
  const next = nextAllowed(site);
  const own = rule.hint(server, site);
  const hint = rule.kind === 'order'
    ? [next ? `next allowed: \`${next.command}\`` : stuck(site), own].filter(Boolean).join('; ')
    : [own, next && !own.includes(next.command) ? `next allowed: \`${next.command}\`` : ''].filter(Boolean).join('; ');
  return new CommandRefused(rule.code, rule.message(server, site), hint, rule.id, next?.command);
}

/**
 * Checks a step's rules on a server: refuses (strict) or warns (lenient, order
 * rules only: one `warning` event per broken rule). Returns the rules broken on purpose.
 */
export function checkStep(site: Site, server: SiteServer, spec: StepSpec, opts: { lenient: boolean; abort?: boolean }): string[] {
  const warnings: string[] = [];
  for (const rule of brokenRules(site, server, spec, opts)) {
    if (rule.kind === 'order' && opts.lenient) {
      warnings.push(rule.id);
      site.events.emit({ type: 'warning', server: server.name, operation: spec.name, rule: rule.id, code: rule.code,
        message: `lenient mode: ${rule.message(server, site)} (rule ${rule.id} broken on purpose)` });
      continue;
    }
    throw refusal(site, server, rule);
  }
  return warnings;
}

/** What the backup of the current cycle lacks if it stops now (19.3.4). */
export function cycleLacks(site: Site): string[] {
  const lacks: string[] = [];
  for (const s of site.servers) {
    const b = site.cycle.backup(s.name);
    if (!b) lacks.push(`${s.name}: no differential backup in this cycle`);
    else if (web(s) && !b.withArchive) lacks.push(`${s.name}: its backup ${b.id} holds no web-service archive`);
    if (s.suspended) lacks.push(`${s.name}: still suspended (run \`to tran resume --server ${s.name}\`)`);
    if (s.state.webArchive === 'present') lacks.push(`${s.name}: web-service archive still present (run \`tobkweb rm --server ${s.name}\`)`);
  }
  return lacks;
}

/** Runs one command on one server: rules, extra checks, then the effect; records the step in the cycle. */
export function runOnServer(site: Site, server: SiteServer, command: CommandName, opts: { lenient: boolean; abort?: boolean }, checks: CommandCheck[]): CommandOutcome {
  const spec = PROCEDURE[command];
  const abort = command === 'to backup off' && opts.abort === true;
  const warnings = checkStep(site, server, spec, { lenient: opts.lenient, abort });
  for (const check of checks) check(server, site, opts);
  const lacks = abort && !site.cycle.aborted ? cycleLacks(site) : undefined;
  spec.apply(server, site);
  site.cycle.record(server, spec.step);
  if (lacks) {
    site.cycle.abort(server, lacks);
    site.events.emit({ type: 'warning', server: server.name, operation: 'to backup off --abort', rule: 'abort',
      message: `backup cycle aborted (19.3.4)${lacks.length ? `: the backup lacks ${lacks.join('; ')}` : ': the backup of every server was complete'}`, data: { lacks } });
  }
  site.events.emit({ type: 'command', server: server.name, operation: command, message: `${command}${abort ? ' --abort' : ''} done on ${server.name}` });
  endCycleIfFinished(site);
  return { server: server.name, command, warnings, ...(lacks ? { lacks } : {}) };
}

/** Ends the cycle once every server is available and out of backup mode, with an `info` event. */
export function endCycleIfFinished(site: Site): void {
  const summary = site.cycle.endIfFinished(site.servers);
  if (summary) {
    site.events.emit({ type: 'info', operation: 'backup cycle', message: `backup cycle ${summary.outcome === 'completed' ? 'completed' : summary.outcome === 'aborted' ? 'aborted' : 'ended without a backup'} (started ${summary.startedAt})`, data: { ...summary } });
  }
}
