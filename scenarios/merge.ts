// The reports of `scenario run|matrix --shard I/N`, merged back into the
// report an unsharded run writes: the JSON reports by each scenario's index
// in the whole list, the JUnit files by their shard property (shards are
// contiguous parts, so concatenating them in order restores the order).

import { TwemuError } from '../emulator/errors.js';
import { junitDocument, type Shard } from './junit.js';
import type { ScenarioResult } from './runner.js';
import type { MatrixReport } from './matrix.js';

export interface RunFile {
  kind: 'run';
  shard?: Shard;
  passed: number;
  failed: number;
  scenarios: Array<Omit<ScenarioResult, 'log'> & { index: number }>;
}

export interface MatrixFile {
  kind: 'matrix';
  shard?: Shard;
  undocumented: number;
  matrices: MatrixReport[];
}

export function runReport(results: Array<ScenarioResult & { index: number }>, shard?: Shard): RunFile {
  const passed = results.filter((r) => r.passed).length;
  return { kind: 'run', ...(shard ? { shard } : {}), passed, failed: results.length - passed, scenarios: results.map(({ log: _log, ...r }) => r) };
}

/** Checks that the inputs are the N shards of one run, each once; returns them in shard order. */
function inOrder<T>(items: T[], shardOf: (t: T) => Shard | undefined, names: string[]): T[] {
  const shards = items.map(shardOf);
  const missing = shards.findIndex((s) => !s);
  if (missing >= 0) throw new TwemuError('E_USAGE', `${names[missing]} is not a shard's report (it was not written with --shard I/N)`);
  const total = shards[0]!.total;
  if (shards.some((s) => s!.total !== total)) throw new TwemuError('E_USAGE', `the reports are of different shardings (${shards.map((s) => `${s!.index}/${s!.total}`).join(', ')})`);
  const seen = new Set<number>();
  for (const [i, s] of shards.entries()) {
    if (seen.has(s!.index)) throw new TwemuError('E_USAGE', `shard ${s!.index}/${total} is given twice (${names[i]})`);
    seen.add(s!.index);
  }
  const absent = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (absent.length) throw new TwemuError('E_USAGE', `shard(s) ${absent.map((i) => `${i}/${total}`).join(', ')} missing: merge needs all ${total}`);
  return items.map((t, i) => ({ t, at: shards[i]!.index })).sort((a, b) => a.at - b.at).map((x) => x.t);
}

export function mergeReports(files: Array<RunFile | MatrixFile>, names: string[]): RunFile | MatrixFile {
  const kinds = new Set(files.map((f) => f.kind));
  if (kinds.size !== 1 || !['run', 'matrix'].includes(files[0]!.kind)) throw new TwemuError('E_USAGE', 'the JSON reports must all be of `scenario run` or all of `scenario matrix`');
  const ordered = inOrder(files, (f) => f.shard, names);
  if (ordered[0]!.kind === 'run') {
    const scenarios = (ordered as RunFile[]).flatMap((f) => f.scenarios).sort((a, b) => a.index - b.index);
    const passed = scenarios.filter((s) => s.passed).length;
    return { kind: 'run', passed, failed: scenarios.length - passed, scenarios };
  }
  const byTopology = new Map<string, MatrixReport>();
  for (const f of ordered as MatrixFile[]) {
    for (const m of f.matrices) {
      const into = byTopology.get(m.topology);
      if (into) into.scenarios.push(...m.scenarios);
      else byTopology.set(m.topology, { ...m, scenarios: [...m.scenarios] });
    }
  }
  const matrices = ['single', 'multi'].map((t) => byTopology.get(t)).filter((m): m is MatrixReport => m !== undefined);
  for (const m of matrices) {
    m.scenarios.sort((a, b) => a.index - b.index);
    m.undocumented = m.scenarios.reduce((n, s) => n + s.problems.length + s.rows.reduce((k, r) => k + r.cells.filter((c) => c.kind === 'undocumented' || c.kind === 'not-run').length, 0), 0);
  }
  return { kind: 'matrix', undocumented: matrices.reduce((n, m) => n + m.undocumented, 0), matrices };
}

interface JunitParts {
  name: string;
  shard?: Shard;
  cases: string[];
}

function junitParts(text: string, file = 'the JUnit report'): JunitParts {
  const name = /<testsuites\b[^>]*\bname="([^"]*)"/.exec(text)?.[1];
  if (name === undefined) throw new TwemuError('E_USAGE', `${file} is not a JUnit report of twemu (no <testsuites name=...>)`);
  const shard = /<property name="shard" value="(\d+)\/(\d+)"\/>/.exec(text);
  return {
    name: name.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
    ...(shard ? { shard: { index: Number(shard[1]), total: Number(shard[2]) } } : {}),
    cases: [...text.matchAll(/<testcase\b[\s\S]*?<\/testcase>/g)].map((m) => m[0]),
  };
}

/** Several JUnit documents of one run (e.g. a matrix's two topologies) as one. */
export function junitMerge(docs: string[], shard?: Shard): string {
  const parts = docs.map((d) => junitParts(d));
  return junitDocument(parts[0]?.name ?? 'twemu matrix', parts.flatMap((p) => p.cases), shard ? { shard } : {});
}

/** The shards' JUnit files as the one an unsharded run writes. */
export function junitMergeFiles(files: Array<{ file: string; text: string }>): string {
  const parts = files.map((f) => junitParts(f.text, f.file));
  const ordered = inOrder(parts, (p) => p.shard, files.map((f) => f.file));
  return junitDocument(ordered[0]!.name, ordered.flatMap((p) => p.cases));
}
