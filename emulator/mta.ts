// What an MTA adds to a message it takes for delivery when the sender left it
// out (RFC 5321 4.4, RFC 5322 3.6): `Return-Path` (the envelope sender, first
// line), `Date` (the site's clock) and `Message-ID`. One place for every
// delivery path (POST /api/mail, SMTP submission, the web, AME and desktop
// sends, the gateways): `Site.deliver` calls it; a path that delivers one
// message to several recipients stamps it once first, so they all get the
// same Message-ID.

import { randomBytes } from 'node:crypto';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 3.3 date-time in UTC (`Mon, 15 Jun 2026 12:00:00 +0000`): the same on every machine and time zone. */
export function rfc5322Date(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export interface StampOptions {
  /** Milliseconds since the epoch, from the site's clock. */
  now: number;
  /** Right-hand side of a new Message-ID (the server's name). */
  host: string;
  /** The envelope sender (SMTP MAIL FROM); absent: the From header's address; `''`: the null sender `<>`. */
  envelopeFrom?: string;
}

/** The header section's field names (lower case) and where the header ends. */
function headerOf(raw: Buffer): { names: Set<string>; end: number; eol: string } {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const eol = raw.indexOf('\r\n') >= 0 && (lf < 0 || crlf >= 0 && crlf < lf) ? '\r\n' : '\n';
  let end = eol === '\r\n' ? crlf : lf;
  if (raw.subarray(0, eol.length).toString('latin1') === eol) end = 0; // no header at all
  // A message of headers only (no blank line): the header ends with the data (before its last line end).
  else if (end < 0) end = raw.subarray(raw.length - eol.length).toString('latin1') === eol ? raw.length - eol.length : raw.length;
  const head = raw.subarray(0, end).toString('latin1');
  const names = new Set<string>();
  for (const line of head.split(/\r?\n/)) {
    const m = /^([!-9;-~]+)[ \t]*:/.exec(line);
    if (m) names.add(m[1]!.toLowerCase());
  }
  return { names, end, eol };
}

/** The address of the first `From:` field, or null. */
function fromAddress(raw: Buffer, end: number): string | null {
  const head = raw.subarray(0, end).toString('utf8').replace(/\r?\n[ \t]+/g, ' ');
  const m = /^from[ \t]*:(.*)$/im.exec(head);
  if (!m) return null;
  const angle = /<([^<>\s]*)>/.exec(m[1]!);
  if (angle) return angle[1]!;
  const bare = /[^\s<>(),;:"]+@[^\s<>(),;:"]+/.exec(m[1]!);
  return bare ? bare[0] : null;
}

/** The unfolded value of the first header field `name` (any case), or null. */
export function headerField(raw: Buffer, name: string): string | null {
  const { end } = headerOf(raw);
  const head = raw.subarray(0, end).toString('utf8').replace(/\r?\n[ \t]+/g, ' ');
  const wanted = name.toLowerCase();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trimEnd().toLowerCase() === wanted) return line.slice(colon + 1).trim();
  }
  return null;
}

/** The message with Return-Path, Date and Message-ID added where missing; the same bytes when none is. */
export function stampMessage(raw: Buffer, opts: StampOptions): Buffer {
  const { names, end, eol } = headerOf(raw);
  const top: string[] = [];
  const bottom: string[] = [];
  if (!names.has('return-path')) {
    const sender = opts.envelopeFrom ?? fromAddress(raw, end) ?? '';
    top.push(`Return-Path: <${sender.replace(/[\r\n<>]/g, '')}>`);
  }
  if (!names.has('date')) bottom.push(`Date: ${rfc5322Date(opts.now)}`);
  if (!names.has('message-id')) bottom.push(`Message-ID: <${opts.now.toString(36)}.${randomBytes(8).toString('hex')}@${opts.host}>`);
  if (!top.length && !bottom.length) return raw;
  const parts: Buffer[] = [];
  if (top.length) parts.push(Buffer.from(top.map((l) => l + eol).join(''), 'latin1'));
  if (end === 0) {
    // No header at all: the new fields are the header, then the blank line.
    parts.push(Buffer.from(bottom.map((l) => l + eol).join(''), 'latin1'));
    if (!raw.subarray(0, eol.length).equals(Buffer.from(eol))) parts.push(Buffer.from(eol));
    parts.push(raw);
    return Buffer.concat(parts);
  }
  parts.push(raw.subarray(0, end));
  if (bottom.length) parts.push(Buffer.from(bottom.map((l) => eol + l).join(''), 'latin1'));
  parts.push(raw.subarray(end));
  if (end === raw.length) parts.push(Buffer.from(eol));
  return Buffer.concat(parts);
}
