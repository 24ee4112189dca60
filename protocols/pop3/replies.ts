// Reply objects and the one serialiser that turns them into POP3 octets:
// status line, multi-line bodies, byte-stuffing (RFC 1939 section 3).

/** What a command handler returns; `serialise` writes it. */
export interface Reply {
  ok: boolean;
  /** The text after `+OK` / `-ERR` (may start with an RFC 2449 code such as `[IN-USE]`). */
  text: string;
  /** Lines of a multi-line reply (CAPA, LIST, UIDL); byte-stuffed and terminated. */
  lines?: string[];
  /** Octets of a multi-line reply (RETR, TOP), CRLF line ends; byte-stuffed and terminated. */
  body?: Buffer;
  /** Close the connection once the reply is written. */
  close?: boolean;
  /** The command was bad (unknown, bad arguments, wrong state, failed login): counts towards the limit. */
  bad?: boolean;
  /** STLS: start the TLS handshake once the reply is written. */
  startTls?: boolean;
}

export const ok = (text: string, extra: Partial<Reply> = {}): Reply => ({ ok: true, text, ...extra });
export const err = (text: string, extra: Partial<Reply> = {}): Reply => ({ ok: false, text, ...extra });
export const bad = (text: string, extra: Partial<Reply> = {}): Reply => ({ ok: false, text, bad: true, ...extra });

/** A whole reply line from the catalog (`-ERR unable to lock maildrop`) as a reply object. */
export function fromLine(line: string, extra: Partial<Reply> = {}): Reply {
  const m = /^(\+OK|-ERR)(?: (.*))?$/s.exec(line);
  if (!m) throw new Error(`not a POP3 reply line: ${JSON.stringify(line)}`);
  return { ok: m[1] === '+OK', text: m[2] ?? '', ...extra };
}

const CRLF = Buffer.from('\r\n');
const TERMINATOR = Buffer.from('.\r\n');
const DOT = 0x2e;
const LF = 0x0a;
const CR = 0x0d;

export function statusLine(reply: Pick<Reply, 'ok' | 'text'>): string {
  return `${reply.ok ? '+OK' : '-ERR'}${reply.text ? ` ${reply.text}` : ''}\r\n`;
}

/**
 * Byte-stuffs CRLF-terminated octets: every line that starts with `.` gets one
 * more; a missing final CRLF is added; then the `.` CRLF terminator.
 */
export function stuffBody(body: Buffer, head?: Buffer): Buffer {
  const parts: Buffer[] = head ? [head] : [];
  let start = 0;
  if (body.length && body[0] === DOT) parts.push(Buffer.from('.'));
  for (;;) {
    const at = body.indexOf('\n.', start);
    if (at < 0) break;
    parts.push(body.subarray(start, at + 1), Buffer.from('.'));
    start = at + 1;
  }
  parts.push(body.subarray(start));
  if (body.length && !(body[body.length - 1] === LF && body[body.length - 2] === CR)) parts.push(CRLF);
  parts.push(TERMINATOR);
  return Buffer.concat(parts);
}

/** The octets of a reply, ready for the socket. */
export function serialise(reply: Reply): Buffer {
  const head = Buffer.from(statusLine(reply), 'utf8');
  if (!reply.ok || (reply.lines === undefined && reply.body === undefined)) return head;
  const body = reply.body ?? Buffer.from(reply.lines!.map((l) => `${l}\r\n`).join(''), 'utf8');
  return stuffBody(body, head); // one copy of the body, status line included
}

/** CRLF line ends throughout (a bare LF becomes CRLF); the same buffer when nothing changes. */
export function normaliseLineEnds(raw: Buffer): Buffer {
  let bare = 0;
  for (let i = raw.indexOf(LF); i >= 0; i = raw.indexOf(LF, i + 1)) if (i === 0 || raw[i - 1] !== CR) bare++;
  if (bare === 0) return raw;
  const out = Buffer.allocUnsafe(raw.length + bare);
  let o = 0;
  let start = 0;
  for (let i = raw.indexOf(LF); i >= 0; i = raw.indexOf(LF, i + 1)) {
    if (i === 0 || raw[i - 1] !== CR) {
      o += raw.copy(out, o, start, i);
      out[o++] = CR;
      out[o++] = LF;
      start = i + 1;
    }
  }
  o += raw.copy(out, o, start);
  return out.subarray(0, o);
}

/** The size in octets of `raw` once its line ends are CRLF (what LIST and STAT count). */
export function wireSize(raw: Buffer): number {
  let bare = 0;
  for (let i = raw.indexOf(LF); i >= 0; i = raw.indexOf(LF, i + 1)) if (i === 0 || raw[i - 1] !== CR) bare++;
  return raw.length + bare;
}

/** TOP: the header, the blank line, and the first `lines` lines of the body (CRLF octets in, CRLF octets out). */
export function topOf(message: Buffer, lines: number): Buffer {
  const sep = message.indexOf('\r\n\r\n');
  if (sep < 0) return message; // no body: the whole message is header
  let end = sep + 4;
  for (let n = 0; n < lines && end < message.length; n++) {
    const lf = message.indexOf(LF, end);
    end = lf < 0 ? message.length : lf + 1;
  }
  return message.subarray(0, end);
}
