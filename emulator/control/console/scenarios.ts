// What the console needs to list and run scenarios against the site it shows.
// The scenario runner implements it (scenarios/console.ts); the composition
// root hands it to the console plugin, so the console imports no scenario code.

export interface ConsoleScenarioInfo {
  name: string;
  /** The bundled file's name (what `start` takes). */
  file: string;
  description: string;
  topology: string;
  appServers: number;
  tags: string[];
}

export type RunState = 'running' | 'paused' | 'passed' | 'failed' | 'stopped';

export interface ConsoleRunView {
  id: string;
  scenario: string;
  mode: 'run' | 'step';
  state: RunState;
  /** The step waiting to run (paused) or running, as `index label`. */
  current: string | null;
  steps: Array<{ index: string; label: string; expect: string; ok: boolean; ms: number; failure?: string }>;
  error?: string;
}

/** What the console needs of the site it shows. */
export interface ConsoleSite {
  control: string;
  token: string;
  /** Puts one `scenario` event on the site's stream. */
  emit(event: { operation: string; message: string; data: Record<string, unknown> }): void;
}

/** What the console plugin is given (by the composition root) to list and run scenarios. */
export interface ConsoleScenarios {
  list(): Promise<ConsoleScenarioInfo[]>;
  /** `file`: a bundled scenario's file name; `yaml` (+ `name`): an uploaded file. Invalid input throws one clear error. */
  start(site: ConsoleSite, input: { file?: string; yaml?: string; name?: string; mode: 'run' | 'step' }): Promise<ConsoleRunView>;
  run(id: string): ConsoleRunView | null;
  /** `pause`, `resume` (run on), `step` (one step, then pause), `stop`. */
  control(id: string, action: 'pause' | 'resume' | 'step' | 'stop'): ConsoleRunView | null;
  stopAll(): Promise<void>;
}

