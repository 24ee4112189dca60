// The text a page shows, for the clients that read pages without a browser:
// the console's demo web client (one line per block), the scenario runner's
// web steps and the tests (one flat line). One decoder of entities for all;
// a numeric entity outside Unicode (`&#x110000;`) stays as written.

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const BLOCK = /<(br|p|div|tr|li|h[1-6]|table|title|frame|form|hr)\b[^>]*>/gi;

/** Decodes `&amp;`, `&#12354;`, `&#x3042;` ...; an unknown or out-of-range entity is left as it is. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return Number.isSafeInteger(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/**
 * The visible text of an HTML page, roughly: no tags, scripts or styles,
 * entities decoded. `lines` (as a browser shows it): the head and comments
 * dropped, one line per block; `flat`: one line, runs of white space as one
 * space (for "the page contains" checks).
 */
export function htmlText(html: string, layout: 'lines' | 'flat' = 'lines'): string {
  if (layout === 'flat') {
    return decodeEntities(html.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ').replace(/<[^>]*>/g, ' ')).replace(/[ \t\r\n]+/g, ' ').trim();
  }
  return decodeEntities(html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(BLOCK, '\n')
    .replace(/<[^>]*>/g, ' '))
    .split('\n')
    .map((l) => l.replace(/[ \t\r\f\v]+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}
