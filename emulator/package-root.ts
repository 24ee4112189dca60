// The package's root folder (where package.json is), found from the running file: the sources
// (emulator/..., under vitest), tsc's output (dist/emulator/...) or the bundle and its chunks
// (dist/emulator/twemu.js, dist/emulator/twemu-chunks/...). Files the package ships beside its code
// (the console's assets, the bundled scenarios, package.json) are found from here.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return (root = dir);
    dir = dirname(dir);
  }
  throw new Error('twemu: package root not found');
}
