import type { CatalogEntryView } from './catalog.js';
import type { EffectPart, TextView } from './types.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

function policyText(p: CatalogEntryView['policy']): string {
  const base = p.mode === 'probability' ? `probability ${p.probability}${p.seed !== undefined ? `, seed ${p.seed}` : ''}` : p.mode;
  return p.variant !== undefined ? `${base}, variant ${p.variant}` : base;
}

/** A text with its provenance; a derived one shows which parts are the emulator's. */
function textCell(t: TextView): string {
  const trailing = / $/.test(t.text) ? ' (ends in a space)' : '';
  if (t.source !== 'derived') return `${code(t.text)}${trailing} *${t.source}*`;
  const parts = t.parts.map((p) => (p.placeholder ? `${code(p.text)} filled in` : p.source === 'emulator' ? `${code(p.text)} ours` : null)).filter(Boolean);
  return `${code(t.text)}${trailing} *derived: ${parts.join(', ')}*`;
}

function effectCell(parts: EffectPart[]): string {
  return parts.map((p) => `${p.text.trim()} *(${p.source})*`).join(' ');
}

/** The catalog as docs/catalog.md's table (`twemu catalog --markdown`), with the provenance of every part; a test keeps the page in step. */
export function catalogMarkdown(entries: CatalogEntryView[]): string {
  const rows = ['| id | source | client / service | operation | exact text (variants), each *seed*, *emulator* or *derived* | effect | default policy |', '|---|---|---|---|---|---|---|'];
  for (const e of entries) {
    const p = e.provenance;
    const texts = p.variants && p.variants.length > 1
      ? p.variants.map((v, i) => `${i} ${v.name}${v.rc !== undefined ? ` (rc ${v.rc})` : ''} *(${v.source})*${v.messages.length ? `: ${v.messages.map(textCell).join(' + ')}` : ''}`).join('; ')
      : p.messages.length ? p.messages.map(textCell).join(' + ') : '(none)';
    rows.push(`| \`${e.id}\` | ${e.source === 'seed' ? 'seed' : '**emulator default**'} | ${cell(e.client)} | ${cell(e.operation)} | ${cell(texts)} | ${cell(effectCell(p.effect))} | ${policyText(e.policy)} |`);
  }
  return rows.join('\n');
}
