// JUnit XML in the shape CI systems read (Jenkins, GitLab, GitHub actions
// reporters): <testsuites><testsuite><testcase><failure|error/><system-out/>.
// One testcase per scenario; the failing step in full in the failure's text.

import type { ScenarioResult } from './runner.js';

// XML 1.0 forbids most control characters even escaped; they become U+FFFD.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function xmlEscape(text: string): string {
  return text.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

export function junitXml(results: ScenarioResult[], opts: { suiteName?: string; timestamp?: Date } = {}): string {
  const name = opts.suiteName ?? 'twemu scenarios';
  const failures = results.filter((r) => !r.passed && !r.error).length;
  const errors = results.filter((r) => !r.passed && r.error).length;
  const time = seconds(results.reduce((t, r) => t + r.ms, 0));
  const stamp = (opts.timestamp ?? new Date()).toISOString().replace(/\.\d+Z$/, '');
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites name="${xmlEscape(name)}" tests="${results.length}" failures="${failures}" errors="${errors}" time="${time}">`);
  out.push(`  <testsuite name="${xmlEscape(name)}" tests="${results.length}" failures="${failures}" errors="${errors}" skipped="0" time="${time}" timestamp="${stamp}" hostname="localhost">`);
  for (const r of results) {
    const classname = `scenarios.${r.file.split(/[\\/]/).pop()!.replace(/\.ya?ml$/i, '').replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    out.push(`    <testcase name="${xmlEscape(r.name)}" classname="${xmlEscape(classname)}" file="${xmlEscape(r.file)}" time="${seconds(r.ms)}">`);
    if (!r.passed) {
      const tag = r.error ? 'error' : 'failure';
      const first = (r.failure ?? r.error ?? 'failed').split('\n');
      const message = [first[0], ...first.slice(1, 3).map((l) => l.trim())].join('; ');
      out.push(`      <${tag} message="${xmlEscape(message)}" type="${r.error ? 'ScenarioError' : 'ExpectationFailed'}">${xmlEscape(r.failure ?? r.error ?? '')}</${tag}>`);
    }
    const system = [...r.log, `seed ${r.seed}`, `drawn behaviours (${r.draws.length}):`, ...r.draws.map((d) => `  ${d}`)].join('\n');
    out.push(`      <system-out>${xmlEscape(system)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
