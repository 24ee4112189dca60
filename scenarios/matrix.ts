// The client impact matrix: a client scenario (recorded or written by hand)
// replayed against a fresh site held at each point of the documented
// procedure: before it, during each of the 7 steps (the client mid-session
// while the step runs) and after each step. Every client operation gets a
// cell per point: ok, the catalog behaviour that fired with the text the
// client got, a consequence of an earlier behaviour in the same session, or
// an undocumented failure (what QA is looking for).

import { allBehaviours } from '../emulator/catalog/catalog.js';
import { startEmulator } from '../emulator/index.js';
import { KINDS, type Scenario, type Step } from './format.js';
import { runScenarios, stepLabel, type RunOptions, type ScenarioResult } from './runner.js';
import { seconds, xmlEscape as escapeXml } from './junit.js';
import { saslUser } from './expressions.js';

/** The documented procedure (PRODUCT.md / the seed), one operator command per step. */
export const PROCEDURE_STEPS = ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume', 'backup --level 0', 'tobkweb rm', 'to backup off'] as const;

export interface Column {
  id: string;
  label: string;
  /** Procedure steps run before the client starts. */
  before: number;
  /** A procedure step run in the middle of the client's steps. */
  during?: number;
}

export function columns(): Column[] {
  const out: Column[] = [{ id: 'before', label: 'before', before: 0 }];
  PROCEDURE_STEPS.forEach((command, i) => {
    const n = i + 1;
    out.push({ id: `during-${n}`, label: `during ${n} (${command})`, before: n - 1, during: n });
    out.push({ id: `after-${n}`, label: `after ${n} (${command})`, before: n });
  });
  return out;
}

export type CellKind = 'ok' | 'behaviour' | 'after-behaviour' | 'undocumented' | 'not-run';

export interface Cell {
  kind: CellKind;
  /** The behaviours that fired, with their source (`seed`: documented; `emulator`: the emulator's default for what the seed leaves open). */
  behaviours?: Array<{ id: string; source: string }>;
  /** What the client got (the reply's first line), or why the operation failed. */
  text?: string;
}

export interface MatrixRow {
  operation: string;
  line: number;
  cells: Cell[];
}

export interface MatrixScenario {
  name: string;
  file: string;
  /** The scenario's position in the unsharded list (shards merge back in this order). */
  index: number;
  rows: MatrixRow[];
  /** Columns whose procedure steps did not run as documented. */
  problems: Array<{ column: string; message: string }>;
  /** The whole matrix of this scenario, wall time (the columns run side by side). */
  ms: number;
  /** How long each column's run took (its fresh site, the procedure steps and the client's), by column. */
  columnMs: number[];
}

export interface MatrixReport {
  topology: 'single' | 'multi';
  columns: Array<{ id: string; label: string }>;
  scenarios: MatrixScenario[];
  undocumented: number;
}

const SOURCE = new Map(allBehaviours.map((b) => [b.id, b.source]));

/** A client scenario must not drive the procedure itself: the matrix does. */
export function matrixProblem(s: Scenario): string | null {
  const own = s.steps.find((st) => st.kind === 'operator' || st.kind === 'window' || st.kind === 'restore' || st.kind === 'background' || st.kind === 'repeat');
  return own ? `${s.file}:${own.pos.line}:${own.pos.col}: a matrix replays a client's steps at each point of the procedure; this scenario has its own \`${own.kind}\` step (take it out, or run it with \`scenario run\`)` : null;
}

function operatorStep(command: string, at: Step['pos'], label: string): Step {
  return { kind: 'operator', value: command, fields: {}, expect: {}, implicitOk: true, timeoutMs: 60_000, pos: at, label };
}

/** The scenario run for one column, and which of its steps are the client's (by top-level index). */
function columnScenario(s: Scenario, col: Column, topology: 'single' | 'multi'): { scenario: Scenario; client: number[] } {
  const steps: Step[] = [];
  const client: number[] = [];
  const at = s.steps[0]?.pos ?? { line: 1, col: 1 };
  for (let n = 1; n <= col.before; n++) steps.push(operatorStep(PROCEDURE_STEPS[n - 1]!, at, `procedure step ${n}: ${PROCEDURE_STEPS[n - 1]}`));
  const split = Math.ceil(s.steps.length / 2);
  s.steps.forEach((st, i) => {
    if (col.during !== undefined && i === split) steps.push(operatorStep(PROCEDURE_STEPS[col.during - 1]!, at, `procedure step ${col.during}: ${PROCEDURE_STEPS[col.during - 1]} (mid-session)`));
    client.push(steps.length);
    steps.push(st);
  });
  if (col.during !== undefined && split >= s.steps.length) steps.push(operatorStep(PROCEDURE_STEPS[col.during - 1]!, at, `procedure step ${col.during}`));
  const site = { ...s.site, topology, ...(topology === 'multi' ? { appServers: s.site.appServers ?? 2 } : {}) };
  return { scenario: { ...s, name: `${s.name} @ ${col.label}`, site, steps }, client };
}

/** The session a step belongs to (its kind and name), for "a consequence of an earlier behaviour in this session". */
function sessionOf(st: Step): string {
  return KINDS[st.kind].actions ? `${st.kind}:${String(st.value)}` : `${st.kind}:#`;
}

function cells(s: Scenario, result: ScenarioResult, client: number[]): { cells: Cell[]; problem?: string } {
  const byIndex = new Map(result.steps.map((r) => [r.index, r]));
  // A procedure step that did not run as documented makes the column's cells meaningless.
  const procedureFailed = result.steps.find((r) => !r.ok && r.label.startsWith('procedure step'));
  const hit = new Map<string, string>();
  const out: Cell[] = [];
  s.steps.forEach((st, i) => {
    const r = byIndex.get(String(client[i]! + 1));
    if (!r) {
      out.push({ kind: 'not-run', text: result.error ?? 'the step did not run' });
      return;
    }
    const session = sessionOf(st);
    const behaviours = r.fired.map((id) => ({ id, source: SOURCE.get(id) ?? 'emulator' }));
    if (behaviours.length) {
      hit.set(session, r.fired[0]!);
      out.push({ kind: 'behaviour', behaviours, text: r.reply ?? '' });
    } else if (r.ok) out.push({ kind: 'ok' });
    else if (hit.has(session)) out.push({ kind: 'after-behaviour', text: `after ${hit.get(session)}: ${r.reply ?? ''}` });
    else out.push({ kind: 'undocumented', text: r.mismatches.map((m) => `expected ${m.what} ${m.expected}; got ${m.actual}`).join('; ') || (r.reply ?? 'failed') });
  });
  return { cells: out, ...(procedureFailed ? { problem: `${procedureFailed.label} failed: ${procedureFailed.reply ?? procedureFailed.mismatches[0]?.actual ?? ''}` } : result.error ? { problem: result.error } : {}) };
}

/** The first user the client logs in as: a raw `USER x` / `n LOGIN x ...` / a SASL or APOP line (expressions.ts), a `login: {user}`, an AME or desktop `user`, a web login form. */
export function clientUser(s: Scenario): string | undefined {
  for (const st of s.steps) {
    if (st.action === 'send') {
      const m = /^(?:USER (\S+)|\S+ LOGIN "?([^"\s]+)"?)/i.exec(String(st.arg));
      if (m) return m[1] ?? m[2];
      const sasl = saslUser(String(st.arg));
      if (sasl) return sasl;
    }
    if (st.action === 'login') return (st.arg as { user: string }).user;
    if (typeof st.fields.user === 'string') return st.fields.user;
    const form = st.fields.form as Record<string, unknown> | undefined;
    if (form && typeof form.user === 'string') return form.user;
  }
  return undefined;
}

/**
 * On a multi-server site a client is configured for its user's home server (another server refers it
 * there). The sessions that name no server are pointed at that server, found on a site of the same shape.
 */
async function homeServers(s: Scenario, topology: 'single' | 'multi'): Promise<Scenario> {
  const user = clientUser(s);
  const open = s.steps.some((st) => KINDS[st.kind].actions && st.kind !== 'desktop' && st.fields.server === undefined);
  if (topology === 'single' || !user || !open) return s;
  const emu = await startEmulator({ topology, appServers: s.site.appServers ?? 2, demo: s.site.demo, portBase: 0, host: '127.0.0.1' });
  try {
    const account = emu.site.account(user);
    if (!account) return s;
    const server = emu.site.homeServer(user).name;
    return { ...s, steps: s.steps.map((st) => (KINDS[st.kind].actions && st.kind !== 'desktop' && st.fields.server === undefined ? { ...st, fields: { ...st.fields, server } } : st)) };
  } finally {
    await emu.stop();
  }
}

/** Runs the matrix of each client scenario (on `topology`), `jobs` columns side by side. */
export async function runMatrix(scenarios: Array<Scenario & { index?: number }>, topology: 'single' | 'multi', opts: RunOptions & { jobs?: number }): Promise<MatrixReport> {
  const cols = columns();
  const report: MatrixReport = { topology, columns: cols.map(({ id, label }) => ({ id, label })), scenarios: [], undocumented: 0 };
  for (const [i, s] of scenarios.entries()) {
    const t0 = performance.now();
    const client = await homeServers(s, topology);
    const runs = cols.map((c) => columnScenario(client, c, topology));
    opts.out(`matrix ${s.name} (${s.file}): ${cols.length} points of the procedure on a ${topology}-server site`);
    const results = await runScenarios(runs.map((r) => r.scenario), { ...opts, keepGoing: true, out: () => undefined });
    const rows: MatrixRow[] = s.steps.map((st) => ({ operation: stepLabel(st), line: st.pos.line, cells: [] }));
    const problems: MatrixScenario['problems'] = [];
    results.forEach((res, c) => {
      const got = cells(s, res, runs[c]!.client);
      got.cells.forEach((cell, r) => rows[r]!.cells.push(cell));
      if (got.problem) problems.push({ column: cols[c]!.id, message: got.problem });
      opts.out(`  ${cols[c]!.label}: ${summary(got.cells)}${got.problem ? `  PROBLEM ${got.problem}` : ''}`);
    });
    const m: MatrixScenario = { name: s.name, file: s.file, index: s.index ?? i, rows, problems, ms: Math.round(performance.now() - t0), columnMs: results.map((res) => res.ms) };
    report.scenarios.push(m);
  }
  report.undocumented = countUndocumented(report);
  return report;
}

export function countUndocumented(report: MatrixReport): number {
  return report.scenarios.reduce((n, s) => n + s.problems.length + s.rows.reduce((k, r) => k + r.cells.filter((c) => c.kind === 'undocumented' || c.kind === 'not-run').length, 0), 0);
}

function summary(cs: Cell[]): string {
  const n = (k: CellKind) => cs.filter((c) => c.kind === k).length;
  const fired = [...new Set(cs.flatMap((c) => c.behaviours?.map((b) => b.id) ?? []))];
  return `${n('ok')} ok, ${n('behaviour')} behaviour${fired.length ? ` (${fired.join(', ')})` : ''}, ${n('after-behaviour')} after one, ${n('undocumented') + n('not-run')} undocumented`;
}

/** A cell in a few words: `ok`, the behaviour id(s) (`*` marks an emulator default), `(after X)`, `FAIL`. */
export function cellWord(c: Cell): string {
  switch (c.kind) {
    case 'ok': return 'ok';
    case 'behaviour': return c.behaviours!.map((b) => `${b.id}${b.source === 'seed' ? '' : '*'}`).join(' ');
    case 'after-behaviour': return '(after)';
    case 'undocumented': return 'FAIL';
    case 'not-run': return 'NOT RUN';
  }
}

const SHORT = (id: string) => (id === 'before' ? 'before' : id.replace('during-', '~').replace('after-', ''));

/** The matrix as text for the terminal: one table per scenario, the texts the client got below it. */
export function matrixText(report: MatrixReport): string {
  const out: string[] = [];
  for (const s of report.scenarios) {
    out.push('', `${s.name} (${s.file}) on a ${report.topology}-server site`);
    const head = ['operation', ...report.columns.map((c) => SHORT(c.id))];
    const body = s.rows.map((r) => [r.operation.length > 48 ? `${r.operation.slice(0, 47)}…` : r.operation, ...r.cells.map(cellWord)]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd();
    out.push(line(head), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line));
    out.push(...legend(report, s).map((l) => `  ${l}`));
    for (const p of s.problems) out.push(`  PROBLEM at ${p.column}: ${p.message}`);
  }
  out.push('', 'columns: before; ~N during step N (the client mid-session); N after step N. Steps: ' + PROCEDURE_STEPS.map((c, i) => `${i + 1} ${c}`).join(', '));
  out.push('cells: ok; a behaviour id (documented by the seed; * an emulator default); (after) a consequence of an earlier behaviour in the same session; FAIL an undocumented failure');
  return out.join('\n');
}

/** What the client got, per behaviour (the first text seen), and every undocumented failure in full. */
function legend(report: MatrixReport, s: MatrixScenario): string[] {
  const seen = new Map<string, string>();
  const fails: string[] = [];
  s.rows.forEach((r) => r.cells.forEach((c, i) => {
    for (const b of c.behaviours ?? []) if (!seen.has(b.id)) seen.set(b.id, c.text ?? '');
    if (c.kind === 'undocumented' || c.kind === 'not-run') fails.push(`FAIL ${r.operation} at ${report.columns[i]!.label}: ${c.text ?? ''}`);
  }));
  return [...[...seen].map(([id, text]) => `${id}${SOURCE.get(id) === 'seed' ? '' : ' (emulator default)'}: ${text}`), ...fails];
}

/** The matrix as a Markdown table per scenario (for a test report or the docs). */
export function matrixMarkdown(report: MatrixReport): string {
  const out: string[] = [];
  const esc = (t: string) => t.replace(/\|/g, '\\|');
  for (const s of report.scenarios) {
    out.push(`### ${esc(s.name)} (${report.topology}-server site)`, '');
    out.push(`| operation | ${report.columns.map((c) => SHORT(c.id)).join(' | ')} |`, `|---|${report.columns.map(() => '---').join('|')}|`);
    for (const r of s.rows) out.push(`| \`${esc(r.operation)}\` | ${r.cells.map((c) => esc(cellWord(c))).join(' | ')} |`);
    out.push('', ...legend(report, s).map((l) => `- ${esc(l)}`), ...s.problems.map((p) => `- PROBLEM at ${p.column}: ${esc(p.message)}`), '');
  }
  out.push(`Columns: *before*; *~N* during step N (the client mid-session); *N* after step N (${PROCEDURE_STEPS.map((c, i) => `${i + 1} \`${c}\``).join(', ')}).`,
    'Cells: `ok`; the behaviour that fired (documented by the seed; `*` an emulator default); `(after)` a consequence of an earlier behaviour in the same session; `FAIL` an undocumented failure.', '');
  return out.join('\n');
}

/** The matrix as an HTML page. */
export function matrixHtml(reports: MatrixReport[]): string {
  const rows = reports.flatMap((report) => report.scenarios.map((s) => {
    const head = `<tr><th>operation</th>${report.columns.map((c) => `<th title="${escapeXml(c.label)}">${escapeXml(SHORT(c.id))}</th>`).join('')}</tr>`;
    const body = s.rows.map((r) => `<tr><td><code>${escapeXml(r.operation)}</code></td>${r.cells.map((c) => `<td class="${c.kind}" title="${escapeXml(c.text ?? '')}">${escapeXml(cellWord(c))}</td>`).join('')}</tr>`).join('\n');
    return `<h2>${escapeXml(s.name)} (${report.topology}-server site)</h2>\n<table>\n${head}\n${body}\n</table>\n<ul>${legend(report, s).map((l) => `<li>${escapeXml(l)}</li>`).join('')}</ul>`;
  })).join('\n');
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>twemu client impact matrix</title><style>
table{border-collapse:collapse;font:13px sans-serif}td,th{border:1px solid #ccc;padding:2px 6px}.ok{background:#e6f4e6}.behaviour{background:#fff4d6}.after-behaviour{background:#f0f0f0}.undocumented,.not-run{background:#f8d0d0;font-weight:bold}
</style></head><body><h1>Client impact matrix</h1>\n${rows}\n</body></html>\n`;
}

/** JUnit test cases: one per scenario and point of the procedure (its time: that column's run); an undocumented failure fails it. */
export function matrixCases(report: MatrixReport): string[] {
  const cases: string[] = [];
  for (const s of report.scenarios) {
    report.columns.forEach((col, i) => {
      const bad = s.rows.filter((r) => r.cells[i]!.kind === 'undocumented' || r.cells[i]!.kind === 'not-run').map((r) => `${r.operation}: ${r.cells[i]!.text ?? ''}`);
      const all = [...s.problems.filter((p) => p.column === col.id).map((p) => p.message), ...bad];
      const got = s.rows.map((r) => `${r.operation}: ${cellWord(r.cells[i]!)}${r.cells[i]!.text ? ` (${r.cells[i]!.text})` : ''}`).join('\n');
      cases.push(`<testcase name="${escapeXml(`${s.name} @ ${col.label}`)}" classname="${escapeXml(`matrix.${report.topology}.${s.name.replace(/[^A-Za-z0-9_.-]/g, '_')}`)}" file="${escapeXml(s.file)}" time="${seconds(s.columnMs[i]!)}">\n`
        + (all.length ? `      <failure message="${escapeXml(`${all.length} undocumented failure(s): ${all[0]}`)}" type="UndocumentedFailure">${escapeXml(all.join('\n'))}</failure>\n` : '')
        + `      <system-out>${escapeXml(got)}</system-out>\n    </testcase>`);
    });
  }
  return cases;
}
