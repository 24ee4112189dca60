import type { CatalogEntryView } from './catalog.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

function policyText(p: CatalogEntryView['policy']): string {
  const base = p.mode === 'probability' ? `probability ${p.probability}${p.seed !== undefined ? `, seed ${p.seed}` : ''}` : p.mode;
  return p.variant !== undefined ? `${base}, variant ${p.variant}` : base;
}

/** The catalog as docs/catalog.md's table (`twemu catalog --markdown`); a test keeps the page in step. */
export function catalogMarkdown(entries: CatalogEntryView[]): string {
  const rows = ['| id | source | client / service | operation | exact text (variants) | default policy |', '|---|---|---|---|---|---|'];
  for (const e of entries) {
    const texts = e.variants && e.variants.length > 1
      ? e.variants.map((v, i) => `${i} ${v.name}${v.rc !== undefined ? ` (rc ${v.rc})` : ''}${v.messages.length ? `: ${v.messages.map(code).join(' + ')}` : ''}`).join('; ')
      : e.messages.length ? e.messages.map(code).join(' + ') : `(${e.effect})`;
    rows.push(`| \`${e.id}\` | ${e.source === 'seed' ? 'seed' : '**emulator default**'} | ${cell(e.client)} | ${cell(e.operation)} | ${cell(texts)} | ${policyText(e.policy)} |`);
  }
  return rows.join('\n');
}
