import type { Tagged, Untagged, Value } from './types.js';

// The one place replies become bytes: tags, status codes, quoting and literals.

const ATOM_OK = /^[^\s()"{\\]*$/;

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Serialises values into chunks (strings and literal buffers). */
function pushValue(out: Array<string | Buffer>, v: Value): void {
  if (v === null) out.push('NIL');
  else if (typeof v === 'number') out.push(String(v));
  else if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) {
    out.push('(');
    v.forEach((item, i) => {
      if (i) out.push(' ');
      pushValue(out, item);
    });
    out.push(')');
  } else if ('quoted' in v) out.push(quote(v.quoted));
  else {
    out.push(`{${v.literal.length}}\r\n`);
    out.push(v.literal);
  }
}

function join(chunks: Array<string | Buffer>): Buffer {
  return Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)));
}

export function serialiseUntagged(u: Untagged): Buffer {
  if (u.kind === 'status') return Buffer.from(`* ${u.status}${u.code ? ` [${u.code}]` : ''} ${u.text}\r\n`, 'utf8');
  const out: Array<string | Buffer> = ['* '];
  u.values.forEach((v, i) => {
    if (i) out.push(' ');
    pushValue(out, v);
  });
  out.push('\r\n');
  return join(out);
}

export function serialiseTagged(tag: string, t: Tagged): Buffer {
  if ('exact' in t) return Buffer.from(`${tag} ${t.exact}\r\n`, 'utf8');
  return Buffer.from(`${tag} ${t.status}${t.code ? ` [${t.code}]` : ''} ${t.text}\r\n`, 'utf8');
}

export function serialiseContinuation(text: string): Buffer {
  return Buffer.from(`+ ${text}\r\n`, 'utf8');
}

/** A mailbox name as an astring: atom when safe, quoted otherwise, literal for 8-bit. */
export function mailboxName(name: string): Value {
  // eslint-disable-next-line no-control-regex
  if (/[^\x20-\x7e]/.test(name)) return { literal: Buffer.from(name, 'utf8') };
  if (name.length && ATOM_OK.test(name) && !/[%*\]]/.test(name)) return name;
  return { quoted: name };
}
