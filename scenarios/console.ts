// Scenarios run from the training console against the site it shows: a bundled
// scenario (or an uploaded file) straight through, or step by step, paused and
// resumed by the instructor. Each step's expectation and outcome go onto the
// site's event stream (type `scenario`), so the feed shows them as they happen.
// The runner, the validator and the clients they drive load on first use: the
// composition root imports this module at every start.

import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Expect, Scenario, Step } from './format.js';
import { TwemuError } from '../emulator/errors.js';
import type { ConsoleRunView, ConsoleScenarioInfo, ConsoleScenarios, ConsoleSite, RunState } from '../emulator/control/console/scenarios.js';

type Runner = typeof import('./runner.js');
type ScenarioResult = Awaited<ReturnType<Runner['runScenario']>>;
type Validator = typeof import('./validate.js');

const MAX_UPLOAD = 256 * 1024;
const KEEP_RUNS = 20;

/** An expectation as one short line for the feed. */
export function describeExpect(expect: Expect, implicitOk: boolean): string {
  const parts = Object.entries(expect).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  if (!parts.length) return implicitOk ? 'ok' : '(nothing)';
  const line = parts.join('; ');
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

class ConsoleRun {
  readonly id = randomBytes(6).toString('hex');
  state: RunState = 'running';
  current: string | null = null;
  readonly steps: ConsoleRunView['steps'] = [];
  error?: string;
  /** Steps allowed to run before the next pause (Infinity: run on). */
  private budget: number;
  private wake: (() => void) | null = null;
  private stopped = false;
  done: Promise<ScenarioResult | null> = Promise.resolve(null);

  constructor(readonly scenario: Scenario, readonly mode: 'run' | 'step', private readonly site: ConsoleSite, private readonly runner: Runner) {
    this.budget = mode === 'run' ? Infinity : 0;
  }

  view(): ConsoleRunView {
    return { id: this.id, scenario: this.scenario.name, mode: this.mode, state: this.state, current: this.current, steps: [...this.steps], ...(this.error ? { error: this.error } : {}) };
  }

  private release(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  control(action: 'pause' | 'resume' | 'step' | 'stop'): void {
    if (this.state !== 'running' && this.state !== 'paused') return;
    if (action === 'stop') this.stopped = true;
    else if (action === 'pause') this.budget = 0;
    else if (action === 'resume') this.budget = Infinity;
    else this.budget = 1;
    this.release();
  }

  /** Awaited by the runner before every step. */
  private async gate(index: string, step: Step): Promise<void> {
    this.current = `${index} ${this.runner.stepLabel(step)}`;
    for (;;) {
      if (this.stopped) throw new Error('stopped from the console');
      if (this.budget > 0) {
        this.budget -= 1;
        this.state = 'running';
        this.site.emit({ operation: `${index} ${this.runner.stepLabel(step)}`, message: `step ${index}: expect ${describeExpect(step.expect, step.implicitOk)}`, data: { run: this.id, scenario: this.scenario.name, index, phase: 'expect', expect: step.expect } });
        return;
      }
      this.state = 'paused';
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  start(): void {
    this.site.emit({ operation: `scenario ${this.scenario.name}`, message: `${this.mode === 'step' ? 'step by step' : 'run'}: ${this.scenario.name} (${this.scenario.steps.length} steps) against this site`, data: { run: this.id, scenario: this.scenario.name, phase: 'start' } });
    this.done = this.runner.runScenario(this.scenario, {
      target: { url: this.site.control, token: this.site.token },
      out: () => undefined,
      beforeStep: (index, step) => this.gate(index, step),
      afterStep: (r, step) => {
        const failure = r.ok ? undefined : this.runner.describeFailure(r);
        this.steps.push({ index: r.index, label: r.label, expect: describeExpect(step.expect, step.implicitOk), ok: r.ok, ms: Math.round(r.ms), ...(failure ? { failure } : {}) });
        this.site.emit({
          operation: `${r.index} ${r.label}`,
          message: r.ok ? `step ${r.index}: ok${r.fired.length ? ` (${r.fired.join(', ')})` : ''}` : `step ${r.index}: FAILED: ${failure}`,
          data: { run: this.id, scenario: this.scenario.name, index: r.index, phase: 'outcome', ok: r.ok, fired: r.fired },
        });
      },
    }).then((result) => {
      this.current = null;
      this.state = this.stopped ? 'stopped' : result.passed ? 'passed' : 'failed';
      if (!result.passed && result.error) this.error = this.stopped ? 'stopped from the console' : result.error;
      this.site.emit({ operation: `scenario ${this.scenario.name}`, message: `${this.scenario.name}: ${this.state.toUpperCase()} (${this.steps.length} step(s) run)${this.error && !this.stopped ? `: ${this.error}` : ''}`, data: { run: this.id, scenario: this.scenario.name, phase: 'end', state: this.state } });
      return result;
    }, (err: unknown) => {
      this.state = 'failed';
      this.error = (err as Error).message;
      return null;
    });
  }
}

export function consoleScenarios(files?: () => string[]): ConsoleScenarios {
  const runs = new Map<string, ConsoleRun>();
  const modules = async () => ({
    runner: await import('./runner.js') as Runner,
    validate: await import('./validate.js') as Validator,
    files: files ?? (await import('./cli.js')).bundledFiles,
  });

  const load = async (input: { file?: string; yaml?: string; name?: string }): Promise<{ scenario: Scenario; runner: Runner }> => {
    const { runner, validate, files: list } = await modules();
    const invalid = (file: string, message: string) => new validate.ScenarioInvalid([{ file, line: 1, col: 1, message }]);
    if (input.file !== undefined) {
      const path = list().find((f) => basename(f) === input.file);
      if (!path) throw invalid(input.file, `no bundled scenario ${JSON.stringify(input.file)}`);
      return { scenario: validate.loadScenarios([path])[0]!, runner };
    }
    const name = basename(input.name ?? 'upload.yaml');
    const text = input.yaml ?? '';
    if (!text.trim()) throw invalid(name, 'the uploaded file is empty');
    if (Buffer.byteLength(text) > MAX_UPLOAD) throw invalid(name, `the uploaded file is over ${MAX_UPLOAD / 1024} KiB`);
    const { scenario, errors } = validate.parseScenario(name, text);
    if (!scenario || errors.length) throw new validate.ScenarioInvalid(errors);
    return { scenario, runner };
  };

  return {
    async list() {
      const { validate, files: list } = await modules();
      const out: ConsoleScenarioInfo[] = [];
      for (const path of list()) {
        const { scenario } = validate.parseScenario(path, readFileSync(path, 'utf8'));
        if (!scenario) continue;
        out.push({ name: scenario.name, file: basename(path), description: (scenario.description ?? '').split('\n')[0]!, topology: scenario.site.topology, appServers: scenario.site.appServers ?? 0, tags: scenario.tags });
      }
      return out;
    },
    async start(site, input) {
      const { scenario, runner } = await load(input);
      for (const [id, r] of runs) {
        if (r.state === 'running' || r.state === 'paused') throw new TwemuError('E_SCENARIO_RUNNING', `scenario ${r.scenario.name} is still running here (run ${id})`, { hint: 'stop it first, or let it finish' });
      }
      const run = new ConsoleRun(scenario, input.mode, site, runner);
      runs.set(run.id, run);
      while (runs.size > KEEP_RUNS) runs.delete(runs.keys().next().value!);
      run.start();
      return run.view();
    },
    run: (id) => runs.get(id)?.view() ?? null,
    control(id, action) {
      const run = runs.get(id);
      if (!run) return null;
      run.control(action);
      return run.view();
    },
    async stopAll() {
      for (const r of runs.values()) r.control('stop');
      await Promise.all([...runs.values()].map((r) => r.done));
    },
  };
}
