// The front ends (protocols, the control API and its desktop-client
// operations, the gateways and SearchPro) reach data through the domain
// (`site.domain.*`), never through a repository or the Directory directly.
// A plain reading of the sources, like test/architecture.test.ts.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const FRONT_ENDS = ['protocols', 'emulator/control', 'emulator/services'];

/** A repository or the Directory reached around the domain. */
const AROUND_THE_DOMAIN = [
  /\.store\.(mail|calendar|forum|library|directory|webdata)\b/,
  /\bsite\.directory\./,
  /\bsite\.account\(/,
  /\bhomeStore\((?![^)]*\)\.database\.changes)/, // IMAP listens to its home database's change events (no data read)
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('front ends and the domain', () => {
  it('no front end reads or writes a repository, or the Directory, except through site.domain', () => {
    const found: string[] = [];
    for (const file of FRONT_ENDS.flatMap((d) => sources(join(ROOT, d)))) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        if (AROUND_THE_DOMAIN.some((re) => re.test(line))) found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('each business rule has one home: the facility rules, ownership and the login are not written in a front end', () => {
    const rules: Array<[string, RegExp]> = [
      ['facility permission', /\.permitted\.includes\(/],
      ['login check', /\.password\s*===|authenticate\(\s*[a-z.]+,\s*[a-z.]+\)/],
      ['reservation ownership', /\.owner\s*!==|function ownReservation\(ctx: CallContext/],
      ['clash check', /\.start\s*<\s*[a-z.]*end\s*&&/],
    ];
    const found: string[] = [];
    for (const file of FRONT_ENDS.flatMap((d) => sources(join(ROOT, d)))) {
      const text = readFileSync(file, 'utf8');
      for (const [rule, re] of rules) if (re.test(text)) found.push(`${relative(ROOT, file)}: ${rule}`);
    }
    expect(found).toEqual([]);
  });
});
