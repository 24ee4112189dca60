import type { Tagged, Untagged, Value } from './types.js';
import { encodeMailbox } from './utf7.js';

// The one place replies become bytes: tags, status codes, quoting and literals.

const ATOM_OK = /^[^\s()"{\\]*$/;

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Collects text as one string and literals as buffers between its pieces. */
class Out {
  text = '';
  parts: Buffer[] = [];
  literal(b: Buffer): void {
    this.text += `{${b.length}}\r\n`;
    this.parts.push(Buffer.from(this.text, 'utf8'), b);
    this.text = '';
  }
  verbatim(b: Buffer): void {
    this.parts.push(Buffer.from(this.text, 'utf8'), b);
    this.text = '';
  }
  done(): Buffer[] {
    this.parts.push(Buffer.from(this.text, 'utf8'));
    return this.parts;
  }
}

function pushValue(out: Out, v: Value): void {
  if (v === null) out.text += 'NIL';
  else if (typeof v === 'number') out.text += String(v);
  else if (typeof v === 'string') out.text += v;
  else if (Array.isArray(v)) {
    out.text += '(';
    for (let i = 0; i < v.length; i++) {
      if (i) out.text += ' ';
      pushValue(out, v[i]!);
    }
    out.text += ')';
  } else if ('run' in v) {
    for (const item of v.run) pushValue(out, item);
  } else if ('quoted' in v) out.text += quote(v.quoted);
  else if ('verbatim' in v) out.verbatim(v.verbatim);
  else out.literal(v.literal);
}

/** A value's octets as one buffer, literals (`{n}` CRLF and their bytes) included, exactly as a response carries it. */
export function valueOctets(v: Value): Buffer {
  const parts = new Out();
  pushValue(parts, v);
  const out = parts.done();
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

/** Status texts are one line whatever a client put in a name it sent (no CRLF injection). */
// eslint-disable-next-line no-control-regex
const oneLine = (text: string): string => text.replace(/[\x00-\x1f\x7f]/g, ' ');
/**
 * Our status texts are 7-bit (RFC 3501 9: text is TEXT-CHAR): a run of other
 * characters (a folder name from the store's messages) goes out in modified
 * UTF-7, as the name would in a LIST. Catalog texts (`exact`) go out as they are.
 */
const sevenBit = (text: string): string => oneLine(text).replace(/[^\x20-\x7e]+/g, (run) => encodeMailbox(run));

export function serialiseUntagged(u: Untagged): Buffer {
  const parts = serialiseUntaggedParts(u);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/**
 * The same octets in pieces: text, and each literal's own buffer uncopied
 * (a 1 MB BODY[] goes to the socket as the store gave it).
 */
export function serialiseUntaggedParts(u: Untagged): Buffer[] {
  if (u.kind === 'status') return [Buffer.from(`* ${u.status}${u.code ? ` [${u.code}]` : ''} ${sevenBit(u.text)}\r\n`, 'utf8')];
  const out = new Out();
  out.text = '* ';
  u.values.forEach((v, i) => {
    if (i) out.text += ' ';
    pushValue(out, v);
  });
  out.text += '\r\n';
  return out.done();
}

export function serialiseTagged(tag: string, t: Tagged): Buffer {
  if ('exact' in t) return Buffer.from(`${tag} ${oneLine(t.exact)}\r\n`, 'utf8');
  return Buffer.from(`${tag} ${t.status}${t.code ? ` [${t.code}]` : ''} ${sevenBit(t.text)}\r\n`, 'utf8');
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
