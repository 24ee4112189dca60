// The CLI users run, bundled at build time (`npm run build`, `prepare`, `npm test`): esbuild
// bundles twemu's sources with fastify and the other pure-JS packages loaded at start-up into
// dist/emulator/twemu.js, so that `twemu serve` reads and compiles a few files instead of ~260
// modules (docs/performance.md). What loads later (the scenario runner, the recorder, serve --only)
// stays in chunks beside it (dist/emulator/twemu-chunks/), loaded on first use as before.
// Packages with native code or files of their own (better-sqlite3, Swagger UI's assets) and those
// twemu loads on first use (createRequire or import()) stay external: node_modules as before.
// `node dist/emulator/cli.js` (tsc's output) runs the same code unbundled.
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'emulator');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// Bundled: fastify and what it loads at start (with @fastify/formbody and escape-html). Not
// @fastify/cookie: it loads \`cookie\` (CommonJS) with import(), which in a chunk of an esbuild
// bundle would have a default export only, not Node's named exports.
const BUNDLED = new Set(['fastify', '@fastify/formbody', 'escape-html']);
const external = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d)).flatMap((d) => [d, `${d}/*`]);
external.push('playwright-core', 'playwright-core/*');

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  process.stderr.write('twemu build: esbuild (a devDependency) is not installed; run `npm ci` (or `npm install`) first\n');
  process.exit(1);
}

rmSync(join(out, 'twemu-chunks'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // tsc's output (what `node dist/emulator/cli.js` runs), its source maps followed back to the .ts files.
  entryPoints: { twemu: 'dist/emulator/cli.js' },
  outdir: out,
  chunkNames: 'twemu-chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // CommonJS packages inside an ES module bundle call require() (fastify's `require('node:http')`).
  banner: { js: "import { createRequire as __twemuCreateRequire } from 'node:module'; const require = __twemuCreateRequire(import.meta.url);" },
  // Stack traces: `node --enable-source-maps dist/emulator/twemu.js` names the .ts files and lines.
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'linked',
  logLevel: 'warning',
});
