import { Splitter, libmime } from './mimelibs.js';
import { parseAddresses } from './address.js';
import { literal, quoted, str, type Value } from './types.js';
import { valueOctets } from './serialiser.js';

// MIME structure for ENVELOPE, BODYSTRUCTURE and BODY[section]: the tree comes
// from mailsplit (the splitter mailparser is built on), header values from
// libmime, addresses from address.ts (ENVELOPE's own rules). Header values stay as
// they are on the wire (RFC 2047 words and ISO-2022-JP included): clients
// decode them, and 8-bit UTF-8 headers go out as literals, byte for byte.

export interface MimePart {
  /** IMAP part number, e.g. `1.2`; '' for the root. */
  path: string;
  /** Offsets in the raw message. */
  headerStart: number;
  bodyStart: number;
  bodyEnd: number;
  headers: Record<string, string[]>;
  type: string;
  subtype: string;
  params: Record<string, string>;
  children: MimePart[];
  /** For message/rfc822: the embedded message's structure. */
  message?: MimePart;
}

export interface MessageStructure {
  root: MimePart;
  size: number;
}

const NODE_LIMITS = { ignoreEmbedded: true, maxChildNodes: 1000, maxHeadSize: 2 * 1024 * 1024 };

function headerMap(buf: Buffer): Record<string, string[]> {
  try {
    return libmime.decodeHeaders(buf.toString('latin1')) as Record<string, string[]>;
  } catch {
    return {};
  }
}

function contentType(headers: Record<string, string[]>, parent: MimePart | null): { type: string; subtype: string; params: Record<string, string> } {
  const raw = headers['content-type']?.[0];
  const fallback = parent && parent.type === 'multipart' && parent.subtype === 'digest' ? 'message/rfc822' : 'text/plain';
  if (!raw) return { ...split(fallback), params: fallback.startsWith('text/') ? { charset: 'us-ascii' } : {} };
  let parsed: { value?: unknown; params?: Record<string, unknown> };
  try {
    parsed = libmime.parseHeaderValue(raw);
  } catch {
    parsed = { value: fallback, params: {} };
  }
  const value = String(parsed.value || fallback).toLowerCase();
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.params ?? {})) params[k] = String(v);
  return { ...split(value.includes('/') ? value : fallback), params };
}

function split(ct: string): { type: string; subtype: string } {
  const i = ct.indexOf('/');
  return { type: ct.slice(0, i).trim() || 'text', subtype: ct.slice(i + 1).trim() || 'plain' };
}

/** Splits a raw message into its MIME tree (offsets into `raw`). */
export async function parseStructure(raw: Buffer, depth = 0): Promise<MessageStructure> {
  const nodes: Array<{ node: any; part: MimePart }> = [];
  let pos = 0;
  const byNode = new Map<unknown, MimePart>();
  let current: MimePart | null = null;
  let root: MimePart | null = null;
  // Failing to load or build the splitter is an internal error (the command fails with SERVERBUG), never
  // "one text part": only the splitter's own verdict on the bytes ('error') means a malformed message.
  const splitter = new Splitter(NODE_LIMITS) as any;
  let malformed = false;
  await new Promise<void>((resolve, reject) => {
    splitter.on('data', (chunk: any) => {
      if (chunk.type === 'node') {
        const head: Buffer = chunk.getHeaders();
        const headers = headerMap(head);
        const parent = chunk.parentNode ? byNode.get(chunk.parentNode) ?? null : null;
        const ct = contentType(headers, parent);
        const part: MimePart = {
          path: parent ? (parent.path ? `${parent.path}.${parent.children.length + 1}` : String(parent.children.length + 1)) : '',
          headerStart: pos, bodyStart: pos + head.length, bodyEnd: pos + head.length, headers, ...ct, children: [],
        };
        pos += head.length;
        if (parent) parent.children.push(part);
        else root = part;
        byNode.set(chunk, part);
        nodes.push({ node: chunk, part });
        current = part;
      } else if (chunk.type === 'body') {
        pos += chunk.value.length;
        if (current) current.bodyEnd = pos;
      } else if (chunk.type === 'data') {
        pos += chunk.value.length;
      }
    });
    splitter.on('error', (err: unknown) => {
      malformed = true;
      reject(err);
    });
    splitter.on('end', resolve);
    splitter.end(raw);
  }).catch((err: unknown) => {
    if (!malformed) throw err;
    root = null; // malformed beyond what the splitter accepts: one text part, below
  });
  if (!root || pos !== raw.length) {
    // The splitter did not account for every byte: treat the message as one text part.
    const headEnd = raw.indexOf('\r\n\r\n');
    const bodyStart = headEnd < 0 ? raw.length : headEnd + 4;
    const headers = headerMap(raw.subarray(0, bodyStart));
    root = { path: '', headerStart: 0, bodyStart, bodyEnd: raw.length, headers, ...contentType(headers, null), children: [] };
    return { root, size: raw.length };
  }
  const r = root as MimePart;
  // A multipart body runs to the delimiter that ends the part holding it: the
  // epilogue is part of it (BODY[TEXT] of a multipart message ends with the
  // message, as Dovecot's does). The CRLF before a delimiter belongs to the delimiter.
  const fix = (p: MimePart, end: number) => {
    if (p.type !== 'multipart') return;
    p.bodyEnd = end;
    const boundary = p.params.boundary;
    for (const c of p.children) {
      if (c.type !== 'multipart') continue;
      let next = boundary ? raw.indexOf(`\n--${boundary}`, c.bodyStart, 'latin1') : -1;
      if (next >= 0 && next > c.bodyStart && raw[next - 1] === 0x0d) next--;
      fix(c, next >= c.bodyStart && next <= end ? next : end);
    }
  };
  fix(r, raw.length);
  if (depth < 3) {
    for (const { part } of nodes) {
      if (part.type === 'message' && part.subtype === 'rfc822') {
        const inner = await parseStructure(raw.subarray(part.bodyStart, part.bodyEnd), depth + 1);
        part.message = shift(inner.root, part.bodyStart, part.path);
      }
    }
  }
  return { root: r, size: raw.length };
}

/** Moves an embedded message's offsets into the outer message and renumbers its parts. */
function shift(p: MimePart, by: number, prefix: string): MimePart {
  const path = p.path ? `${prefix}.${p.path}` : prefix;
  return {
    ...p, path, headerStart: p.headerStart + by, bodyStart: p.bodyStart + by, bodyEnd: p.bodyEnd + by,
    children: p.children.map((c) => shift(c, by, prefix)), message: p.message ? shift(p.message, by, prefix) : undefined,
  };
}

// ---- ENVELOPE --------------------------------------------------------------

const first = (h: Record<string, string[]>, key: string): string | null => {
  const v = h[key]?.[0];
  return v === undefined ? null : v.trim();
};

/** An nstring from a header value kept in latin1 (bytes as they are). */
const PRINTABLE = /^[\x20-\x7e]*$/;
const nstr = (v: string | null): Value =>
  v === null || v === '' ? null : v.length < 1024 && PRINTABLE.test(v) ? quoted(v) : literal(Buffer.from(v, 'latin1'));

function addresses(value: string | null): Value {
  if (!value) return null;
  const parsed = parseAddresses(value);
  if (!parsed.length) return null;
  return [{ run: parsed.map((a) => [nstr(a.name), nstr(a.adl), nstr(a.mailbox), nstr(a.host)]) }];
}

const ENVELOPE_FIELDS = new Set(['date', 'subject', 'from', 'sender', 'reply-to', 'to', 'cc', 'bcc', 'in-reply-to', 'message-id']);

/** One unfolded header line as libmime's `decodeHeader` reads it: the key before the first colon, both sides trimmed. */
function headerLine(line: string, out: Record<string, string[]>): void {
  const m = /^\s*([^:]+):(.*)$/.exec(line.replace(/(?:\r?\n|\r)[ \t]*/g, ' ').trim());
  const key = ((m && m[1]) || '').trim().toLowerCase();
  if (!ENVELOPE_FIELDS.has(key)) return;
  const value = ((m && m[2]) || '').trim();
  (out[key] ??= []).push(value);
}

/**
 * The header fields ENVELOPE reads, from the message's header (up to the first empty line),
 * split and unfolded by the rules of libmime's `decodeHeaders` (which the MIME tree's headers
 * go through: the same values) but without loading libmime and its charset tables: the store
 * computes an envelope for every message it writes, the demo data's at start-up included.
 */
export function envelopeHeaders(raw: Buffer): Record<string, string[]> {
  let end = raw.indexOf('\r\n\r\n');
  end = end < 0 ? raw.indexOf('\n\n') : end;
  const lines = (end < 0 ? raw : raw.subarray(0, end + 2)).toString('latin1').split(/\r?\n|\r/);
  let i = 0;
  while (i < lines.length && lines[i] === '') i++;
  let stop = lines.indexOf('', i);
  if (stop < 0) stop = lines.length;
  const out: Record<string, string[]> = {};
  let current: string | null = null;
  for (; i < stop; i++) {
    const line = lines[i]!;
    if (current !== null && (line[0] === ' ' || line[0] === '\t')) current += `\r\n${line}`;
    else {
      if (current !== null) headerLine(current, out);
      current = line;
    }
  }
  if (current !== null) headerLine(current, out);
  return out;
}

/**
 * A message's ENVELOPE as the octets a FETCH response carries (literals included): what the
 * store keeps beside each message when it is written (`MessageIndex`), and what FETCH sends.
 */
export function envelopeOctets(raw: Buffer): Buffer {
  return valueOctets(envelope(envelopeHeaders(raw)));
}

export function envelope(h: Record<string, string[]>): Value[] {
  const from = addresses(first(h, 'from'));
  // An absent or empty Sender / Reply-To is the From (RFC 3501 7.4.2).
  const sender = addresses(first(h, 'sender'));
  const replyTo = addresses(first(h, 'reply-to'));
  return [
    nstr(first(h, 'date')), nstr(first(h, 'subject')), from, sender ?? from, replyTo ?? from,
    addresses(first(h, 'to')), addresses(first(h, 'cc')), addresses(first(h, 'bcc')),
    nstr(first(h, 'in-reply-to')), nstr(first(h, 'message-id')),
  ];
}

// ---- BODYSTRUCTURE ---------------------------------------------------------

function paramList(params: Record<string, string>): Value {
  const entries = Object.entries(params);
  if (!entries.length) return null;
  const out: Value[] = [];
  for (const [k, v] of entries) {
    // eslint-disable-next-line no-control-regex
    out.push(str(k.toUpperCase()), str(/[^\x20-\x7e]/.test(v) ? libmime.encodeWord(v, 'B') : v));
  }
  return out;
}

function disposition(h: Record<string, string[]>): Value {
  const raw = first(h, 'content-disposition');
  if (!raw) return null;
  let parsed: { value?: unknown; params?: Record<string, unknown> };
  try {
    parsed = libmime.parseHeaderValue(raw);
  } catch {
    return null;
  }
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.params ?? {})) params[k] = String(v);
  return [str(String(parsed.value || 'attachment').toUpperCase()), paramList(params)];
}

function lineCount(raw: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (raw[i] === 0x0a) n++;
  if (end > start && raw[end - 1] !== 0x0a) n++;
  return n;
}

/** BODYSTRUCTURE (extensible) or BODY (basic) of a part (RFC 3501 7.4.2). */
export function bodyStructure(raw: Buffer, p: MimePart, extensible: boolean): Value {
  const language = nstr(first(p.headers, 'content-language'));
  const location = nstr(first(p.headers, 'content-location'));
  if (p.type === 'multipart' && p.children.length) {
    const out: Value[] = [{ run: p.children.map((c) => bodyStructure(raw, c, extensible)) }];
    out.push(str(p.subtype.toUpperCase()));
    if (extensible) out.push(paramList(p.params), disposition(p.headers), language, location);
    return out;
  }
  const size = p.bodyEnd - p.bodyStart;
  const out: Value[] = [
    str(p.type.toUpperCase()), str(p.subtype.toUpperCase()), paramList(p.params),
    nstr(first(p.headers, 'content-id')), nstr(first(p.headers, 'content-description')),
    str((first(p.headers, 'content-transfer-encoding') ?? '7BIT').toUpperCase()), size,
  ];
  if (p.type === 'message' && p.subtype === 'rfc822' && p.message) {
    out.push(envelope(p.message.headers), bodyStructure(raw, p.message, extensible), lineCount(raw, p.bodyStart, p.bodyEnd));
  } else if (p.type === 'text') {
    out.push(lineCount(raw, p.bodyStart, p.bodyEnd));
  }
  if (extensible) out.push(nstr(first(p.headers, 'content-md5')), disposition(p.headers), language, location);
  return out;
}

// ---- BODY[section] ---------------------------------------------------------

/**
 * Finds a part by number (`1.2`); a non-multipart message's part 1 is its
 * body. After the first number, a message/rfc822 part's numbers address its
 * embedded message (`2.1` is part 1 of the message in part 2); a top-level
 * message/rfc822 message's part 1 is its body, the whole embedded message.
 */
export function findPart(root: MimePart, numbers: number[]): MimePart | null {
  let p: MimePart = root;
  for (const [i, n] of numbers.entries()) {
    if (i > 0 && p.type === 'message' && p.subtype === 'rfc822' && p.message) p = p.message;
    if (p.type === 'multipart' && p.children.length) {
      const c = p.children[n - 1];
      if (!c) return null;
      p = c;
    } else if (n === 1) {
      // part 1 of a single-part entity is the entity itself
    } else return null;
  }
  return p;
}

/** The header block of a part, filtered by HEADER.FIELDS / HEADER.FIELDS.NOT. */
export function headerFields(raw: Buffer, start: number, end: number, fields: string[] | null, not: boolean): Buffer {
  const block = raw.subarray(start, end).toString('latin1');
  if (!fields) return raw.subarray(start, end);
  const wanted = new Set(fields.map((f) => f.toLowerCase()));
  const lines = block.split(/\r?\n(?![ \t])/);
  const kept: string[] = [];
  for (const line of lines) {
    if (!line) continue;
    const key = line.slice(0, line.indexOf(':')).trim().toLowerCase();
    if (line.indexOf(':') < 0) continue;
    if (wanted.has(key) !== not) kept.push(line.replace(/\r?\n$/, ''));
  }
  return Buffer.from(kept.map((l) => `${l}\r\n`).join('') + '\r\n', 'latin1');
}

// ---- text for SEARCH ---------------------------------------------------------

/** Decoded header value (RFC 2047, ISO-2022-JP, 8-bit UTF-8) for SEARCH. */
export function decodedHeader(v: string): string {
  const bytes = Buffer.from(v, 'latin1');
  const text = /[\x80-\xff]/.test(v) ? bytes.toString('utf8') : v;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** Decoded text of every text/* leaf (transfer encoding and charset undone). */
export function decodedText(raw: Buffer, root: MimePart): string {
  const out: string[] = [];
  const walk = (p: MimePart) => {
    if (p.children.length) return p.children.forEach(walk);
    if (p.message) return walk(p.message);
    if (p.type !== 'text') return;
    let body = raw.subarray(p.bodyStart, p.bodyEnd);
    const cte = (first(p.headers, 'content-transfer-encoding') ?? '').toLowerCase();
    if (cte === 'base64') body = Buffer.from(body.toString('latin1'), 'base64');
    else if (cte === 'quoted-printable') body = Buffer.from(body.toString('latin1').replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    const charset = (p.params.charset ?? 'utf-8').toLowerCase();
    let text: string;
    if (charset === 'utf-8' || charset === 'us-ascii' || charset === 'utf8') text = body.toString('utf8');
    else {
      try {
        // libmime's charset conversion (iconv-lite and encoding-japanese behind it).
        text = libmime.decodeWord(charset, 'B', body.toString('base64'));
      } catch {
        text = body.toString('latin1');
      }
    }
    out.push(text);
  };
  walk(root);
  return out.join('\n');
}
