import { PROCEDURE, type CommandName } from '../../procedure.js';
import type { Site } from '../../site.js';
import type { SiteServer } from '../../server.js';

// The 7 steps of the online backup procedure (administrator guide 19.3.1) as
// the console's checklist: which steps the server's state says are done, and
// the next step that could run now without breaking a rule (strict mode).

export interface StepDefinition {
  step: number;
  /** The command as the administrator types it. */
  command: string;
  /** The procedure command behind it; step 5 is the differential backup utility. */
  procedure: CommandName | 'backup';
  title: string;
}

export const STEPS: StepDefinition[] = [
  { step: 1, command: 'to tran suspend', procedure: 'to tran suspend', title: 'suspend the service' },
  { step: 2, command: 'to backup on', procedure: 'to backup on', title: 'backup mode on (staging area)' },
  { step: 3, command: 'tobkweb arc', procedure: 'tobkweb arc', title: 'archive web-service data' },
  { step: 4, command: 'to tran resume', procedure: 'to tran resume', title: 'resume the service' },
  { step: 5, command: 'twemu backup --level N --dest DIR', procedure: 'backup', title: 'differential backup' },
  { step: 6, command: 'tobkweb rm', procedure: 'tobkweb rm', title: 'remove the web archive' },
  { step: 7, command: 'to backup off', procedure: 'to backup off', title: 'backup mode off (merge staging)' },
];

export interface BrokenRule {
  rule: string;
  kind: 'state' | 'order';
  message: string;
  hint: string;
}

export interface StepView extends StepDefinition {
  /** The server's state shows this step done in the current cycle. */
  done: boolean;
  /** Running it now breaks no rule. */
  runnable: boolean;
  /** The highlighted step: the first one not done, when no rule blocks it. */
  next: boolean;
  /** False where the step does not apply to the server (no web service). */
  applies: boolean;
  broken: BrokenRule[];
}

export interface Checklist {
  steps: StepView[];
  /** Number of the next valid step, or null. */
  next: number | null;
  /** Why nothing can run yet (e.g. the directory server waits for the application servers). */
  waiting: string | null;
}

function doneFromState(server: SiteServer, step: number): boolean {
  const s = server.state;
  const inBackup = s.backupMode !== 'off';
  const removed = inBackup && s.backupDone && s.webArchive === 'absent';
  switch (step) {
    case 1: return server.suspended || inBackup;
    case 2: return inBackup;
    case 3: return s.webArchive === 'present' || removed;
    case 4: return inBackup && !server.suspended;
    case 5: return inBackup && s.backupDone;
    case 6: return removed;
    default: return false; // step 7 ends the cycle: the state is back at the start
  }
}

function brokenRules(server: SiteServer, site: Site, def: StepDefinition): BrokenRule[] {
  if (def.procedure === 'backup') {
    if (server.state.backupMode === 'on') return [];
    return [{ rule: 'backup-on-first', kind: 'order', message: `${server.name} is not in backup mode`, hint: `run \`to backup on --server ${server.name}\` first` }];
  }
  return PROCEDURE[def.procedure].rules
    .filter((r) => r.broken(server, site))
    .map((r) => ({ rule: r.id, kind: r.kind, message: r.message(server, site), hint: r.hint(server, site) }));
}

function atStart(server: SiteServer): boolean {
  const s = server.state;
  return !server.suspended && s.backupMode === 'off' && s.webArchive === 'absent';
}

/**
 * The steps run on each server in the current cycle, learnt from the command
 * events. The state alone cannot tell a lenient `to backup on` without a
 * suspension from a suspend + resume, so a step counts as done only when it was
 * run in this cycle and the state still shows it. At start (or after a restart
 * of the site) the state is all there is: those steps are taken as done.
 */
export class StepTracker {
  private readonly runs = new Map<string, Set<number>>();
  private readonly off: () => void;

  constructor(private readonly site: Site) {
    for (const s of site.servers) this.runs.set(s.name, new Set(STEPS.filter((d) => doneFromState(s, d.step)).map((d) => d.step)));
    this.off = site.events.subscribe((e) => {
      if (e.type !== 'command' || !e.server) return;
      const server = site.servers.find((s) => s.name === e.server);
      const done = this.runs.get(e.server);
      const def = STEPS.find((d) => d.procedure === e.operation);
      if (!server || !done || !def) return;
      if (def.procedure === 'to backup off' || atStart(server)) done.clear();
      else done.add(def.step);
    });
  }

  /** Forgets the steps run (the site was reset): the state is all there is again. */
  reset(): void {
    for (const s of this.site.servers) this.runs.set(s.name, new Set(STEPS.filter((d) => doneFromState(s, d.step)).map((d) => d.step)));
  }

  ran(server: SiteServer, step: number): boolean {
    return this.runs.get(server.name)?.has(step) ?? false;
  }

  stop(): void {
    this.off();
  }
}

export function checklist(server: SiteServer, site: Site, tracker?: StepTracker): Checklist {
  const steps: StepView[] = STEPS.map((def) => {
    const applies = !(def.procedure === 'tobkweb arc' || def.procedure === 'tobkweb rm') || server.runs('web');
    const broken = brokenRules(server, site, def);
    // Step 5 runs outside the command events (the backup utility); the state's `backupDone` is its record.
    const ran = def.procedure === 'backup' || !tracker || tracker.ran(server, def.step);
    return { ...def, applies, done: applies && ran && doneFromState(server, def.step), runnable: applies && broken.length === 0, next: false, broken };
  });
  // The next step is the first one not done, in the documented order; when a rule blocks it the server waits
  // (a later step that happens to be allowed, like the backup while still suspended, is not offered instead).
  const pending = steps.find((s) => s.applies && !s.done) ?? null;
  const next = pending?.runnable ? pending : null;
  if (next) next.next = true;
  let waiting: string | null = null;
  if (pending && !next) {
    const reason = pending.broken.find((b) => b.kind === 'order') ?? pending.broken[0];
    if (reason) waiting = `step ${pending.step} (${pending.command}): ${reason.message}; ${reason.hint}`;
  }
  return { steps, next: next?.step ?? null, waiting };
}

/** The next step of the whole site (the console's "next step" button): the lowest next step of any server, run on all servers in the documented order. */
export function nextSiteStep(site: Site, tracker?: StepTracker): { step: StepDefinition; servers: string[] } | { waiting: string } {
  const lists = site.servers.map((s) => ({ server: s, list: checklist(s, site, tracker) }));
  const ready = lists.filter((l) => l.list.next !== null);
  if (!ready.length) {
    const waiting = lists.map((l) => l.list.waiting && `${l.server.name}: ${l.list.waiting}`).filter(Boolean).join('; ');
    return { waiting: waiting || 'no step can run now' };
  }
  const step = Math.min(...ready.map((l) => l.list.next!));
  return { step: STEPS.find((d) => d.step === step)!, servers: ready.filter((l) => l.list.next === step).map((l) => l.server.name) };
}
