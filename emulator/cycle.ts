import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './state.js';
import type { LifecycleState } from './state.js';

/** What the cycle reads of a server (a CycleServer is one; the cycle needs no more, and so imports no server module). */
export interface CycleServer {
  readonly name: string;
  readonly suspended: boolean;
  readonly state: LifecycleState;
  runs(service: 'web'): boolean;
}

// The site's backup cycle (administrator guide 19.3.1, steps 1-7): which step
// ran on which server since the cycle began. A cycle starts with the first
// procedure command (normally `to tran suspend`) and ends when every server is
// available and out of backup mode again (every server's `to backup off` done),
// or when a plain suspension is lifted without a backup. Persisted beside
// site.json so that a restart comes back in the same cycle.

export const CYCLE_FILE = 'cycle.json';

export interface CycleBackup {
  id: string;
  level: number;
  /** Whether the backup holds the server's web-service archive (tobkweb files). */
  withArchive: boolean;
}

export interface CycleRecord {
  id: string;
  startedAt: string;
  /** Steps (1-7) run on each server in this cycle, in the order they ran. */
  steps: Record<string, number[]>;
  /** Each server's differential backup in this cycle (step 5). */
  backups: Record<string, CycleBackup>;
  /** Servers whose web-service archive was made in this cycle (step 3) and is still there. */
  archived: string[];
  /** `to backup off --abort` (19.3.4): the cycle was stopped before its end; what the backup lacks. */
  aborted: { at: string; server: string; lacks: string[] } | null;
}

export interface CycleSummary {
  id: string;
  startedAt: string;
  endedAt: string;
  outcome: 'completed' | 'aborted' | 'no-backup';
  lacks: string[];
}

interface CycleFileContent {
  current: CycleRecord | null;
  last: CycleSummary | null;
}

/** The current backup cycle of a site and the outcome of the last one. */
export class BackupCycle {
  private content: CycleFileContent;
  private readonly file: string;

  /** `now`: the site clock (ms). */
  constructor(dataDir: string, servers: readonly CycleServer[], private readonly now: () => number = Date.now) {
    this.file = join(dataDir, CYCLE_FILE);
    if (existsSync(this.file)) {
      this.content = JSON.parse(readFileSync(this.file, 'utf8')) as CycleFileContent;
    } else {
      // A data directory from before cycles were recorded: what the servers' state shows is the cycle so far.
      this.content = { current: null, last: null };
      if (servers.some((s) => s.suspended || s.state.backupMode !== 'off')) this.content.current = fromState(servers, this.stamp());
    }
  }

  get current(): CycleRecord | null {
    return this.content.current;
  }

  get last(): CycleSummary | null {
    return this.content.last;
  }

  get active(): boolean {
    return this.content.current !== null;
  }

  get aborted(): boolean {
    return this.content.current?.aborted != null;
  }

  ran(server: string, step: number): boolean {
    return this.content.current?.steps[server]?.includes(step) ?? false;
  }

  /** Whether any server ran a step in `steps` in this cycle. */
  reached(steps: number[]): boolean {
    const c = this.content.current;
    return !!c && Object.values(c.steps).some((list) => list.some((n) => steps.includes(n)));
  }

  backup(server: string): CycleBackup | null {
    return this.content.current?.backups[server] ?? null;
  }

  archivedInCycle(server: string): boolean {
    return this.content.current?.archived.includes(server) ?? false;
  }

  /** Records a step done on a server (starting a cycle when none runs). */
  record(server: CycleServer, step: number, extra: { backup?: CycleBackup } = {}): void {
    let c = this.content.current;
    if (!c) {
      const now = this.stamp();
      c = this.content.current = { id: now, startedAt: now, steps: {}, backups: {}, archived: [], aborted: null };
    }
    const list = (c.steps[server.name] ??= []);
    if (!list.includes(step)) list.push(step);
    if (extra.backup) c.backups[server.name] = extra.backup;
    if (step === 3 && !c.archived.includes(server.name)) c.archived.push(server.name);
    if (step === 6) c.archived = c.archived.filter((n) => n !== server.name);
    this.save();
  }

  abort(server: CycleServer, lacks: string[]): void {
    const c = this.content.current;
    if (!c) return;
    c.aborted = { at: this.stamp(), server: server.name, lacks };
    this.save();
  }

  /** Ends the cycle when every server is available and out of backup mode. Returns the summary when it ended. */
  endIfFinished(servers: readonly CycleServer[]): CycleSummary | null {
    const c = this.content.current;
    if (!c || servers.some((s) => s.suspended || s.state.backupMode !== 'off')) return null;
    const reachedBackupMode = Object.values(c.steps).some((l) => l.includes(2));
    const summary: CycleSummary = {
      id: c.id, startedAt: c.startedAt, endedAt: this.stamp(),
      outcome: c.aborted ? 'aborted' : reachedBackupMode ? 'completed' : 'no-backup', lacks: c.aborted?.lacks ?? [],
    };
    this.content = { current: null, last: summary };
    this.save();
    return summary;
  }

  /** Forgets the current cycle without a summary (the site was reset to its demo state). */
  clear(): void {
    this.content = { current: null, last: this.content.last };
    this.save();
  }

  /** The view for status and the console. */
  view(): { current: CycleRecord | null; last: CycleSummary | null } {
    return { current: this.content.current, last: this.content.last };
  }

  private stamp(): string {
    return new Date(this.now()).toISOString();
  }

  private save(): void {
    writeFileAtomic(this.file, `${JSON.stringify(this.content, null, 2)}\n`);
  }
}

function fromState(servers: readonly CycleServer[], now: string): CycleRecord {
  const c: CycleRecord = { id: now, startedAt: now, steps: {}, backups: {}, archived: [], aborted: null };
  for (const s of servers) {
    const st = s.state;
    const inBackup = st.backupMode !== 'off';
    const steps: number[] = [];
    if (s.suspended || inBackup) steps.push(1);
    if (inBackup) steps.push(2);
    if (st.webArchive === 'present' || (inBackup && st.backupDone && s.runs('web'))) steps.push(3);
    if (inBackup && !s.suspended) steps.push(4);
    if (inBackup && st.backupDone) {
      steps.push(5);
      c.backups[s.name] = { id: st.lastBackup?.id ?? 'unknown', level: st.lastBackup?.level ?? 0, withArchive: st.webArchive === 'present' || !s.runs('web') };
    }
    if (inBackup && st.backupDone && st.webArchive === 'absent' && s.runs('web')) steps.push(6);
    if (st.webArchive === 'present') c.archived.push(s.name);
    c.steps[s.name] = steps;
  }
  return c;
}
