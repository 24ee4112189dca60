import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { Catalog } from '../../emulator/index.js';
import { catalogMarkdown } from '../../emulator/catalog/markdown.js';

describe('README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('shows the set-up commands of INTERFACE.md', () => {
    for (const c of ['npm ci', 'npm start', 'npm test']) expect(readme).toContain(c);
  });

  it('stays short and links every docs/ page', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
    for (const page of readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))) expect(readme, page).toContain(`(docs/${page})`);
  });

  it('docs/catalog.md lists the catalog exactly as the emulator has it (regenerate with `twemu catalog --markdown`)', () => {
    const page = readFileSync(join(ROOT, 'docs', 'catalog.md'), 'utf8');
    const section = /<!-- section:catalog -->([\s\S]*?)<!-- \/section:catalog -->/.exec(page)?.[1] ?? '';
    expect(section).toContain(catalogMarkdown(new Catalog().list()));
  });
});
