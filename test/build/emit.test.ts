// The compiler that produces dist/ must emit what the source says. TypeScript 7.0.2 turned
// `new (x.Y as T)(...)` into `new x.Y(...)` (a different expression), and dist/ shipped an IMAP
// server that saw every multipart message as one part while the suite, run on the sources, passed.
// This compiles the construct with the project's own compiler and tsconfig and runs the output.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers.js';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

describe('the build', () => {
  it('compiles `new (expr as T)(...)` to a constructor call of expr', async () => {
    const out = tempDir('twemu-emit-');
    try {
      const project = join(out.path, 'tsconfig.json');
      writeFileSync(project, JSON.stringify({
        extends: join(ROOT, 'tsconfig.json'),
        compilerOptions: { rootDir: join(ROOT, 'test', 'fixtures', 'emit'), outDir: join(out.path, 'js'), incremental: false, declaration: false, sourceMap: false, types: [] },
        files: [join(ROOT, 'test', 'fixtures', 'emit', 'new-of-cast.ts')],
        include: [],
      }));
      writeFileSync(join(out.path, 'package.json'), '{"type": "module"}\n');
      const r = await new Promise<{ code: number; output: string }>((done) => {
        execFile(process.execPath, [TSC, '-p', project], { cwd: ROOT, timeout: 120_000 }, (err, stdout, stderr) => done({ code: err ? 1 : 0, output: `${stdout}${stderr}` }));
      });
      expect(r.code, r.output).toBe(0);
      const mod = (await import(pathToFileURL(join(out.path, 'js', 'new-of-cast.js')).href)) as { made: { n: number } };
      expect(mod.made.n).toBe(7);
    } finally {
      out.remove();
    }
  }, 150_000);
});
