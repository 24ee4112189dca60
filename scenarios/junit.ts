// JUnit XML in the shape CI systems read (Jenkins, GitLab, GitHub actions
// reporters): <testsuites><testsuite><testcase><failure|error/><system-out/>.
// One testcase per scenario; the failing step in full in the failure's text.

import type { ScenarioResult } from './runner.js';

// XML 1.0 forbids most control characters even escaped; they become U+FFFD.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function xmlEscape(text: string): string {
  return text.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A JUnit `time` attribute: seconds with milliseconds. */
export const seconds = (ms: number) => (ms / 1000).toFixed(3);

export interface Shard {
  index: number;
  total: number;
}

/**
 * The document around test cases (each a `<testcase>...</testcase>` text): the totals counted from
 * the cases, and the shard (`I/N`) as a testsuite property so `scenario merge` can put shards in order.
 */
export function junitDocument(name: string, cases: string[], opts: { shard?: Shard; timestamp?: Date } = {}): string {
  const failures = cases.filter((c) => /<failure\b/.test(c)).length;
  const errors = cases.filter((c) => /<error\b/.test(c)).length;
  const time = seconds(cases.reduce((t, c) => t + 1000 * Number(/^<testcase\b[^>]*\btime="([\d.]+)"/.exec(c.trim())?.[1] ?? 0), 0));
  const stamp = (opts.timestamp ?? new Date()).toISOString().replace(/\.\d+Z$/, '');
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${xmlEscape(name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${time}">`);
  out.push(`  <testsuite name="${xmlEscape(name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="${time}" timestamp="${stamp}" hostname="localhost">`);
  if (opts.shard) out.push(`    <properties><property name="shard" value="${opts.shard.index}/${opts.shard.total}"/></properties>`);
  out.push(...cases.map((c) => `    ${c.trim()}`));
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

export function junitXml(results: ScenarioResult[], opts: { suiteName?: string; timestamp?: Date; shard?: Shard } = {}): string {
  const cases = results.map((r) => {
    const classname = `scenarios.${r.file.split(/[\\/]/).pop()!.replace(/\.ya?ml$/i, '').replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    const out: string[] = [`<testcase name="${xmlEscape(r.name)}" classname="${xmlEscape(classname)}" file="${xmlEscape(r.file)}" time="${seconds(r.ms)}">`];
    if (!r.passed) {
      const tag = r.error ? 'error' : 'failure';
      const first = (r.failure ?? r.error ?? 'failed').split('\n');
      const message = [first[0], ...first.slice(1, 3).map((l) => l.trim())].join('; ');
      out.push(`      <${tag} message="${xmlEscape(message)}" type="${r.error ? 'ScenarioError' : 'ExpectationFailed'}">${xmlEscape(r.failure ?? r.error ?? '')}</${tag}>`);
    }
    const system = [...r.log, `seed ${r.seed}`, `drawn behaviours (${r.draws.length}):`, ...r.draws.map((d) => `  ${d}`)].join('\n');
    out.push(`      <system-out>${xmlEscape(system)}</system-out>`);
    out.push('    </testcase>');
    return out.join('\n');
  });
  return junitDocument(opts.suiteName ?? 'twemu scenarios', cases, opts);
}
