// Runs validated scenarios: starts the site (or targets a running one), runs
// each step through the real client libraries, checks its expectations
// against the reply and the events fired meanwhile, and records the sequence
// of drawn behaviours so two runs with one seed can be compared.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmulator, type Emulator, type Endpoints } from '../emulator/index.js';
import type { TwEvent } from '../emulator/events.js';
import type { ServerStatus } from '../emulator/site.js';
import { findSite } from '../emulator/cli/client.js';
import { restore as restoreBackup } from '../emulator/backup.js';
import { KINDS, type Expect, type Scenario, type Step } from './format.js';
import { parseOperator, parseUntil } from './syntax.js';
import { evaluate } from './expressions.js';
import type { Outcome } from './clients/outcome.js';
import { RawScenarioClient } from './clients/raw.js';
import { Pop3ScenarioClient } from './clients/pop3.js';
import { SmtpScenarioClient, type SmtpMessage } from './clients/smtp.js';
import { ImapScenarioClient } from './clients/imap.js';
import { WebScenarioClient } from './clients/web.js';
import { httpJson, httpOutcome } from './clients/http.js';

/** How long a missing expected event is waited for after the reply (it may come from a background job). */
const EVENT_GRACE_MS = 1000;
const POLL_MS = 25;
const UNTIL_POLL_MS = 50;
const MAX_SOAK_ITERATIONS = 100_000;

/** Sites and folders of the scenarios running now, for `stopAll` (Ctrl-C). */
const running = { sites: new Set<Emulator>(), dirs: new Set<string>() };

/** Stops every site the runner started and removes its folders (on SIGINT/SIGTERM). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running.sites].map((e) => e.stop().catch(() => undefined)));
  for (const d of running.dirs) rmSync(d, { recursive: true, force: true });
  running.sites.clear();
  running.dirs.clear();
}

export interface Target {
  url?: string;
  token?: string;
  data?: string;
}

export interface RunOptions {
  /** Overrides every scenario's site seed. */
  seed?: number;
  /** Run against a running site instead of starting one per scenario. */
  target?: Target;
  /** With `--soak`: `repeat` blocks marked `soak: true` loop for this long. */
  soakMs?: number;
  /** Progress output (a line at a time). */
  out: (line: string) => void;
  /** Run every step even after one fails (the impact matrix records each step's outcome). */
  keepGoing?: boolean;
  /** Variables every scenario starts with (`${password}` of a recorded session: --password or TWEMU_PASSWORD). */
  vars?: Record<string, string>;
  /** Awaited before each foreground step runs (the console pauses and single-steps a run here; throwing stops it). */
  beforeStep?: (index: string, step: Step) => Promise<void>;
  /** Told each foreground step's result as soon as it is known. */
  afterStep?: (result: StepResult, step: Step) => void;
}

export interface Mismatch {
  what: string;
  expected: string;
  actual: string;
}

export interface StepResult {
  index: string;
  label: string;
  file: string;
  line: number;
  col: number;
  ok: boolean;
  ms: number;
  mismatches: Mismatch[];
  /** A short result worth printing on the step's line (background rounds). */
  note?: string;
  /** The full reply, page or answer, for the report of a failing step. */
  actual?: string;
  /** The reply's first line (`-ERR ...`, `NO ...`, `HTTP 503`), for the impact matrix. */
  reply?: string;
  fired: string[];
}

export interface ScenarioResult {
  name: string;
  file: string;
  passed: boolean;
  /** Set when the scenario could not run (site did not start, a step crashed). */
  error?: string;
  steps: StepResult[];
  ms: number;
  seed: number;
  /** The behaviours drawn, in order: `server behaviour variant` (+ ` suppressed`). */
  draws: string[];
  /** The failure, in full, as printed. */
  failure?: string;
  log: string[];
}

interface SiteHandle {
  control: string;
  token: string;
  endpoints: Endpoints;
  emu?: Emulator;
  dataDir?: string;
}

/** A named session of a scenario: one of the scenario clients (not a server-side session). */
type ScenarioSession =
  | { kind: 'pop3'; client: Pop3ScenarioClient }
  | { kind: 'pop3-raw'; client: RawScenarioClient }
  | { kind: 'imap'; client: ImapScenarioClient }
  | { kind: 'imap-raw'; client: RawScenarioClient }
  | { kind: 'web'; client: WebScenarioClient }
  | { kind: 'smtp'; client: SmtpScenarioClient }
  | { kind: 'smtp-raw'; client: RawScenarioClient }
  | { kind: 'ame' | 'desktop'; user?: string; password?: string; server?: string };

interface Loop {
  stopping: boolean;
  rounds: number;
  steps: number;
  failure: StepResult | null;
  done: Promise<void>;
}

class StepFailed extends Error {
  constructor(readonly result: StepResult) {
    super(`step ${result.index} failed`);
  }
}

class Context {
  readonly sessions = new Map<string, ScenarioSession>();
  readonly hashes = new Map<string, string>();
  /** Background loops running now, by name. */
  readonly loops = new Map<string, Loop>();
  /** Values kept by `save` for `${name}` in later steps. */
  readonly vars = new Map<string, unknown>();
  readonly tmp = mkdtempSync(join(tmpdir(), 'twemu-scenario-'));
  readonly backupDir = join(this.tmp, 'backups');
  backupsTaken = 0;
  restores = 0;
  restored: SiteHandle | null = null;
  startSeq = 0;
  /** Where the previous step began (for `until: behaviour X fired`). */
  previousStepSeq = 0;
  readonly results: StepResult[] = [];
  readonly log: string[] = [];

  constructor(readonly scenario: Scenario, readonly site: SiteHandle, readonly opts: RunOptions) {}

  async api(method: string, path: string, body?: unknown, on: SiteHandle = this.site, timeoutMs = 30_000) {
    return httpJson(method, `${on.control}${path}`, { bearer: on.token, body, timeoutMs });
  }

  async lastSeq(): Promise<number> {
    const r = await this.api('GET', '/api/events?format=json&since=999999999999');
    return (r.json as { lastSeq: number }).lastSeq;
  }

  async eventsSince(seq: number): Promise<TwEvent[]> {
    const r = await this.api('GET', `/api/events?format=json&since=${seq}`);
    return (r.json as { events: TwEvent[] }).events;
  }

  server(name: string | undefined, service: 'pop3' | 'imap' | 'web' | 'ame' | 'smtp' | 'pop3s' | 'imaps') {
    const servers = this.site.endpoints.servers;
    const s = name ? servers.find((x) => x.name.toLowerCase() === name.toLowerCase()) : servers.find((x) => x[service] !== undefined);
    if (!s) throw new Error(name ? `no server named ${JSON.stringify(name)} (the servers are: ${servers.map((x) => x.name).join(', ')})` : `no server runs ${service}`);
    if (s[service] === undefined) throw new Error(`${s.name} does not run ${service}`);
    return s;
  }

  closeSessions(): void {
    for (const s of this.sessions.values()) {
      if (s.kind === 'pop3' || s.kind === 'pop3-raw' || s.kind === 'imap-raw' || s.kind === 'smtp' || s.kind === 'smtp-raw') s.client.close();
      else if (s.kind === 'imap') void s.client.close();
    }
    this.sessions.clear();
  }
}

function host(control: string): string {
  return new URL(control).hostname;
}

/**
 * A step in one line (run output, matrix rows, JUnit names): a value that spans lines (an IMAP APPEND
 * with its literal, the message) shows its first line and an ellipsis.
 */
export function stepLabel(step: Step): string {
  const show = (v: unknown) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v).replace(/\r?\n[\s\S]*$/, ' …'));
  if (step.label) return step.label;
  if (KINDS[step.kind].actions) {
    const arg = step.action === 'login' ? (step.arg as { user: string }).user : step.arg === true ? '' : show(step.arg);
    return `${step.kind} ${String(step.value)}: ${step.action}${arg ? ` ${arg}` : ''}`;
  }
  if (step.kind === 'check') {
    const extra = Object.entries(step.fields).map(([k, v]) => `${k}=${show(v)}`).join(' ');
    return `check ${String(step.value)} ${extra}`;
  }
  if (step.kind === 'stop') return `stop ${String(step.value)}${step.fields.min !== undefined ? ` (at least ${String(step.fields.min)} rounds)` : ''}`;
  if (step.kind === 'repeat') return `repeat ${step.value === true ? '' : String(step.value)}${step.fields.soak ? ' (soak)' : ''}`;
  const extra = step.fields.server ? ` --server ${String(step.fields.server)}` : '';
  return `${step.kind} ${show(step.value)}${extra}${step.fields.lenient ? ' --lenient' : ''}`;
}

/** Starts the scenario's own site, or attaches to the target. */
async function openSite(scenario: Scenario, opts: RunOptions, seed: number): Promise<SiteHandle> {
  if (!opts.target) {
    const s = scenario.site;
    const emu = await startEmulator({
      topology: s.topology, ...(s.topology === 'multi' ? { appServers: s.appServers ?? 2 } : {}), seed, lenient: s.lenient, demo: s.demo,
      policies: s.policies as Record<string, never>, ...(s.gatewayServer ? { gatewayServer: s.gatewayServer } : {}),
      ...(s.services ? { services: s.services as never } : {}), portBase: 0, host: '127.0.0.1',
    });
    running.sites.add(emu);
    return { control: emu.endpoints.control, token: emu.token, endpoints: emu.endpoints, emu, dataDir: emu.dataDir };
  }
  const found = findSite({ url: opts.target.url, token: opts.target.token, data: opts.target.data });
  let endpoints = found.endpoints;
  if (!endpoints) {
    const r = await httpJson('GET', `${found.url}/api/inspect/endpoints`, { bearer: found.token, timeoutMs: 10_000 });
    if (r.status !== 200) throw new Error(`the site at ${found.url} does not tell its endpoints (HTTP ${r.status}); use --data DIR`);
    endpoints = r.json as Endpoints;
  }
  const handle: SiteHandle = { control: found.url, token: found.token, endpoints, ...(opts.target.data ? { dataDir: resolve(opts.target.data) } : {}) };
  const status = (await httpJson('GET', `${handle.control}/api/status`, { bearer: handle.token, timeoutMs: 10_000 })).json as { topology: string; servers: ServerStatus[] };
  if (status.topology !== scenario.site.topology) throw new Error(`this scenario needs a ${scenario.site.topology}-server site; the site at ${handle.control} is ${status.topology}-server`);
  if (scenario.site.topology === 'multi' && scenario.site.appServers && status.servers.filter((x) => x.role === 'application').length !== scenario.site.appServers) {
    throw new Error(`this scenario needs ${scenario.site.appServers} application servers; the target has ${status.servers.filter((x) => x.role === 'application').length}`);
  }
  await httpJson('POST', `${handle.control}/api/catalog/reset`, { bearer: handle.token, body: { seed }, timeoutMs: 10_000 });
  for (const [id, policy] of Object.entries(scenario.site.policies)) {
    const r = await httpJson('PUT', `${handle.control}/api/catalog/${encodeURIComponent(id)}/policy`, { bearer: handle.token, body: policy, timeoutMs: 10_000 });
    if (r.status !== 200) throw new Error(`the target refused the policy of ${id}: HTTP ${r.status} ${r.text}`);
  }
  return handle;
}

export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<ScenarioResult> {
  const t0 = performance.now();
  const seed = opts.seed ?? scenario.site.seed;
  const result: ScenarioResult = { name: scenario.name, file: scenario.file, passed: false, steps: [], ms: 0, seed, draws: [], log: [] };
  const say = (line: string) => {
    result.log.push(line);
    opts.out(line);
  };
  say(`scenario ${scenario.name} (${scenario.file}, seed ${seed}${opts.target ? ', running site' : `, ${scenario.site.topology}-server site`})`);
  let site: SiteHandle;
  try {
    site = await openSite(scenario, opts, seed);
  } catch (err) {
    result.error = opts.target ? `cannot use the running site: ${(err as Error).message}` : `the site did not start: ${(err as Error).message}`;
    result.failure = result.error;
    result.ms = performance.now() - t0;
    say(`  ERROR ${result.error}`);
    say(`FAIL ${scenario.name} (${Math.round(result.ms)} ms)`);
    return result;
  }
  const ctx = new Context(scenario, site, opts);
  for (const [k, v] of Object.entries({ ...scenario.variables, ...opts.vars })) ctx.vars.set(k, v);
  running.dirs.add(ctx.tmp);
  try {
    ctx.startSeq = await ctx.lastSeq();
    ctx.previousStepSeq = ctx.startSeq;
    await runSteps(ctx, scenario.steps, '', say);
    // Loops still running at the end are stopped here; one that failed fails the scenario.
    for (const name of [...ctx.loops.keys()]) {
      const loop = await stopLoop(ctx, name, 30_000);
      say(`  ---- background ${name} stopped at the end: ${loop.rounds} complete round(s)`);
      if (loop.failure) {
        for (const l of describeFailure(loop.failure).split('\n')) say(`     ${l}`);
        throw new StepFailed(loop.failure);
      }
    }
    result.passed = ctx.results.every((r) => r.ok);
  } catch (err) {
    if (err instanceof StepFailed) {
      result.failure = describeFailure(err.result);
    } else {
      result.error = `the runner failed: ${(err as Error).message}`;
      result.failure = result.error;
      say(`  ERROR ${result.error}`);
    }
  } finally {
    for (const loop of ctx.loops.values()) loop.stopping = true;
    await Promise.race([Promise.all([...ctx.loops.values()].map((l) => l.done)), sleep(10_000)]);
    result.steps = ctx.results;
    try {
      const events = await ctx.eventsSince(ctx.startSeq);
      result.draws = events.filter((e) => e.type === 'behaviour' || e.type === 'behaviour-suppressed')
        .map((e) => `${e.server ?? '-'} ${e.behaviour} ${e.variant ?? ''}${e.type === 'behaviour-suppressed' ? ' suppressed' : ''}`.replace(/\s+$/, ''));
    } catch {
      /* the site is gone; nothing to record */
    }
    ctx.closeSessions();
    if (ctx.restored?.emu) {
      await ctx.restored.emu.stop().catch(() => undefined);
      running.sites.delete(ctx.restored.emu);
    }
    if (site.emu) {
      await site.emu.stop().catch(() => undefined);
      running.sites.delete(site.emu);
    }
    rmSync(ctx.tmp, { recursive: true, force: true });
    running.dirs.delete(ctx.tmp);
  }
  result.ms = performance.now() - t0;
  say(`${result.passed ? 'PASS' : 'FAIL'} ${scenario.name} (${result.steps.length} steps, ${Math.round(result.ms)} ms)`);
  return result;
}

export function describeFailure(r: StepResult): string {
  const lines = [`step ${r.index} (${r.file}:${r.line}:${r.col}) ${r.label}`];
  for (const m of r.mismatches) {
    lines.push(`  expected ${m.what}: ${m.expected}`);
    lines.push(`  actual ${m.what}:   ${m.actual}`);
  }
  if (r.actual !== undefined) {
    lines.push('  actual, in full:');
    for (const l of r.actual.split('\n')) lines.push(`    | ${l}`);
  }
  if (r.fired.length) lines.push(`  behaviours fired during the step: ${r.fired.join(', ')}`);
  return lines.join('\n');
}

async function runSteps(ctx: Context, steps: Step[], prefix: string, say: (l: string) => void): Promise<void> {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const index = `${prefix}${i + 1}`;
    if (step.kind === 'repeat') {
      await runRepeat(ctx, step, index, say);
      continue;
    }
    if (step.kind === 'background') {
      startLoop(ctx, step, index);
      say(`  ---- ${index} background ${String(step.value)}: ${step.steps?.length ?? 0} step(s) looping until \`stop: ${String(step.value)}\``);
      continue;
    }
    await ctx.opts.beforeStep?.(index, step);
    const r = await runStep(ctx, step, index);
    ctx.results.push(r);
    ctx.opts.afterStep?.(r, step);
    say(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.index} ${r.label}${r.note ? `: ${r.note}` : ''}${r.fired.length ? `  [${r.fired.join(', ')}]` : ''}  (${Math.round(r.ms)} ms)`);
    if (!r.ok) {
      for (const l of describeFailure(r).split('\n').slice(1)) say(`     ${l}`);
      if (!ctx.opts.keepGoing) throw new StepFailed(r);
    }
  }
}

async function runRepeat(ctx: Context, step: Step, index: string, say: (l: string) => void): Promise<void> {
  const times = step.value === true ? 1 : (step.value as number);
  const soak = step.fields.soak === true && ctx.opts.soakMs !== undefined;
  const until = soak ? Date.now() + ctx.opts.soakMs! : 0;
  say(`  ---- ${index} ${stepLabel(step)}${soak ? `: looping for ${Math.round(ctx.opts.soakMs! / 1000)} s` : ''}`);
  for (let n = 1; n <= (soak ? MAX_SOAK_ITERATIONS : times); n++) {
    await runSteps(ctx, step.steps ?? [], `${index}.${n}.`, say);
    if (soak && Date.now() >= until) break;
  }
}

/** Starts a background loop: its steps run round after round, concurrently with the foreground, until stopped or one fails. */
function startLoop(ctx: Context, step: Step, index: string): void {
  const loop: Loop = { stopping: false, rounds: 0, steps: 0, failure: null, done: Promise.resolve() };
  loop.done = (async () => {
    while (!loop.stopping) {
      const round = loop.rounds + 1;
      for (const [i, inner] of (step.steps ?? []).entries()) {
        const r = await runStep(ctx, inner, `${index}.${round}.${i + 1}`, true);
        loop.steps++;
        if (!r.ok) {
          loop.failure = r;
          return;
        }
      }
      loop.rounds = round;
    }
  })().catch((err: unknown) => {
    loop.failure = { index, label: `background ${String(step.value)}`, file: ctx.scenario.file, line: step.pos.line, col: step.pos.col, ok: false, ms: 0, fired: [],
      mismatches: [{ what: 'outcome', expected: 'the loop runs', actual: (err as Error).message }] };
  });
  ctx.loops.set(String(step.value), loop);
}

/** Stops a loop after its current round (bounded); the loop's first failure, if any. */
async function stopLoop(ctx: Context, name: string, timeoutMs: number): Promise<Loop> {
  const loop = ctx.loops.get(name);
  if (!loop) throw new Error(`no background loop named ${JSON.stringify(name)} is running`);
  loop.stopping = true;
  await withTimeout(loop.done, timeoutMs, `the background loop ${name} did not finish its round within ${timeoutMs} ms`);
  ctx.loops.delete(name);
  return loop;
}

async function runStep(ctx: Context, step: Step, index: string, background = false): Promise<StepResult> {
  const t0 = performance.now();
  const base = { index, label: stepLabel(step), file: ctx.scenario.file, line: step.pos.line, col: step.pos.col };
  const seqBefore = await ctx.lastSeq();
  let outcome: Outcome;
  let mismatches: Mismatch[] = [];
  let expectOf: Expect = step.expect;
  try {
    const concrete = substitute(ctx, step);
    expectOf = concrete.expect;
    // `until` and node-pop3's steps bound themselves (`until` says what it saw last; a POP3 exchange closes its session
    // when it is late); the outer bound only catches a stuck call, so a slow machine does not race them.
    const bound = step.kind === 'until' || (step.kind === 'pop3' && !['open', 'send', 'close'].includes(step.action ?? '')) ? step.timeoutMs + 10_000 : step.timeoutMs;
    const produced = await withTimeout(execute(ctx, concrete, seqBefore), bound, `the step did not finish within ${bound} ms`);
    if ('mismatches' in produced) {
      mismatches = produced.mismatches;
      outcome = produced.outcome;
    } else outcome = produced;
  } catch (err) {
    outcome = { ok: false, reply: `(${(err as Error).message})`, body: `(${(err as Error).message})` };
    mismatches = [{ what: 'outcome', expected: 'the step runs', actual: (err as Error).message }];
  }
  if (!background) ctx.previousStepSeq = seqBefore;
  let events = await ctx.eventsSince(seqBefore);
  const expect: Expect = step.implicitOk && KINDS[step.kind].expects.includes('ok') ? { ok: true } : expectOf;
  if (!mismatches.length) {
    mismatches = check(expect, outcome, events);
    // An expected event may come from a background job just after the reply: wait for it, bounded.
    const deadline = Date.now() + EVENT_GRACE_MS;
    while (mismatches.some((m) => ['behaviour', 'suppressed', 'log', 'warning', 'variant'].includes(m.what)) && Date.now() < deadline) {
      await sleep(POLL_MS);
      events = await ctx.eventsSince(seqBefore);
      mismatches = check(expect, outcome, events);
    }
  }
  // A `match` with named groups keeps what they matched for later steps (`(?<apop><[^<>]+>)`: a greeting's APOP timestamp).
  if (expect.match !== undefined && !mismatches.some((m) => m.what === 'match')) {
    const groups = new RegExp(expect.match, 'u').exec(outcome.body ?? outcome.reply ?? '')?.groups ?? {};
    for (const [name, value] of Object.entries(groups)) if (value !== undefined) ctx.vars.set(name, value);
  }
  for (const [name, path] of Object.entries(step.save ?? {})) {
    const value = get(outcome.json, path);
    if (value === undefined) mismatches.push({ what: `save ${name}`, expected: `a value at ${path} in the answer`, actual: '(absent)' });
    else ctx.vars.set(name, value);
  }
  const fired = events.filter((e) => e.type === 'behaviour').map((e) => e.behaviour!);
  const reply = (outcome.reply ?? '').split('\n')[0]!.slice(0, 300);
  return { ...base, ...(step.kind === 'stop' ? { note: outcome.reply } : {}), ...(reply ? { reply } : {}), ok: mismatches.length === 0, ms: performance.now() - t0, mismatches, ...(mismatches.length ? { actual: outcome.body ?? outcome.reply ?? '' } : {}), fired };
}

/** The step with `${name}` replaced by saved values and `${FUNCTION:TEXT}` computed (expressions.ts; a whole-string `${name}` keeps the value's type). */
function substitute(ctx: Context, step: Step): Step {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return evaluate(v, lookup);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const lookup = (name: string) => {
    if (!ctx.vars.has(name)) {
      throw new Error(name === 'password' ? '${password} is not set: give --password P (or set TWEMU_PASSWORD) to replay a recorded session'
        : `\${${name}} is not set: an earlier step needs \`save: {${name}: PATH}\``);
    }
    return ctx.vars.get(name);
  };
  if (step.kind === 'repeat' || step.kind === 'background') return step;
  return { ...step, value: walk(step.value), arg: walk(step.arg), fields: walk(step.fields) as Record<string, unknown>, expect: walk(step.expect) as Expect };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]).finally(() => clearTimeout(timer));
}

const q = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v));

function get(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    cur = Array.isArray(cur) && /^\d+$/.test(part) ? cur[Number(part)] : (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Every expectation the outcome and the step's events do not meet. */
export function check(expect: Expect, o: Outcome, events: TwEvent[]): Mismatch[] {
  const out: Mismatch[] = [];
  const fired = events.filter((e) => e.type === 'behaviour');
  const suppressed = events.filter((e) => e.type === 'behaviour-suppressed');
  const firedText = fired.length ? fired.map((e) => `${e.behaviour}${e.variant ? ` (${e.variant})` : ''}`).join(', ') : 'none';
  const body = o.body ?? o.reply ?? '';
  if (expect.ok !== undefined && o.ok !== expect.ok) out.push({ what: 'ok', expected: String(expect.ok), actual: `${o.ok} (${o.reply ?? ''})` });
  if (expect.reply !== undefined && o.reply !== expect.reply) out.push({ what: 'reply', expected: q(expect.reply), actual: q(o.reply ?? '') });
  if (expect.lines !== undefined && !same(expect.lines, o.lines ?? [])) out.push({ what: 'lines', expected: diffLines(expect.lines, o.lines ?? []), actual: `${(o.lines ?? []).length} line(s)` });
  if (expect.match !== undefined && !new RegExp(expect.match, 'u').test(body)) out.push({ what: 'match', expected: `/${expect.match}/`, actual: `no match in ${q(firstLine(body))}${body.includes('\n') ? ' ...' : ''}` });
  for (const t of expect.text ?? []) if (!body.includes(t)) out.push({ what: 'text', expected: `contains ${q(t)}`, actual: 'not found' });
  for (const t of expect.notText ?? []) if (body.includes(t)) out.push({ what: 'notText', expected: `does not contain ${q(t)}`, actual: 'found' });
  if (expect.occurrences) {
    const n = countText(o.body ?? '', expect.occurrences.text, o.status !== undefined);
    if (n !== expect.occurrences.count) out.push({ what: 'occurrences', expected: `${q(expect.occurrences.text)} ${expect.occurrences.count} time(s)`, actual: `${n} time(s)` });
  }
  for (const id of expect.behaviour ?? []) if (!fired.some((e) => e.behaviour === id)) out.push({ what: 'behaviour', expected: `${id} fired`, actual: `fired: ${firedText}` });
  for (const id of expect.suppressed ?? []) if (!suppressed.some((e) => e.behaviour === id)) out.push({ what: 'suppressed', expected: `${id} suppressed by its policy`, actual: `suppressed: ${suppressed.map((e) => e.behaviour).join(', ') || 'none'}` });
  if (expect.noBehaviour && fired.length) out.push({ what: 'noBehaviour', expected: 'no behaviour fired', actual: `fired: ${firedText}` });
  if (expect.variant !== undefined && !fired.some((e) => e.variant === expect.variant)) out.push({ what: 'variant', expected: expect.variant, actual: `fired: ${firedText}` });
  if (expect.status !== undefined && o.status !== expect.status) out.push({ what: 'status', expected: String(expect.status), actual: String(o.status ?? '(no HTTP status)') });
  if (expect.rc !== undefined && (o.rc === undefined || !expect.rc.includes(o.rc))) out.push({ what: 'rc', expected: expect.rc.join(' or '), actual: String(o.rc ?? '(no rc)') });
  if (expect.dialog !== undefined && !same(expect.dialog, o.dialog ?? [])) out.push({ what: 'dialog', expected: q(expect.dialog), actual: q(o.dialog ?? []) });
  for (const [path, value] of Object.entries(expect.json ?? {})) {
    const actual = get(o.json, path);
    // `null` stands for "null or absent".
    if (!(value === null && actual === undefined) && !same(actual, value)) out.push({ what: `json ${path}`, expected: q(value), actual: actual === undefined ? '(absent)' : q(actual) });
  }
  if (expect.refused) {
    if (!o.refused) out.push({ what: 'refused', expected: `refused${expect.refused.rule ? ` by rule ${expect.refused.rule}` : ''}`, actual: `not refused (${o.reply ?? ''})` });
    else {
      if (expect.refused.rule && o.refused.rule !== expect.refused.rule) out.push({ what: 'refused rule', expected: expect.refused.rule, actual: `${o.refused.rule ?? '(no rule)'}: ${o.refused.message}` });
      if (expect.refused.code && o.refused.code !== expect.refused.code) out.push({ what: 'refused code', expected: expect.refused.code, actual: o.refused.code });
    }
  }
  for (const rule of expect.warning ?? []) {
    const warned = events.some((e) => e.type === 'warning' && e.rule === rule);
    if (!warned) out.push({ what: 'warning', expected: `rule ${rule} broken on purpose (lenient)`, actual: `warnings: ${events.filter((e) => e.type === 'warning').map((e) => e.rule).join(', ') || 'none'}${o.refused ? `; refused: ${o.refused.message}` : ''}` });
  }
  for (const line of expect.log ?? []) {
    const logged = events.some((e) => e.type === 'gateway-log' && (e.message === line || (e.messages ?? []).includes(line)));
    if (!logged) {
      const seen = events.filter((e) => e.type === 'gateway-log').map((e) => e.message ?? (e.messages ?? []).join(' | '));
      out.push({ what: 'log', expected: q(line), actual: seen.length ? seen.map((s) => q(s)).join(', ') : '(no log line)' });
    }
  }
  return out;
}

function firstLine(s: string): string {
  const l = s.split('\n')[0] ?? '';
  return l.length > 300 ? `${l.slice(0, 300)}...` : l;
}

function countText(body: string, text: string, html: boolean): number {
  // A web page's body holds the HTML and then its visible text: count in the HTML only.
  const hay = html ? body.slice(0, body.lastIndexOf('\n') >= 0 ? body.lastIndexOf('\n') : body.length) : body;
  let n = 0;
  for (let i = hay.indexOf(text); i >= 0; i = hay.indexOf(text, i + text.length)) n++;
  return n;
}

/** A line-by-line diff of expected vs actual lines (`-` expected only, `+` actual only). */
export function diffLines(expected: string[], actual: string[]): string {
  const out: string[] = [];
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === a) out.push(`      ${e}`);
    else {
      if (e !== undefined) out.push(`    - ${e}`);
      if (a !== undefined) out.push(`    + ${a}`);
    }
  }
  return `(- expected, + actual)\n${out.join('\n')}`;
}

type Produced = Outcome | { outcome: Outcome; mismatches: Mismatch[] };

async function execute(ctx: Context, step: Step, seqBefore: number): Promise<Produced> {
  switch (step.kind) {
    case 'operator':
      return operator(ctx, step);
    case 'until':
      return until(ctx, step);
    case 'window': {
      const f = step.fields as { for: number; at?: number; server?: string };
      return httpOutcome(await ctx.api('POST', '/api/schedule', { action: 'suspend', forMs: f.for, atMs: f.at ?? 0, ...(f.server ? { server: f.server } : {}) }));
    }
    case 'delay':
      await sleep(step.value as number);
      return { ok: true, reply: 'waited' };
    case 'pop3':
      return pop3(ctx, step);
    case 'imap':
      return imap(ctx, step);
    case 'smtp':
      return smtp(ctx, step);
    case 'web':
      return web(ctx, step);
    case 'ame':
      return ame(ctx, step);
    case 'desktop':
      return desktop(ctx, step);
    case 'gateway': {
      const [gw, op] = String(step.value).trim().split(/\s+/);
      return httpOutcome(await ctx.api('POST', `/api/gateways/${gw}/${op}`, step.fields.body ?? {}, ctx.site, step.timeoutMs), answeredOk);
    }
    case 'searchpro':
      return httpOutcome(await ctx.api('POST', `/api/searchpro/${String(step.value)}`, step.fields.body ?? {}, ctx.site, step.timeoutMs), answeredOk);
    case 'api': {
      const [method, path] = String(step.value).trim().split(/\s+/);
      const a = await ctx.api(method!, path!, step.fields.body, ctx.site, step.timeoutMs);
      const o = httpOutcome(a);
      if (a.status === 409) o.refused = refusal(a.json, await ctx.eventsSince(seqBefore));
      return o;
    }
    case 'deliver': {
      const m = step.value as { to: string; from?: string; subject?: string; body?: string; raw?: string };
      const raw = m.raw ?? [`From: ${m.from ?? 'scenario'}@teamware.example`, `To: ${m.to}@teamware.example`, `Subject: ${m.subject ?? 'scenario mail'}`,
        `Message-ID: <scenario-${Date.now()}-${Math.random().toString(36).slice(2)}@teamware.example>`, 'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=UTF-8', '', m.body ?? 'sent by a twemu scenario', ''].join('\r\n');
      return httpOutcome(await ctx.api('POST', '/api/mail', { to: m.to, raw }));
    }
    case 'user':
      return httpOutcome(await ctx.api('POST', '/api/users', step.value));
    case 'policy': {
      for (const [id, policy] of Object.entries(step.value as Record<string, unknown>)) {
        const a = await ctx.api('PUT', `/api/catalog/${encodeURIComponent(id)}/policy`, policy);
        if (a.status !== 200) return httpOutcome(a);
      }
      return { ok: true, reply: 'policies set' };
    }
    case 'reseed':
      return httpOutcome(await ctx.api('POST', '/api/catalog/reset', { seed: step.value }));
    case 'check':
      return dataCheck(ctx, step);
    case 'restore':
      return restore(ctx, step);
    case 'stop': {
      const name = String(step.value);
      const loop = await stopLoop(ctx, name, step.timeoutMs);
      const reply = `background ${name}: ${loop.rounds} complete round(s), ${loop.steps} step(s)`;
      const mismatches: Mismatch[] = [];
      if (loop.failure) mismatches.push({ what: `background ${name}`, expected: 'every step meets its expectations on every round', actual: `step ${loop.failure.index} failed` });
      if (step.fields.min !== undefined && loop.rounds < (step.fields.min as number)) mismatches.push({ what: 'rounds', expected: `at least ${String(step.fields.min)}`, actual: String(loop.rounds) });
      return { outcome: { ok: !mismatches.length, reply, body: loop.failure ? describeFailure(loop.failure) : reply }, mismatches };
    }
    case 'repeat':
    case 'background':
      throw new Error(`${step.kind} is run by runSteps`);
  }
}

/** Gateways and SearchPro answer 200 with `{ok: false, ...}` when a behaviour fired. */
function answeredOk(a: { status: number; json: unknown }): boolean {
  return a.status >= 200 && a.status < 300 && (a.json as { ok?: unknown } | null)?.ok !== false;
}

function refusal(json: unknown, events: TwEvent[]): Outcome['refused'] {
  const j = (json ?? {}) as { error?: string; message?: string; hint?: string };
  const ev = [...events].reverse().find((e) => e.type === 'refused');
  const rule = (json as { rule?: string } | null)?.rule ?? ev?.rule;
  return { code: j.error ?? 'E_UNKNOWN', message: `${j.message ?? ''}${j.hint ? `; ${j.hint}` : ''}`, ...(rule ? { rule } : {}) };
}

async function operator(ctx: Context, step: Step): Promise<Outcome> {
  const op = parseOperator(String(step.value));
  if (typeof op === 'string') throw new Error(op);
  const server = (step.fields.server as string | undefined) ?? op.server;
  if (op.command === 'backup') {
    ctx.backupsTaken++;
    const given = (step.fields.dest as string | undefined) ?? op.dest;
    const dest = given ? resolve(given) : ctx.backupDir;
    const lenientBackup = (step.fields.lenient as boolean | undefined) ?? op.lenient ?? ctx.scenario.site.lenient;
    const a = await ctx.api('POST', '/api/backups?wait=true', { server: server ?? 'all', level: op.level, dest, lenient: lenientBackup }, ctx.site, step.timeoutMs);
    if (a.status === 404 && (a.json as { message?: string })?.message?.startsWith('no route')) {
      return { ok: false, reply: '(this build has no differential backup: POST /api/backups is not a route)', body: a.text, status: 404 };
    }
    const o = httpOutcome(a);
    if (a.status === 409) o.refused = refusal(a.json, []);
    if (a.status === 200) o.warnings = ((a.json as { manifests?: Array<{ warnings?: string[] }> }).manifests ?? []).flatMap((m) => m.warnings ?? []);
    return o;
  }
  const seq = await ctx.lastSeq();
  const lenient = (step.fields.lenient as boolean | undefined) ?? ('lenient' in op ? op.lenient : undefined) ?? ctx.scenario.site.lenient;
  const a = await ctx.api('POST', '/api/commands', { command: op.command, server: server ?? 'all', lenient, ...('abort' in op && op.abort ? { abort: true } : {}) }, ctx.site, step.timeoutMs);
  if (a.status === 200) {
    const r = a.json as { results: Array<{ server: string; command: string; warnings: string[] }>; skipped: string[] };
    const lines = [...r.results.map((x) => `${x.server}: ${x.command} done${x.warnings.length ? ` (lenient: rule(s) broken: ${x.warnings.join(', ')})` : ''}`),
      ...r.skipped.map((x) => `${x}: already in effect, skipped`)];
    return { ok: true, reply: lines[0] ?? 'done', lines, body: lines.join('\n'), json: a.json, warnings: r.results.flatMap((x) => x.warnings) };
  }
  const refused = refusal(a.json, await ctx.eventsSince(seq));
  const reply = `refused (${refused!.code}${refused!.rule ? `, rule ${refused!.rule}` : ''}): ${refused!.message}`;
  return { ok: false, reply, body: reply, json: a.json, status: a.status, refused };
}

async function until(ctx: Context, step: Step): Promise<Produced> {
  const cond = parseUntil(String(step.value));
  if (typeof cond === 'string') throw new Error(cond);
  const deadline = Date.now() + step.timeoutMs - 50;
  let last = '';
  for (;;) {
    if (cond.type === 'log') {
      const events = await ctx.eventsSince(ctx.previousStepSeq);
      const n = events.filter((e) => e.type === 'gateway-log' && (e.message ?? '').includes(cond.text)).length;
      if (n >= cond.times) return { ok: true, reply: `${n} log line(s) containing ${JSON.stringify(cond.text)}` };
      last = `${n} of ${cond.times} log line(s) containing ${JSON.stringify(cond.text)} since the previous step`;
    } else if (cond.type === 'behaviour') {
      const events = await ctx.eventsSince(ctx.previousStepSeq);
      if (events.some((e) => e.type === 'behaviour' && e.behaviour === cond.id)) return { ok: true, reply: `${cond.id} fired` };
      last = `fired since the previous step: ${events.filter((e) => e.type === 'behaviour').map((e) => e.behaviour).join(', ') || 'none'}`;
    } else {
      const status = (await ctx.api('GET', '/api/status')).json as { servers: ServerStatus[] };
      const s = status.servers.find((x) => x.name.toLowerCase() === cond.server.toLowerCase());
      if (!s) throw new Error(`no server named ${JSON.stringify(cond.server)} (the servers are: ${status.servers.map((x) => x.name).join(', ')})`);
      const holds = {
        suspended: s.service === 'suspended', available: s.service === 'available', 'backup on': s.backupMode === 'on', 'backup off': s.backupMode === 'off',
        archived: s.webArchive === 'present', 'not archived': s.webArchive === 'absent', 'backup done': s.backupDone,
      }[cond.state];
      if (holds) return { ok: true, reply: `${s.name} ${cond.state}` };
      last = `${s.name}: service ${s.service}, backup ${s.backupMode}, web archive ${s.webArchive}, backup done ${s.backupDone ? 'yes' : 'no'}`;
    }
    if (Date.now() >= deadline) {
      const o = { ok: false, reply: `(still waiting: ${last})` };
      return { outcome: o, mismatches: [{ what: 'condition', expected: String(step.value), actual: `not reached within ${step.timeoutMs} ms (${last})` }] };
    }
    await sleep(UNTIL_POLL_MS);
  }
}

function session<K extends ScenarioSession['kind']>(ctx: Context, name: string, kinds: K[], create: () => Extract<ScenarioSession, { kind: K }>): Extract<ScenarioSession, { kind: K }> {
  const existing = ctx.sessions.get(name);
  if (existing) {
    if (!(kinds as string[]).includes(existing.kind)) throw new Error(`session ${JSON.stringify(name.replace(/^[a-z0-9]+:/, ""))} is a ${existing.kind} session; use another name for a ${kinds[0]} session`);
    return existing as Extract<ScenarioSession, { kind: K }>;
  }
  const s = create();
  ctx.sessions.set(name, s);
  return s;
}

async function pop3(ctx: Context, step: Step): Promise<Outcome> {
  // Sessions are named per kind: `imap: alice` and `web: alice` are two sessions.
  const name = `${step.kind}:${String(step.value)}`;
  const shown = String(step.value);
  const arg = step.arg;
  const serverName = step.fields.server as string | undefined;
  const t = step.timeoutMs;
  if (step.action === 'open' || step.action === 'send' || step.action === 'close') {
    if (step.action === 'open') {
      const tls = step.fields.tls === true;
      const srv = ctx.server(serverName, tls ? 'pop3s' : 'pop3');
      ctx.sessions.get(name) && closeSession(ctx.sessions.get(name)!);
      const raw = new RawScenarioClient('pop3', ctx.site.endpoints.ca);
      ctx.sessions.set(name, { kind: 'pop3-raw', client: raw });
      return raw.open(host(ctx.site.control), tls ? srv.pop3s! : srv.pop3!, t, tls);
    }
    const s = ctx.sessions.get(name);
    if (!s) throw new Error(`pop3 session ${JSON.stringify(shown)} is not open (start it with \`open: true\` or \`login\`)`);
    if (step.action === 'close') {
      closeSession(s);
      ctx.sessions.delete(name);
      return { ok: true, reply: 'closed' };
    }
    if (s.kind !== 'pop3-raw') throw new Error(`pop3 session ${JSON.stringify(shown)} was opened with login (node-pop3); raw lines need a session opened with \`open: true\``);
    return s.client.send(String(arg), t);
  }
  if (step.action === 'login') {
    const srv = ctx.server(serverName, 'pop3');
    const existing = ctx.sessions.get(name);
    if (existing) closeSession(existing);
    const s: ScenarioSession = { kind: 'pop3', client: new Pop3ScenarioClient(host(ctx.site.control), srv.pop3!) };
    ctx.sessions.set(name, s);
    const { user, password } = arg as { user: string; password: string };
    return s.client.login(user, password, t);
  }
  const s = session(ctx, name, ['pop3'], () => { throw new Error(`pop3 session ${JSON.stringify(shown)} has not logged in (start it with \`login: {user, password}\`)`); });
  switch (step.action) {
    case 'stat': return s.client.run('STAT', [], t);
    case 'list': return s.client.run('LIST', arg === true ? [] : [arg as number], t);
    case 'uidl': return s.client.run('UIDL', arg === true ? [] : [arg as number], t);
    case 'retr': return s.client.run('RETR', [arg as number], t);
    case 'top': {
      const tArg = arg as { msg: number; lines?: number };
      return s.client.run('TOP', [tArg.msg, tArg.lines ?? 0], t);
    }
    case 'dele': return s.client.run('DELE', [arg as number], t);
    case 'rset': return s.client.run('RSET', [], t);
    case 'noop': return s.client.run('NOOP', [], t);
    case 'quit': {
      const o = await s.client.run('QUIT', [], t);
      s.client.close();
      ctx.sessions.delete(name);
      return o;
    }
    default: throw new Error(`unknown pop3 action ${step.action}`);
  }
}

/** `smtp: NAME` with `login: {user, password}`, `send: {to, subject, body | raw, from}` or `quit: true`; raw lines: `open`, `send: LINE`, `close`. */
async function smtp(ctx: Context, step: Step): Promise<Outcome> {
  const name = `${step.kind}:${String(step.value)}`;
  const shown = String(step.value);
  if (step.action === 'open' || step.action === 'close' || (step.action === 'send' && typeof step.arg === 'string')) {
    if (step.action === 'open') {
      const srv = ctx.server(step.fields.server as string | undefined, 'smtp');
      ctx.sessions.get(name) && closeSession(ctx.sessions.get(name)!);
      const raw = new RawScenarioClient('smtp', ctx.site.endpoints.ca);
      ctx.sessions.set(name, { kind: 'smtp-raw', client: raw });
      return raw.open(host(ctx.site.control), srv.smtp!, step.timeoutMs);
    }
    const s = ctx.sessions.get(name);
    if (!s) throw new Error(`smtp session ${JSON.stringify(shown)} is not open (start it with \`open: true\` or \`login\`)`);
    if (step.action === 'close') {
      closeSession(s);
      ctx.sessions.delete(name);
      return { ok: true, reply: 'closed' };
    }
    if (s.kind !== 'smtp-raw') throw new Error(`smtp session ${JSON.stringify(shown)} was opened with login (nodemailer); raw lines need a session opened with \`open: true\``);
    return s.client.send(String(step.arg), step.timeoutMs);
  }
  if (step.action === 'login') {
    const srv = ctx.server(step.fields.server as string | undefined, 'smtp');
    const existing = ctx.sessions.get(name);
    if (existing) closeSession(existing);
    const client = new SmtpScenarioClient(host(ctx.site.control), srv.smtp!, ctx.site.endpoints.ca);
    ctx.sessions.set(name, { kind: 'smtp', client });
    const { user, password } = step.arg as { user: string; password: string };
    return client.login(user, password, step.timeoutMs);
  }
  const s = session(ctx, name, ['smtp'], () => { throw new Error(`smtp session ${JSON.stringify(shown)} has not logged in (start it with \`login: {user, password}\`)`); });
  if (step.action === 'send') return s.client.send(step.arg as SmtpMessage);
  if (step.action === 'quit') {
    ctx.sessions.delete(name);
    return s.client.quit();
  }
  throw new Error(`unknown smtp action ${step.action}`);
}

function closeSession(s: ScenarioSession): void {
  if (s.kind === 'pop3' || s.kind === 'pop3-raw' || s.kind === 'imap-raw' || s.kind === 'smtp' || s.kind === 'smtp-raw') s.client.close();
  else if (s.kind === 'imap') void s.client.close();
}

function rawMessage(a: { subject?: string; body?: string; raw?: string }): string {
  return a.raw ?? [`From: scenario@teamware.example`, `Subject: ${a.subject ?? 'appended by a twemu scenario'}`, `Message-ID: <scenario-${Date.now()}@teamware.example>`,
    'MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', '', a.body ?? 'appended by a twemu scenario', ''].join('\r\n');
}

async function imap(ctx: Context, step: Step): Promise<Outcome> {
  // Sessions are named per kind: `imap: alice` and `web: alice` are two sessions.
  const name = `${step.kind}:${String(step.value)}`;
  const shown = String(step.value);
  const arg = step.arg;
  const serverName = step.fields.server as string | undefined;
  const mailbox = step.fields.mailbox as string | undefined;
  const t = step.timeoutMs;
  if (step.action === 'open' || step.action === 'send' || step.action === 'close') {
    if (step.action === 'open') {
      const tls = step.fields.tls === true;
      const srv = ctx.server(serverName, tls ? 'imaps' : 'imap');
      ctx.sessions.get(name) && closeSession(ctx.sessions.get(name)!);
      const raw = new RawScenarioClient('imap', ctx.site.endpoints.ca);
      ctx.sessions.set(name, { kind: 'imap-raw', client: raw });
      return raw.open(host(ctx.site.control), tls ? srv.imaps! : srv.imap!, t, tls);
    }
    const s = ctx.sessions.get(name);
    if (!s) throw new Error(`imap session ${JSON.stringify(shown)} is not open (start it with \`open: true\` or \`login\`)`);
    if (step.action === 'close') {
      closeSession(s);
      ctx.sessions.delete(name);
      return { ok: true, reply: 'closed' };
    }
    if (s.kind !== 'imap-raw') throw new Error(`imap session ${JSON.stringify(shown)} was opened with login (imapflow); raw lines need a session opened with \`open: true\``);
    return s.client.send(String(arg), t);
  }
  if (step.action === 'login') {
    const srv = ctx.server(serverName, 'imap');
    const existing = ctx.sessions.get(name);
    if (existing) closeSession(existing);
    const s: ScenarioSession = { kind: 'imap', client: new ImapScenarioClient(host(ctx.site.control), srv.imap!) };
    ctx.sessions.set(name, s);
    const { user, password } = arg as { user: string; password: string };
    return s.client.login(user, password, t);
  }
  const s = session(ctx, name, ['imap'], () => { throw new Error(`imap session ${JSON.stringify(shown)} has not logged in (start it with \`login: {user, password}\`)`); });
  switch (step.action) {
    case 'select': return s.client.select(String(arg));
    case 'status': return s.client.status(String(arg));
    case 'list': return s.client.list();
    case 'fetch': return s.client.fetch(String(arg), mailbox);
    case 'append': {
      const a = arg as { mailbox?: string; subject?: string; body?: string; raw?: string; flags?: string[] };
      return s.client.append(a.mailbox ?? mailbox ?? 'INBOX', rawMessage(a), a.flags ?? []);
    }
    case 'delete': return s.client.delete(arg as number, mailbox);
    case 'flag': {
      const f = arg as { uid: number; flags: string[] };
      return s.client.flag(f.uid, f.flags, mailbox);
    }
    case 'noop': return s.client.noop();
    case 'logout': {
      const o = await s.client.logout();
      ctx.sessions.delete(name);
      return o;
    }
    default: throw new Error(`unknown imap action ${step.action}`);
  }
}

async function web(ctx: Context, step: Step): Promise<Outcome> {
  // Sessions are named per kind: `imap: alice` and `web: alice` are two sessions.
  const name = `${step.kind}:${String(step.value)}`;
  const shown = String(step.value);
  const existing = ctx.sessions.get(name);
  if (existing && existing.kind !== 'web') throw new Error(`session ${JSON.stringify(shown)} is a ${existing.kind} session; use another name for a web session`);
  let s = existing as Extract<ScenarioSession, { kind: 'web' }> | undefined;
  if (!s) {
    const srv = ctx.server(step.fields.server as string | undefined, 'web');
    s = { kind: 'web', client: new WebScenarioClient(srv.web!) };
    ctx.sessions.set(name, s);
  }
  if (step.action === 'get') return s.client.get(String(step.arg), step.timeoutMs);
  if (step.action === 'post') return s.client.post(String(step.arg), step.fields.form as Record<string, unknown> | undefined, step.timeoutMs);
  return s.client.frame(String(step.arg), step.timeoutMs);
}

function credentialsSession(ctx: Context, step: Step, kind: 'ame' | 'desktop') {
  // Sessions are named per kind: `imap: alice` and `web: alice` are two sessions.
  const name = `${step.kind}:${String(step.value)}`;
  const shown = String(step.value);
  const s = session(ctx, name, [kind], () => ({ kind }));
  if (step.fields.user !== undefined) s.user = String(step.fields.user);
  if (step.fields.password !== undefined) s.password = String(step.fields.password);
  if (step.fields.server !== undefined) s.server = String(step.fields.server);
  if (s.user === undefined || s.password === undefined) throw new Error(`${kind} session ${JSON.stringify(shown)} has no credentials: give \`user\` and \`password\` (they are kept for the session's next steps)`);
  return s as { user: string; password: string; server?: string };
}

async function ame(ctx: Context, step: Step): Promise<Outcome> {
  const s = credentialsSession(ctx, step, 'ame');
  const srv = ctx.server(s.server, 'ame');
  if (step.action === 'functions') return httpOutcome(await httpJson('GET', `${srv.ame}/functions`, { basic: { user: s.user, password: s.password }, timeoutMs: step.timeoutMs }));
  const a = await httpJson('POST', `${srv.ame}/${encodeURIComponent(String(step.arg))}`, { basic: { user: s.user, password: s.password }, body: step.fields.args ?? {}, timeoutMs: step.timeoutMs });
  const rc = (a.json as { rc?: unknown } | null)?.rc;
  const o = httpOutcome(a, (x) => x.status >= 200 && x.status < 300 && rc === 0);
  if (typeof rc === 'number') {
    o.rc = rc;
    o.reply = `rc ${rc}`;
  }
  return o;
}

async function desktop(ctx: Context, step: Step): Promise<Outcome> {
  const s = credentialsSession(ctx, step, 'desktop');
  const a = await httpJson('POST', `${ctx.site.control}/api/client/${String(step.arg)}`, { basic: { user: s.user, password: s.password }, body: step.fields.body ?? {}, timeoutMs: step.timeoutMs });
  const j = (a.json ?? {}) as { ok?: boolean; dialog?: unknown; behaviour?: string; effect?: string };
  const o = httpOutcome(a, (x) => x.status >= 200 && x.status < 300 && j.ok !== false);
  const dialog = j.dialog === null || j.dialog === undefined ? [] : Array.isArray(j.dialog) ? j.dialog.map(String) : [String(j.dialog)];
  o.dialog = dialog;
  o.reply = dialog.length ? dialog.join(' / ') : o.reply;
  return o;
}

async function dataCheck(ctx: Context, step: Step): Promise<Produced> {
  const f = step.fields;
  const on = f.site === 'restored' ? ctx.restored : ctx.site;
  if (!on) throw new Error('no restored site: run a `restore` step first');
  const what = String(step.value);
  const mismatches: Mismatch[] = [];
  const compare = (label: string, actual: number) => {
    if (f.count !== undefined && actual !== f.count) mismatches.push({ what: label, expected: String(f.count), actual: String(actual) });
    if (f.writes !== undefined && actual !== f.writes) mismatches.push({ what: label, expected: String(f.writes), actual: String(actual) });
    if (f.min !== undefined && actual < (f.min as number)) mismatches.push({ what: label, expected: `at least ${f.min}`, actual: String(actual) });
  };
  let reply = '';
  switch (what) {
    case 'messages': {
      const a = await ctx.api('GET', `/api/users/${encodeURIComponent(String(f.user))}/folders`, undefined, on);
      if (a.status !== 200) throw new Error(`cannot read ${String(f.user)}'s folders: HTTP ${a.status} ${a.text}`);
      const folders = (a.json as { folders: Array<{ name: string; messages: number }> }).folders;
      const wanted = String(f.folder ?? 'INBOX');
      const folder = folders.find((x) => x.name === wanted || (wanted.toUpperCase() === 'INBOX' && x.name.toUpperCase() === 'INBOX'));
      if (!folder) throw new Error(`${String(f.user)} has no folder ${JSON.stringify(wanted)} (folders: ${folders.map((x) => x.name).join(', ')})`);
      compare(`messages in ${String(f.user)}/${folder.name}`, folder.messages);
      reply = `${String(f.user)}/${folder.name}: ${folder.messages} message(s)`;
      break;
    }
    case 'staging': {
      const a = await ctx.api('GET', `/api/servers/${encodeURIComponent(String(f.server))}/staging?limit=1`, undefined, on);
      if (a.status !== 200) throw new Error(`cannot read ${String(f.server)}'s staging area: HTTP ${a.status} ${a.text}`);
      const writes = (a.json as { writes: number }).writes;
      compare(`staging writes on ${String(f.server)}`, writes);
      reply = `${String(f.server)}: ${writes} staged write(s)`;
      break;
    }
    case 'hash': {
      const file = String(f.file ?? 'twoffice.db');
      const a = await ctx.api('GET', `/api/inspect/hash/${encodeURIComponent(String(f.server))}?file=${encodeURIComponent(file)}`, undefined, on);
      if (a.status !== 200) throw new Error(`cannot hash ${String(f.server)}/${file}: HTTP ${a.status} ${a.text}`);
      const sha = (a.json as { sha256: string }).sha256;
      reply = `${String(f.server)}/${file}: sha256 ${sha}`;
      if (f.remember !== undefined) ctx.hashes.set(String(f.remember), sha);
      for (const key of ['same', 'changed'] as const) {
        if (f[key] === undefined) continue;
        const before = ctx.hashes.get(String(f[key]));
        if (before === undefined) throw new Error(`no hash remembered as ${JSON.stringify(f[key])} (use \`remember: ${String(f[key])}\` in an earlier check)`);
        if (key === 'same' && sha !== before) mismatches.push({ what: `sha256 of ${String(f.server)}/${file}`, expected: `unchanged since ${String(f[key])} (${before})`, actual: sha });
        if (key === 'changed' && sha === before) mismatches.push({ what: `sha256 of ${String(f.server)}/${file}`, expected: `changed since ${String(f[key])}`, actual: `still ${sha}` });
      }
      break;
    }
    case 'status': {
      const a = await ctx.api('GET', '/api/status', undefined, on);
      const s = (a.json as { servers: ServerStatus[] }).servers.find((x) => x.name.toLowerCase() === String(f.server).toLowerCase());
      if (!s) throw new Error(`no server named ${JSON.stringify(f.server)}`);
      for (const key of ['service', 'backupMode', 'webArchive', 'backupDone'] as const) {
        if (f[key] !== undefined && s[key] !== f[key]) mismatches.push({ what: `${s.name} ${key}`, expected: String(f[key]), actual: String(s[key]) });
      }
      reply = `${s.name}: service ${s.service}, backup ${s.backupMode}, web archive ${s.webArchive}, backup done ${s.backupDone}`;
      break;
    }
    case 'logged': {
      const events = await ctx.eventsSince(ctx.startSeq);
      const n = events.filter((e) => e.type === 'gateway-log' && (e.message ?? '').includes(String(f.text))).length;
      compare(`log lines containing ${JSON.stringify(f.text)} in this scenario`, n);
      reply = `${n} log line(s) containing ${JSON.stringify(f.text)}`;
      break;
    }
    case 'fired': {
      const events = await ctx.eventsSince(ctx.startSeq);
      const n = events.filter((e) => e.type === 'behaviour' && e.behaviour === f.behaviour).length;
      compare(`times ${String(f.behaviour)} fired in this scenario`, n);
      reply = `${String(f.behaviour)} fired ${n} time(s)`;
      break;
    }
    default:
      throw new Error(`unknown check ${what}`);
  }
  return { outcome: { ok: mismatches.length === 0, reply, body: reply }, mismatches };
}

async function restore(ctx: Context, step: Step): Promise<Outcome> {
  const from = step.value === 'last' ? ctx.backupDir : resolve(String(step.value));
  if (step.value === 'last' && ctx.backupsTaken === 0) throw new Error('no backup taken in this scenario yet: run `operator: backup --level 0` first');
  if (ctx.restored?.emu) await ctx.restored.emu.stop();
  ctx.restored = null;
  const dataDir = join(ctx.tmp, `restored-${++ctx.restores}`);
  let summary: string;
  try {
    const r = await restoreBackup({ from, dataDir });
    summary = r.servers.map((s) => `${s.server}: restored ${s.backup} (level ${s.level}, chain ${s.chain.join(' -> ')})`).join('\n');
  } catch (err) {
    return { ok: false, reply: `restore failed: ${(err as Error).message}`, body: (err as Error).message };
  }
  const emu = await startEmulator({ dataDir, portBase: 0, host: '127.0.0.1', demo: false });
  running.sites.add(emu);
  ctx.restored = { control: emu.endpoints.control, token: emu.token, endpoints: emu.endpoints, emu, dataDir };
  return { ok: true, reply: `restored ${from}`, body: summary };
}

/**
 * Runs scenarios, `jobs` at a time (each on its own site, so they do not
 * interfere). With one job the steps print as they go; with more, each
 * scenario's lines print together when it ends.
 */
export async function runScenarios(scenarios: Scenario[], opts: RunOptions & { jobs?: number }): Promise<ScenarioResult[]> {
  const jobs = Math.max(1, Math.min(opts.jobs ?? 1, scenarios.length));
  if (jobs === 1 || opts.target) {
    const results: ScenarioResult[] = [];
    for (const s of scenarios) results.push(await runScenario(s, opts));
    return results;
  }
  const results = new Array<ScenarioResult>(scenarios.length);
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const i = next++;
      const lines: string[] = [];
      results[i] = await runScenario(scenarios[i]!, { ...opts, out: (l) => lines.push(l) });
      for (const l of lines) opts.out(l);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return results;
}
