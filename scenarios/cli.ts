// `twemu scenario run FILE... [--junit FILE] [--seed N]`, `twemu scenario run --list`,
// `twemu scenario validate FILE...`.

import { parseArgs } from 'node:util';
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TwemuError } from '../emulator/errors.js';
import { callApi, findSite } from '../emulator/cli/client.js';
import { loadScenarios, ScenarioInvalid, formatError } from './validate.js';
import { parseDuration } from './syntax.js';
import { scenarioSchema } from './schema.js';
import { runScenarios, stopAll, type ScenarioResult } from './runner.js';
import { junitXml } from './junit.js';

const USAGE = 'twemu scenario run FILE... [--junit FILE] [--seed N] [--report FILE] [--soak DURATION] [--quiet] [--jobs N] [--password P] [--data DIR | --url URL [--token T]]\n' +
  '       twemu scenario run --list\n       twemu scenario validate FILE...\n       twemu scenario schema';

/** The folder of the bundled scenarios (`scenarios/library/*.yaml` in the package). */
export function bundledDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // From dist/scenarios/ (the built CLI) or scenarios/ (the sources, under vitest).
  const candidates = [resolve(here, '..', '..', 'scenarios', 'library'), join(here, 'library')];
  return candidates.find((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.yaml'))) ?? candidates[0]!;
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
        quiet: { type: 'boolean' }, jobs: { type: 'string' }, password: { type: 'string' }, data: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' },
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

function list(out: (s: string) => void): number {
  const files = bundledFiles();
  let scenarios;
  try {
    scenarios = loadScenarios(files);
  } catch (err) {
    if (err instanceof ScenarioInvalid) for (const e of err.errors) out(formatError(e));
    throw err;
  }
  const width = Math.max(...scenarios.map((s) => s.name.length), 4);
  for (const s of scenarios) out(`${s.name.padEnd(width)}  ${s.site.topology.padEnd(6)} ${(s.description ?? '').split('\n')[0]}`);
  out(`${scenarios.length} bundled scenarios in ${display(bundledDir())}`);
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
  if (sub !== 'run' && sub !== 'validate') {
    throw new TwemuError('E_USAGE', sub ? `unknown scenario command ${JSON.stringify(sub)}` : 'scenario needs a command', { hint: `usage: ${USAGE.split('\n')[0]}` });
  }
  const { values, positionals } = options(rest);
  if (values.list) {
    if (positionals.length) throw new TwemuError('E_USAGE', '--list takes no files', { hint: 'run `twemu scenario run --list` alone' });
    return list(out);
  }
  if (!positionals.length) throw new TwemuError('E_USAGE', 'no scenario files given', { hint: 'e.g. `twemu scenario run scenarios/library/*.yaml`; `twemu scenario run --list` shows the bundled ones' });
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
  const files = expand(positionals).map((f) => display(resolve(f)));
  let scenarios;
  try {
    scenarios = loadScenarios(files);
  } catch (err) {
    if (err instanceof ScenarioInvalid) {
      for (const e of err.errors) process.stderr.write(`${formatError(e)}\n`);
      process.stderr.write(`twemu: ${err.errors.length} problem(s) in the scenario files; nothing was run\n`);
      return 1;
    }
    throw err;
  }
  if (sub === 'validate') {
    out(`${scenarios.length} scenario file(s) valid`);
    return 0;
  }
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
  const results: ScenarioResult[] = await runScenarios(scenarios, {
    seed, soakMs, jobs, ...(target ? { target } : {}), ...(password !== undefined ? { vars: { password } } : {}),
    out: values.quiet ? (line) => { if (/^(PASS|FAIL|scenario |  FAIL|     |  ERROR)/.test(line)) out(line); } : out,
  });
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
  if (values.junit) writeOut(values.junit, junitXml(results));
  if (values.report) writeOut(values.report, `${JSON.stringify({ passed, failed, scenarios: results.map(({ log: _log, ...r }) => r) }, null, 2)}\n`);
  out(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

function writeOut(file: string, text: string): void {
  try {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, text);
  } catch (err) {
    throw new TwemuError('E_WRITE', `cannot write ${file}: ${(err as Error).message}`, { hint: 'check the path' });
  }
}
