// What users run is the bundle `npm run build` makes (scripts/bundle.mjs): package.json's `bin`
// and `npm start` name it, tsc's unbundled output keeps working beside it, and its source maps
// lead a stack trace back to the .ts files. Every test that starts the CLI (helpers' CLI, the
// e2e tests) starts the bundle.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI, CLI_UNBUNDLED, ROOT } from '../helpers.js';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string>; scripts: Record<string, string> };

describe('the bundled CLI', () => {
  it('is what package.json runs: bin, npm start, and the tests', () => {
    expect(join(ROOT, pkg.bin.twemu!)).toBe(CLI);
    expect(pkg.scripts.start).toBe(`node ${pkg.bin.twemu} serve`);
    for (const s of ['build', 'prepare', 'test', 'bench']) expect(pkg.scripts[s], s).toContain('node scripts/bundle.mjs');
    expect(existsSync(CLI)).toBe(true);
  });

  it('and tsc\'s unbundled output both answer --version and --help', async () => {
    for (const cli of [CLI, CLI_UNBUNDLED]) {
      expect((await run(process.execPath, [cli, '--version'])).stdout, cli).toBe(`${pkg.version}\n`);
      expect((await run(process.execPath, [cli, '--help'])).stdout, cli).toMatch(/^usage: twemu /m);
    }
  });

  it('leads a stack trace back to the TypeScript source with node --enable-source-maps', async () => {
    const script = `const { main } = await import(${JSON.stringify(pathToFileURL(CLI).href)});
      try { await main(['to', 'nonsense']); } catch (e) { console.log(e.stack); }`;
    const { stdout } = await run(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], { cwd: ROOT });
    expect(stdout).toMatch(/unknown command `to nonsense`/);
    expect(stdout).toMatch(/emulator\/cli\.ts:\d+:\d+/);
    expect(stdout).not.toMatch(/twemu(-chunks\/[\w-]+)?\.js:/);
  });
});
