// `twemu scenario run FILE... [--junit FILE] [--seed N]`, `twemu scenario run --list`,
// `twemu scenario validate FILE...`.

import { parseArgs } from 'node:util';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve, relative } from 'node:path';
import { TwemuError } from '../emulator/errors.js';
import { packageRoot } from '../emulator/package-root.js';
import { callApi, findSite } from '../emulator/cli/client.js';
import { loadScenarios, ScenarioInvalid, formatError } from './validate.js';
import { parseDuration } from './syntax.js';
import { scenarioSchema } from './schema.js';
import { runScenarios, stopAll, type RunOptions, type ScenarioResult } from './runner.js';
import { junitDocument, junitXml } from './junit.js';
import type { Scenario } from './format.js';
import { matrixCases, matrixHtml, matrixMarkdown, matrixProblem, matrixText, runMatrix, type MatrixReport } from './matrix.js';
import { junitMergeFiles, mergeReports, runReport, type MatrixFile, type RunFile } from './merge.js';

const USAGE = 'twemu scenario run FILE... [--junit FILE] [--seed N] [--report FILE] [--soak DURATION] [--quiet] [--jobs N] [--password P] [--shard I/N] [--data DIR | --url URL [--token T]]\n' +
  '       twemu scenario run [FILE...] --list [--shard I/N]\n' +
  '       twemu scenario matrix FILE... [--topology single|multi|both] [--junit FILE] [--report FILE.json|.md|.html] [--jobs N] [--password P] [--shard I/N]\n' +
  `       ${'twemu scenario merge REPORT... [--junit FILE] [--report FILE]'}\n` +
  '       twemu scenario validate FILE...\n       twemu scenario schema';
const MERGE_USAGE = 'twemu scenario merge REPORT... [--junit FILE] [--report FILE]';

/** The folder of the bundled scenarios (`scenarios/library/*.yaml` in the package). */
export function bundledDir(): string {
  return join(packageRoot(), 'scenarios', 'library');
}

export function bundledFiles(): string[] {
  const dir = bundledDir();
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f)) : [];
}

/** Files and folders (every *.yaml inside) to scenario files; a bare bundled name works too. */
function expand(args: string[]): string[] {
  const files: string[] = [];
  for (const a of args) {
    if (existsSync(a) && statSync(a).isDirectory()) {
      const inside = readdirSync(a).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
      if (!inside.length) throw new TwemuError('E_SCENARIO_FILE', `no *.yaml scenario files in ${a}`);
      files.push(...inside.map((f) => join(a, f)));
    } else if (!existsSync(a) && !/[\\/]/.test(a) && existsSync(join(bundledDir(), `${a.replace(/\.ya?ml$/, '')}.yaml`))) {
      files.push(join(bundledDir(), `${a.replace(/\.ya?ml$/, '')}.yaml`));
    } else files.push(a);
  }
  return files;
}

function options(argv: string[]) {
  try {
    return parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        junit: { type: 'string' }, seed: { type: 'string' }, report: { type: 'string' }, soak: { type: 'string' }, list: { type: 'boolean' },
        quiet: { type: 'boolean' }, jobs: { type: 'string' }, shard: { type: 'string' }, topology: { type: 'string' }, password: { type: 'string' }, data: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' },
      },
    });
  } catch (err) {
    throw new TwemuError('E_USAGE', (err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''), { hint: `usage: ${USAGE.split('\n')[0]}` });
  }
}

function display(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** `--shard I/N`: the I-th of N contiguous parts (Playwright's convention: concatenating the parts in order gives the whole list). */
export function parseShard(text: string | undefined): { index: number; total: number } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const total = Number(m?.[2]);
  if (!m || total < 1 || index < 1 || index > total) throw new TwemuError('E_USAGE', `--shard must be I/N with 1 <= I <= N (e.g. 2/4), not ${JSON.stringify(text)}`);
  return { index, total };
}

export function shardRange(count: number, shard: { index: number; total: number } | undefined): [number, number] {
  if (!shard) return [0, count];
  return [Math.floor(((shard.index - 1) * count) / shard.total), Math.floor((shard.index * count) / shard.total)];
}

function load(files: string[]): Scenario[] | null {
  try {
    return loadScenarios(files);
  } catch (err) {
    if (err instanceof ScenarioInvalid) {
      for (const e of err.errors) process.stderr.write(`${formatError(e)}\n`);
      process.stderr.write(`twemu: ${err.errors.length} problem(s) in the scenario files; nothing was run\n`);
      return null;
    }
    throw err;
  }
}

function list(out: (s: string) => void, files: string[], bundled: boolean, shard: { index: number; total: number } | undefined, clientsOnly: boolean): number {
  const loaded = load(files);
  if (!loaded) return 1;
  const scenarios = clientsOnly ? loaded.filter((s) => s.tags.includes('client')) : loaded;
  const [from, to] = shardRange(scenarios.length, shard);
  const part = scenarios.slice(from, to);
  const width = Math.max(...part.map((s) => s.name.length), 4);
  for (const s of part) out(`${s.name.padEnd(width)}  ${s.site.topology.padEnd(6)} ${(s.description ?? '').split('\n')[0]}`);
  const of = shard ? `${part.length} of ${scenarios.length}` : `${scenarios.length}`;
  const where = shard ? ` (shard ${shard.index}/${shard.total})` : '';
  out(bundled ? `${of} bundled ${clientsOnly ? 'client ' : ''}scenarios${where} in ${display(bundledDir())}` : `${of} scenarios${where}`);
  return 0;
}

export async function scenarioCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (sub === 'schema') {
    if (rest.length) throw new TwemuError('E_USAGE', 'scenario schema takes no arguments', { hint: 'run `twemu scenario schema > scenario.schema.json`' });
    out(JSON.stringify(scenarioSchema(), null, 2));
    return 0;
  }
  if (sub === 'merge') return mergeCommand(rest, out);
  if (sub !== 'run' && sub !== 'validate' && sub !== 'matrix') {
    throw new TwemuError('E_USAGE', sub ? `unknown scenario command ${JSON.stringify(sub)}` : 'scenario needs a command', { hint: `usage: ${USAGE.split('\n')[0]}` });
  }
  const { values, positionals } = options(rest);
  const shard = parseShard(values.shard);
  // No files: the bundled library, when asked for a list or a shard of it.
  const bundled = !positionals.length && (values.list === true || shard !== undefined);
  if (!positionals.length && !bundled) throw new TwemuError('E_USAGE', 'no scenario files given', { hint: 'e.g. `twemu scenario run scenarios/library/*.yaml`; `twemu scenario run --list` shows the bundled ones' });
  const files = (bundled ? bundledFiles() : expand(positionals)).map((f) => display(resolve(f)));
  if (values.list) return list(out, files, bundled, shard, sub === 'matrix' && bundled);
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || Math.abs(seed) > 2 ** 31) throw new TwemuError('E_USAGE', `--seed must be an integer, not ${JSON.stringify(values.seed)}`);
  }
  let soakMs: number | undefined;
  if (values.soak !== undefined) {
    const d = parseDuration(values.soak);
    if (typeof d === 'string' || d <= 0) throw new TwemuError('E_USAGE', `--soak must be a duration like 30s or 10m, not ${JSON.stringify(values.soak)}`);
    soakMs = d;
  }
  // One at a time by default, so every step prints as it goes; --jobs N runs N side by side.
  let jobs = 1;
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 32) throw new TwemuError('E_USAGE', `--jobs must be an integer from 1 to 32, not ${JSON.stringify(values.jobs)}`);
  }
  if (values.url && values.data) throw new TwemuError('E_USAGE', '--url and --data both name the site to target; give one');
  const topo = values.topology;
  const topologies: ReadonlyArray<'single' | 'multi'> | undefined | null = topo === undefined ? undefined : topo === 'both' ? ['single', 'multi'] : topo === 'single' || topo === 'multi' ? [topo] : null;
  if (topologies === null) throw new TwemuError('E_USAGE', `--topology must be single, multi or both, not ${JSON.stringify(values.topology)}`);
  if (topologies && sub !== 'matrix') throw new TwemuError('E_USAGE', '--topology applies to scenario matrix (a scenario file says its own topology)');
  if (sub === 'matrix' && (values.url || values.data)) throw new TwemuError('E_USAGE', 'a matrix starts a fresh site for each point of the procedure; --url and --data do not apply');
  const loaded = load(files);
  if (!loaded) return 1;
  // The bundled library's client sessions (tag `client`) are what a matrix replays; the rest drive the procedure themselves.
  const all = sub === 'matrix' && bundled ? loaded.filter((s) => s.tags.includes('client')) : loaded;
  const [from, to] = shardRange(all.length, shard);
  const scenarios = all.slice(from, to).map((s, i) => ({ ...s, index: from + i }));
  if (sub === 'validate') {
    out(`${scenarios.length} scenario file(s) valid`);
    return 0;
  }
  if (shard) out(`shard ${shard.index}/${shard.total}: ${scenarios.length} of ${all.length} scenario(s)`);
  const password = values.password ?? (process.env.TWEMU_PASSWORD || undefined);
  const target = values.url || values.data ? { url: values.url, token: values.token, data: values.data } : undefined;
  // A target that cannot be found or reached (no endpoints.json, no token, nothing listening) is one line before anything runs.
  if (target) await callApi(findSite(target), 'GET', '/api/status');
  // Ctrl-C: stop the sites this run started and remove their temporary folders.
  const interrupt = (signal: NodeJS.Signals) => {
    process.stderr.write(`twemu: ${signal}: stopping the scenario sites\n`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const common = { seed, soakMs, jobs, ...(password !== undefined ? { vars: { password } } : {}) };
  if (sub === 'matrix') return matrixCommand(scenarios, topologies, common, values, shard, out);
  const results: ScenarioResult[] = await runScenarios(scenarios, {
    ...common, ...(target ? { target } : {}),
    out: values.quiet ? (line) => { if (/^(PASS|FAIL|scenario |  FAIL|     |  ERROR)/.test(line)) out(line); } : out,
  });
  const indexed = results.map((r, i) => ({ ...r, index: scenarios[i]!.index }));
  const passed = results.filter((r) => r.passed).length;
  const failed = results.length - passed;
  if (failed) {
    out('');
    out('failures:');
    for (const r of results.filter((x) => !x.passed)) {
      out(`  ${r.name} (${r.file})`);
      for (const l of (r.failure ?? r.error ?? '').split('\n')) out(`    ${l}`);
    }
  }
  if (values.junit) writeOut(values.junit, junitXml(results, { ...(shard ? { shard } : {}) }));
  if (values.report) writeOut(values.report, `${JSON.stringify(runReport(indexed, shard), null, 2)}\n`);
  out(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

async function matrixCommand(scenarios: Array<Scenario & { index: number }>, topologies: ReadonlyArray<'single' | 'multi'> | undefined, common: Omit<RunOptions, 'out'> & { jobs: number },
  values: { junit?: string; report?: string }, shard: { index: number; total: number } | undefined, out: (l: string) => void): Promise<number> {
  const problems = scenarios.map(matrixProblem).filter((p): p is string => p !== null);
  if (problems.length) {
    for (const p of problems) process.stderr.write(`${p}\n`);
    process.stderr.write(`twemu: ${problems.length} scenario(s) cannot be replayed as a client in a matrix; nothing was run\n`);
    return 1;
  }
  const reports: MatrixReport[] = [];
  for (const topology of topologies ?? ['single', 'multi'] as const) {
    const mine = topologies ? scenarios : scenarios.filter((s) => s.site.topology === topology);
    if (!mine.length) continue;
    const report = await runMatrix(mine, topology, { ...common, out });
    out(matrixText(report));
    reports.push(report);
  }
  const merged: MatrixFile = { kind: 'matrix', ...(shard ? { shard } : {}), undocumented: reports.reduce((n, r) => n + r.undocumented, 0), matrices: reports };
  if (values.junit) writeOut(values.junit, junitDocument('twemu matrix', reports.flatMap(matrixCases), shard ? { shard } : {}));
  if (values.report) writeOut(values.report, matrixReportText(values.report, merged));
  out('');
  out(merged.undocumented ? `${merged.undocumented} undocumented failure(s)` : 'no undocumented failures');
  return merged.undocumented ? 1 : 0;
}

/** `--report` by its extension: .md a Markdown table, .html a page, anything else JSON. */
function matrixReportText(file: string, m: MatrixFile): string {
  if (/\.md$/i.test(file)) return m.matrices.map(matrixMarkdown).join('\n');
  if (/\.html?$/i.test(file)) return matrixHtml(m.matrices);
  return `${JSON.stringify(m, null, 2)}\n`;
}

/** `twemu scenario merge REPORT... [--junit FILE] [--report FILE]`: the shards' reports as one, in the unsharded order. */
function mergeCommand(argv: string[], out: (l: string) => void): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { junit: { type: 'string' }, report: { type: 'string' } } });
  } catch (err) {
    throw new TwemuError('E_USAGE', (err as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, ''), { hint: `usage: ${MERGE_USAGE}` });
  }
  const { values, positionals } = parsed;
  if (!positionals.length) throw new TwemuError('E_USAGE', 'merge needs the shards\' reports (JSON from --report, or JUnit XML from --junit)', { hint: `usage: ${MERGE_USAGE}` });
  if (!values.junit && !values.report) throw new TwemuError('E_USAGE', 'merge needs --junit FILE and/or --report FILE to write', { hint: `usage: ${MERGE_USAGE}` });
  const texts = positionals.map((f) => {
    try {
      return { file: f, text: readFileSync(f, 'utf8') };
    } catch (err) {
      throw new TwemuError('E_SCENARIO_FILE', `cannot read ${f}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  });
  const xml = texts.filter((t) => t.text.trimStart().startsWith('<'));
  const json = texts.filter((t) => !t.text.trimStart().startsWith('<'));
  if (values.junit && !xml.length) throw new TwemuError('E_USAGE', '--junit needs the shards\' JUnit files among the inputs');
  if (values.report && !json.length) throw new TwemuError('E_USAGE', '--report needs the shards\' JSON reports among the inputs');
  if (values.junit) writeOut(values.junit, junitMergeFiles(xml));
  if (values.report) {
    const merged = mergeReports(json.map((t) => {
      try {
        return JSON.parse(t.text) as RunFile | MatrixFile;
      } catch {
        throw new TwemuError('E_SCENARIO_FILE', `${t.file} is not a JSON report of \`scenario run --report\` or \`scenario matrix --report\``);
      }
    }), json.map((t) => t.file));
    writeOut(values.report, `${JSON.stringify(merged, null, 2)}\n`);
  }
  out(`merged ${positionals.length} report(s)`);
  return 0;
}

function writeOut(file: string, text: string): void {
  try {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, text);
  } catch (err) {
    throw new TwemuError('E_WRITE', `cannot write ${file}: ${(err as Error).message}`, { hint: 'check the path' });
  }
}
