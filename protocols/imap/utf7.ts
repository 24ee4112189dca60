// Modified UTF-7 for mailbox names (RFC 3501 5.1.3): the store keeps Unicode
// names (Japanese folder names), the wire carries `&...-` sequences.

export function encodeMailbox(name: string): string {
  let out = '';
  let pending: number[] = [];
  const flush = () => {
    if (!pending.length) return;
    const bytes = Buffer.alloc(pending.length * 2);
    pending.forEach((u, i) => bytes.writeUInt16BE(u, i * 2));
    out += `&${bytes.toString('base64').replace(/=+$/, '').replace(/\//g, ',')}-`;
    pending = [];
  };
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += c === 0x26 ? '&-' : name[i];
    } else pending.push(c);
  }
  flush();
  return out;
}

/**
 * Decodes modified UTF-7; returns null when the name is not valid modified
 * UTF-7: an unterminated or empty-looking shift (`&`, `&Jjo`), characters
 * outside the base64 set (`&ZZZ-` is fine, `&Z!-` is not), an odd byte count,
 * a lone surrogate (`&2AA-`), 8-bit or control characters, or any form the
 * encoder would not write (printable ASCII inside a shift, non-zero pad bits,
 * two shifts in a row): every name has one spelling, so SELECT and DELETE
 * find what CREATE made.
 */
export function decodeMailbox(wire: string): string | null {
  // eslint-disable-next-line no-control-regex
  if (/[^\x20-\x7e]/.test(wire)) return null;
  let out = '';
  for (let i = 0; i < wire.length; i++) {
    const ch = wire[i]!;
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const end = wire.indexOf('-', i + 1);
    if (end < 0) return null;
    const b64 = wire.slice(i + 1, end);
    if (b64 === '') out += '&';
    else {
      if (!/^[A-Za-z0-9+,]+$/.test(b64)) return null;
      const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
      if (bytes.length % 2 || bytes.length === 0) return null;
      for (let j = 0; j < bytes.length; j += 2) out += String.fromCharCode(bytes.readUInt16BE(j));
    }
    i = end;
  }
  // A high surrogate must be followed by a low one, and a low one preceded by a high one.
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(out)) return null;
  return encodeMailbox(out) === wire ? out : null;
}
