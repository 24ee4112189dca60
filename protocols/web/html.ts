import escapeHtml from 'escape-html';

/** A fragment of HTML that is already safe: escaped, or written by us. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Interpolation = SafeHtml | string | number | boolean | null | undefined | Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/**
 * The only way pages are written: every interpolation is escaped with
 * escape-html unless it is a SafeHtml fragment (another `html` result).
 * User input never reaches the page by string concatenation.
 */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Text with its line breaks kept (escaped, then `<br>`). */
export function multiline(text: string): SafeHtml {
  return new SafeHtml(text.split(/\r?\n/).map((line) => escapeHtml(line)).join('<br>\n'));
}

/** A query string from pairs, each part percent-encoded. */
export function query(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}
