// Every documented behaviour (source: seed) is proven by at least one test that
// fires it through a public interface: such a test carries `[behaviour:<id>]`
// in its title. The ids come from the compiled CLI (`twemu catalog --json`), the
// titles from every test file; a seed id nobody proves fails this test, and so
// does a tag naming an id the catalog does not have.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from './helpers.js';

interface Entry { id: string; source: 'seed' | 'emulator' }

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : testFiles(path);
    return d.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Titles of the tests (it/test, not skipped or todo) in a file's source. */
export function testTitles(source: string): string[] {
  const titles: string[] = [];
  const call = /\b(?:it|test)(\.(?:only|concurrent|sequential|fails|skip|todo|skipIf\([^)]*\)|runIf\([^)]*\)))*\(\s*(['"`])((?:\\.|(?!\2)[^\\])*)\2/g;
  for (const m of source.matchAll(call)) {
    const modifiers = m[1] ?? '';
    if (/\.(skip|todo|skipIf|fails)\b/.test(modifiers)) continue;
    titles.push(m[3]!);
  }
  return titles;
}

const TAG = /\[behaviour:([a-z0-9][a-z0-9.-]*)\]/g;

describe('catalog coverage', () => {
  const empty = tempDir('twemu-coverage-');
  afterAll(() => empty.remove());

  it('finds titles the way vitest does (skipped and todo tests prove nothing)', () => {
    const src = [
      "it('[behaviour:a.one] x', () => {});",
      'it.skip("[behaviour:a.two] y", () => {});',
      'test(`[behaviour:a.three] z`, () => {});',
      "it.todo('[behaviour:a.four]');",
      "// a comment that mentions [behaviour:a.five]",
      "it.concurrent('[behaviour:a.six] it\\'s fine', () => {});",
    ].join('\n');
    const tags = testTitles(src).flatMap((t) => [...t.matchAll(TAG)].map((m) => m[1]));
    expect(tags).toEqual(['a.one', 'a.three', 'a.six']);
  });

  it('every seed behaviour of `twemu catalog --json` is proven by a test tagged [behaviour:<id>]', async () => {
    // An empty data directory: no running site, so the CLI answers the built-in catalog.
    const cli = await runCli(['catalog', '--json', '--data', empty.path]);
    expect(cli.code, `twemu catalog --json failed (is the project compiled? npx tsc -p .):\n${cli.stderr}`).toBe(0);
    const { behaviours } = JSON.parse(cli.stdout) as { behaviours: Entry[] };
    const seed = behaviours.filter((b) => b.source === 'seed').map((b) => b.id);
    expect(seed.length).toBe(35);

    const proven = new Map<string, string[]>();
    // This file's own parser examples are not proofs.
    for (const file of testFiles(join(ROOT, 'test')).filter((f) => !f.endsWith('catalog-coverage.test.ts'))) {
      for (const title of testTitles(readFileSync(file, 'utf8'))) {
        for (const m of title.matchAll(TAG)) {
          const where = proven.get(m[1]!) ?? [];
          where.push(relative(ROOT, file));
          proven.set(m[1]!, where);
        }
      }
    }
    const known = new Set(behaviours.map((b) => b.id));
    const unknownTags = [...proven.keys()].filter((id) => !known.has(id)).map((id) => `${id} (in ${[...new Set(proven.get(id))].join(', ')})`);
    expect(unknownTags, 'tests tag behaviour ids the catalog does not have').toEqual([]);
    const unproven = seed.filter((id) => !proven.has(id));
    expect(unproven, `seed behaviours no test proves (tag a test that fires it through a public interface with [behaviour:<id>] in its title)`).toEqual([]);
  });
});
