// What changes from one session to the next although the server behaves the
// same: greeting timestamps, UIDVALIDITY, dates, message sizes and contents.
// A recorded reply line becomes a regular expression in which these parts
// are patterns and the rest is literal; a line with none of them stays exact.

export interface Patterned {
  /** A regular expression (flag `u`) matching the line. */
  regex: string;
  /** Whether any part of the line was volatile. */
  volatile: boolean;
}

/** Escapes a text for a `u`-flag regular expression (only the syntax characters may be escaped there). */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** The rules, in order: what they find, and the pattern that replaces it. */
const RULES: Array<{ name: string; find: RegExp; pattern: (m: RegExpExecArray) => string }> = [
  // POP3 APOP timestamp in the greeting: <1234.5678@host>
  { name: 'greeting timestamp', find: /<[^<>\s@]+@[^<>\s]+>/g, pattern: () => '<[^<>\\s]+>' },
  // IMAP INTERNALDATE: "30-Nov-2026 07:44:10 +0000"
  { name: 'date', find: /\b\d{1,2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}\b/g, pattern: () => '\\d{1,2}-[A-Z][a-z]{2}-\\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}' },
  // RFC 5322 dates: Mon, 30 Nov 2026 07:44:10 +0000
  {
    name: 'date', find: /\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|GMT|UT|[A-Z]{3})\b/g,
    pattern: () => '(?:[A-Z][a-z]{2}, )?\\d{1,2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}(?::\\d{2})? (?:[+-]\\d{4}|[A-Z]{2,3})',
  },
  // ISO 8601 date-times: 2026-11-30T07:44:10.123Z
  { name: 'date', find: /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g, pattern: () => '\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d+)?)?(?:Z|[+-]\\d{2}:?\\d{2})?' },
  // IMAP: UIDVALIDITY and HIGHESTMODSEQ are chosen by the server; RFC822.SIZE and literal sizes follow the message.
  { name: 'UIDVALIDITY', find: /\b(UIDVALIDITY|HIGHESTMODSEQ) \d+/g, pattern: (m) => `${m[1]} \\d+` },
  // UIDPLUS answers carry the UIDVALIDITY too: [APPENDUID 1796028877 4], [COPYUID 1796028877 1:2 5:6]
  { name: 'UIDVALIDITY', find: /\[(APPENDUID|COPYUID) \d+ /g, pattern: (m) => `\\[${m[1]} \\d+ ` },
  // IMAP ID (RFC 2971): the server's release, build date and OS version change with an upgrade, not with its behaviour.
  {
    name: 'server version', find: /(?<=^\* ID \(.*)"(version|os-version|date)" "(?:[^"\\]|\\.)*"/gi,
    pattern: (m) => `"${escapeRegex(m[1]!)}" "(?:[^"\\\\]|\\\\.)*"`,
  },
  // IMAP \Recent belongs to the first session that sees a message: another client (or an earlier run) changes it.
  { name: 'recent count', find: /^\* \d+ RECENT$/g, pattern: () => '\\* \\d+ RECENT' },
  {
    name: 'recent flag', find: /(?<=FETCH \([^\r\n]*)\bFLAGS \(([^()]*)\)/g,
    pattern: (m) => {
      const flags = m[1]!.split(' ').filter((f) => f && f !== '\\Recent').map(escapeRegex);
      return flags.length ? `FLAGS \\((?:\\\\Recent )?${flags.join(' (?:\\\\Recent )?')}(?: \\\\Recent)?\\)` : 'FLAGS \\((?:\\\\Recent)?\\)';
    },
  },
  { name: 'message size', find: /\bRFC822\.SIZE \d+/g, pattern: () => 'RFC822\\.SIZE \\d+' },
  { name: 'message size', find: /\(\d+ octets\)/g, pattern: () => '\\(\\d+ octets\\)' },
  // SMTP: the queue id an MTA gives an accepted message (Postfix `queued as 4F3A21C0A2`, Exim `id=1kXyZ-000abc-Q1`,
  // Sendmail `250 2.0.0 0AUAbcd123456 Message accepted for delivery`).
  { name: 'queue id', find: /\bqueued as [^\s;,)]+/g, pattern: () => 'queued as [^\\s;,)]+' },
  { name: 'queue id', find: /\bid=[^\s;,)]+/g, pattern: () => 'id=[^\\s;,)]+' },
  { name: 'queue id', find: /(?<=^250 2\.0\.0 )\S+(?= Message accepted for delivery)/g, pattern: () => '\\S+' },
];

/** POP3 lines whose second number is a size: `+OK 3 1073` (STAT, LIST n) and `1 387` (a LIST line). */
const POP3_SIZE = /^(\+OK \d+|\d+) \d+$/;

/** POP3 UIDL lines: `+OK 1 1796024932.1`, `1 1796024932.1` (the server chooses the unique ids). */
const POP3_UIDL = /^(\+OK \d+|\d+) \S+$/;

/**
 * A reply line as a pattern. `sizes` says the line is a POP3 STAT/LIST answer or LIST line (its second
 * number is a size), `uids` a UIDL answer or line (its second word is the server's unique id).
 */
export function patternLine(line: string, opts: { sizes?: boolean; uids?: boolean } = {}): Patterned {
  if (opts.sizes) {
    const m = POP3_SIZE.exec(line);
    if (m) return { regex: `${escapeRegex(m[1]!)} \\d+`, volatile: true };
  }
  if (opts.uids) {
    const m = POP3_UIDL.exec(line);
    if (m) return { regex: `${escapeRegex(m[1]!)} \\S+`, volatile: true };
  }
  // IMAP literals: the size is volatile and the content is data (the message), not the server's behaviour.
  const parts = line.split(/\{\d+\+?\}\r\n/);
  if (parts.length > 1) {
    const out: string[] = [patternText(parts[0]!).regex];
    for (const rest of parts.slice(1)) out.push(`\\{\\d+\\}\\r\\n[\\s\\S]*?${tail(rest)}`);
    return { regex: out.join(''), volatile: true };
  }
  return patternText(line);
}

/** After a literal's content: the rest of the line from its last `)` or ` UID n)` on, if any (the content itself may hold anything). */
function tail(rest: string): string {
  const m = /\)[^)\r\n]*$/.exec(rest);
  return m ? patternText(m[0]).regex : '';
}

function patternText(text: string): Patterned {
  type Hit = { start: number; end: number; pattern: string };
  const hits: Hit[] = [];
  for (const rule of RULES) {
    rule.find.lastIndex = 0;
    for (let m = rule.find.exec(text); m; m = rule.find.exec(text)) {
      const hit = { start: m.index, end: m.index + m[0].length, pattern: rule.pattern(m) };
      if (!hits.some((h) => hit.start < h.end && h.start < hit.end)) hits.push(hit);
    }
  }
  if (!hits.length) return { regex: escapeRegex(text), volatile: false };
  hits.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const h of hits) {
    out += escapeRegex(text.slice(at, h.start)) + h.pattern;
    at = h.end;
  }
  return { regex: out + escapeRegex(text.slice(at)), volatile: true };
}
