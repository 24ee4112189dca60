// The layers of ARCHITECTURE.md, checked on the import statements of the
// sources: the core (emulator/ but its adapters and entry points) and the
// domain (emulator/domain/) import no protocol, no scenario code and not the
// composition root; nothing registers itself by being imported; no import
// cycle anywhere. A plain reading of the import statements (static, type-only
// and dynamic `import()`), no tool: dependency-cruiser needs Node 22.

import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE_DIRS = ['emulator', 'protocols', 'scenarios', 'bench'];

/** The composition root and the entry points built on it. */
const ROOT_FILES = ['emulator/root.ts', 'emulator/index.ts', 'emulator/cli.ts'];
/** Adapters that live under emulator/: the control API and the CLI's commands. */
const EMULATOR_ADAPTERS = ['emulator/control/', 'emulator/cli/'];

/**
 * Type-only imports of these files may close a cycle (they are erased at run
 * time): the site and its servers are the hub every core part names
 * (`site: Site`, `server: SiteServer`) while the site holds those parts; the
 * IMAP session is named by its command specs while it dispatches to them.
 * Any other cycle, of values or of types, fails the test.
 */
const TYPE_HUBS = ['emulator/site.ts', 'emulator/server.ts', 'protocols/imap/session.ts'];

interface Import { target: string; kind: 'value' | 'type' | 'dynamic' | 'side-effect'; line: number }

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const rel = (abs: string) => relative(ROOT, abs).split('\\').join('/');

/** Relative imports of one file, resolved to repository paths (`x.js` -> `x.ts`). */
export function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const add = (spec: string, kind: Import['kind'], index: number) => {
    if (!spec.startsWith('.')) return;
    const abs = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    const target = existsSync(abs) ? abs : existsSync(`${abs}.ts`) ? `${abs}.ts` : existsSync(join(abs, 'index.ts')) ? join(abs, 'index.ts') : abs;
    out.push({ target: rel(target), kind, line: lineOf(index) });
  };
  // import x from '…' / import { a, type b } from '…' / import type … from '…' / export … from '…'
  for (const m of text.matchAll(/^[ \t]*(import|export)\s+(type\s+)?([^'";]*?)\s+from\s+['"]([^'"]+)['"]/gm)) {
    const names = m[3]!.trim();
    const braces = /^\{([^}]*)\}$/.exec(names);
    const allTypes = !!m[2] || (braces !== null && braces[1]!.split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type ')));
    add(m[4]!, allTypes ? 'type' : 'value', m.index);
  }
  for (const m of text.matchAll(/^[ \t]*import\s+['"]([^'"]+)['"]/gm)) add(m[1]!, 'side-effect', m.index);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1]!, 'dynamic', m.index);
  return out;
}

const files = SOURCE_DIRS.flatMap((d) => sourceFiles(join(ROOT, d))).map(rel).sort();
const graph = new Map<string, Import[]>(files.map((f) => [f, importsOf(join(ROOT, f), readFileSync(join(ROOT, f), 'utf8'))]));

const isCore = (f: string) => f.startsWith('emulator/') && !ROOT_FILES.includes(f) && !EMULATOR_ADAPTERS.some((a) => f.startsWith(a));

/** Strongly connected components with more than one file (or a file importing itself), over the given kinds of import. */
function cycles(kinds: ReadonlySet<Import['kind']>, allowTypeEdge: (i: Import) => boolean = () => false): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const edges = (f: string) => (graph.get(f) ?? []).filter((i) => kinds.has(i.kind) && graph.has(i.target) && !(i.kind === 'type' && allowTypeEdge(i))).map((i) => i.target);
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges(v).includes(v)) found.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

describe('the layers', () => {
  it('reads the import statements (sanity: the parser finds the known edges)', () => {
    expect(files.length).toBeGreaterThan(100);
    const root = graph.get('emulator/root.ts')!.map((i) => i.target);
    expect(root).toContain('protocols/pop3/index.ts');
    expect(root).toContain('emulator/site.ts');
    expect(importsOf('/x/a.ts', "import type { A } from './b.js';\nimport { type C, D } from './c.js';\nconst m = await import('./d.js');\nimport './e.js';"))
      .toEqual([
        { target: expect.stringMatching(/b\.ts$/), kind: 'type', line: 1 },
        { target: expect.stringMatching(/c\.ts$/), kind: 'value', line: 2 },
        { target: expect.stringMatching(/e\.ts$/), kind: 'side-effect', line: 4 },
        { target: expect.stringMatching(/d\.ts$/), kind: 'dynamic', line: 3 },
      ]);
  });

  it('the core and the domain import no protocol, no scenario code, no adapter and not the composition root', () => {
    const broken: string[] = [];
    for (const [file, imports] of graph) {
      if (!isCore(file)) continue;
      for (const i of imports) {
        const forbidden = i.target.startsWith('protocols/') || i.target.startsWith('scenarios/') || ROOT_FILES.includes(i.target) ||
          EMULATOR_ADAPTERS.some((a) => i.target.startsWith(a));
        if (forbidden) broken.push(`${file}:${i.line} imports ${i.target} (${i.kind})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the protocols import no scenario code and not the composition root or an entry point', () => {
    const broken: string[] = [];
    for (const [file, imports] of graph) {
      if (!file.startsWith('protocols/')) continue;
      for (const i of imports) {
        if (i.target.startsWith('scenarios/') || ROOT_FILES.includes(i.target)) broken.push(`${file}:${i.line} imports ${i.target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('nothing registers itself by being imported: no module of ours is imported for its side effects', () => {
    const bare = [...graph].flatMap(([file, imports]) => imports.filter((i) => i.kind === 'side-effect').map((i) => `${file}:${i.line} imports ${i.target} for its side effects`));
    expect(bare).toEqual([]);
  });

  it('no import cycle: none among the imports Node loads (value imports)', () => {
    expect(cycles(new Set(['value', 'side-effect']))).toEqual([]);
  });

  it('no import cycle: of types either, but for type-only references to the hubs (Site, SiteServer, the IMAP session)', () => {
    expect(cycles(new Set(['value', 'side-effect', 'type']), (i) => TYPE_HUBS.includes(i.target))).toEqual([]);
  });
});
