import type { Session } from '../session.js';
import { inRanges, isSequenceSet, parseSequenceSet } from '../parser.js';
import { structureOf } from '../cache.js';
import { decodedHeader, decodedText } from '../mime.js';
import { ImapSyntaxError, data, no, ok, type CommandSpec, type Token } from '../types.js';
import type { MessageMeta } from '../../../emulator/store/mail.js';
import { libmime } from '../mimelibs.js';
import { parseAddresses } from '../address.js';

// SEARCH (RFC 3501 6.4.4): keys parsed into a tree, evaluated per message.
// Header keys compare decoded text (RFC 2047, ISO-2022-JP), case-insensitively;
// BODY and TEXT look at the decoded text parts.

type Key =
  | { k: 'all' }
  | { k: 'flag'; flag: string; set: boolean }
  | { k: 'header'; field: string; value: string }
  | { k: 'body' | 'text'; value: string }
  | { k: 'date'; field: 'internal' | 'sent'; op: 'before' | 'on' | 'since'; day: number }
  | { k: 'size'; op: 'larger' | 'smaller'; n: number }
  | { k: 'seq' | 'uid'; set: string; ranges?: Array<[number, number]> }
  | { k: 'not'; key: Key }
  | { k: 'or'; a: Key; b: Key }
  | { k: 'and'; keys: Key[] };

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true], DELETED: ['\\Deleted', true], DRAFT: ['\\Draft', true], FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true], UNANSWERED: ['\\Answered', false], UNDELETED: ['\\Deleted', false], UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false], UNSEEN: ['\\Seen', false], OLD: ['\\Recent', false],
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function text(t: Token | undefined, what: string): string {
  if (!t) throw new ImapSyntaxError(`missing ${what}`);
  if (t.type === 'atom') return t.value;
  if (t.type === 'string') return t.value.toString('utf8');
  // NIL is an astring like any other word here (RFC 3501 9: `SUBJECT NIL` looks for "NIL").
  if (t.type === 'nil') return 'NIL';
  throw new ImapSyntaxError(`${what} must be a string`);
}

/** A date (`1-Feb-1994`) as a UTC day number. */
function day(t: Token | undefined): number {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(text(t, 'date'));
  const month = m ? MONTHS.indexOf(m[2]!.toLowerCase()) : -1;
  if (!m || month < 0) throw new ImapSyntaxError('dates look like 1-Feb-2026');
  return Math.floor(Date.UTC(Number(m[3]), month, Number(m[1])) / 86_400_000);
}

/**
 * The day a Date header names, in its own time zone (RFC 3501 6.4.4: SENTON
 * and friends disregard time and timezone): `Sun, 25 Mar 2007 00:00:00 +0200`
 * is 25 March whatever UTC says. NaN when the header has no date.
 */
export function sentDay(header: string): number {
  const m = /(\d{1,2})\s+([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{2,4})\b/.exec(header);
  const month = m ? MONTHS.indexOf(m[2]!.toLowerCase()) : -1;
  if (!m || month < 0) {
    const time = Date.parse(header);
    return Number.isNaN(time) ? NaN : Math.floor(time / 86_400_000);
  }
  let year = Number(m[3]);
  // Two- and three-digit years (RFC 5322 4.3).
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) year += 1900;
  return Math.floor(Date.UTC(year, month, Number(m[1])) / 86_400_000);
}

const MAX_DEPTH = 64;

const ADDRESS_FIELDS = new Set(['from', 'to', 'cc', 'bcc', 'sender', 'reply-to']);
/**
 * An address header as the addresses it holds (`Name <box@host>, group:`),
 * comments and routes left out, so `FROM user@example.org` finds
 * `<user (comment)@ (comment) example.org>` (as Dovecot does).
 */
function addressText(v: string): string {
  return parseAddresses(v).map((a) => (a.host === null && a.mailbox ? `${a.mailbox}:` : a.mailbox ? `${a.name ? `${decodedHeader(a.name)} ` : ''}<${a.mailbox}@${a.host}>` : '')).join(', ');
}

function parseKey(tokens: Token[], pos: { i: number }, depth = 0): Key {
  if (depth > MAX_DEPTH) throw new ImapSyntaxError('search keys nested too deeply');
  const t = tokens[pos.i++];
  if (!t) throw new ImapSyntaxError('missing search key');
  if (t.type === 'list') {
    if (!t.items.length) throw new ImapSyntaxError('empty search key list');
    const inner = { i: 0 };
    const keys: Key[] = [];
    while (inner.i < t.items.length) keys.push(parseKey(t.items, inner, depth + 1));
    return { k: 'and', keys };
  }
  if (t.type !== 'atom') throw new ImapSyntaxError('a search key must be an atom');
  const name = t.value.toUpperCase();
  const arg = () => tokens[pos.i++];
  if (name === 'ALL') return { k: 'all' };
  if (FLAG_KEYS[name]) return { k: 'flag', flag: FLAG_KEYS[name]![0], set: FLAG_KEYS[name]![1] };
  if (name === 'RECENT') return { k: 'flag', flag: '\\Recent', set: true };
  // NEW is RECENT UNSEEN (RFC 3501 6.4.4).
  if (name === 'NEW') return { k: 'and', keys: [{ k: 'flag', flag: '\\Recent', set: true }, { k: 'flag', flag: '\\Seen', set: false }] };
  if (name === 'KEYWORD' || name === 'UNKEYWORD') return { k: 'flag', flag: text(arg(), 'keyword'), set: name === 'KEYWORD' };
  if (['BCC', 'CC', 'FROM', 'SUBJECT', 'TO'].includes(name)) return { k: 'header', field: name.toLowerCase(), value: text(arg(), name) };
  if (name === 'HEADER') return { k: 'header', field: text(arg(), 'header field').toLowerCase(), value: text(arg(), 'header value') };
  if (name === 'BODY' || name === 'TEXT') return { k: name === 'BODY' ? 'body' : 'text', value: text(arg(), name) };
  const dm = /^(SENT)?(BEFORE|ON|SINCE)$/.exec(name);
  if (dm) return { k: 'date', field: dm[1] ? 'sent' : 'internal', op: dm[2]!.toLowerCase() as 'before', day: day(arg()) };
  if (name === 'LARGER' || name === 'SMALLER') {
    const n = text(arg(), name);
    if (!/^\d{1,15}$/.test(n)) throw new ImapSyntaxError(`${name} needs a number`);
    return { k: 'size', op: name.toLowerCase() as 'larger', n: Number(n) };
  }
  if (name === 'UID') {
    const set = text(arg(), 'UID set');
    if (!isSequenceSet(set)) throw new ImapSyntaxError('invalid UID set');
    return { k: 'uid', set };
  }
  if (name === 'NOT') return { k: 'not', key: parseKey(tokens, pos, depth + 1) };
  if (name === 'OR') return { k: 'or', a: parseKey(tokens, pos, depth + 1), b: parseKey(tokens, pos, depth + 1) };
  if (isSequenceSet(t.value)) return { k: 'seq', set: t.value };
  throw new ImapSyntaxError(`unknown search key ${t.value.slice(0, 40)}`);
}

const needsHeaders = (k: Key): boolean =>
  k.k === 'header' || (k.k === 'date' && k.field === 'sent') || (k.k === 'not' && needsHeaders(k.key)) ||
  (k.k === 'or' && (needsHeaders(k.a) || needsHeaders(k.b))) || (k.k === 'and' && k.keys.some(needsHeaders));
const needsBody = (k: Key): boolean =>
  k.k === 'body' || k.k === 'text' || (k.k === 'not' && needsBody(k.key)) ||
  (k.k === 'or' && (needsBody(k.a) || needsBody(k.b))) || (k.k === 'and' && k.keys.some(needsBody));

interface Candidate { seq: number; meta: MessageMeta; flags: string[]; headers?: Record<string, string[]>; headText?: string; body?: string }

function matches(key: Key, c: Candidate, ctx: { maxSeq: number; maxUid: number }): boolean {
  switch (key.k) {
    case 'all': return true;
    case 'flag': return c.flags.some((f) => f.toLowerCase() === key.flag.toLowerCase()) === key.set;
    case 'header': {
      const values = c.headers?.[key.field] ?? [];
      if (!key.value) return values.length > 0;
      const needle = key.value.toLowerCase();
      const address = ADDRESS_FIELDS.has(key.field);
      return values.some((v) => decodedHeader(v).toLowerCase().includes(needle) || (address && addressText(v).toLowerCase().includes(needle)));
    }
    case 'body': return (c.body ?? '').toLowerCase().includes(key.value.toLowerCase());
    case 'text': return (c.body ?? '').toLowerCase().includes(key.value.toLowerCase()) || (c.headText ?? '').toLowerCase().includes(key.value.toLowerCase());
    case 'date': {
      const d = key.field === 'internal' ? Math.floor(Date.parse(c.meta.internalDate) / 86_400_000) : sentDay(c.headers?.date?.[0] ?? '');
      if (Number.isNaN(d)) return false;
      return key.op === 'before' ? d < key.day : key.op === 'on' ? d === key.day : d >= key.day;
    }
    case 'size': return key.op === 'larger' ? c.meta.size > key.n : c.meta.size < key.n;
    case 'seq': return inRanges((key.ranges ??= parseSequenceSet(key.set, ctx.maxSeq)), c.seq);
    case 'uid': return inRanges((key.ranges ??= parseSequenceSet(key.set, ctx.maxUid)), c.meta.uid);
    case 'not': return !matches(key.key, c, ctx);
    case 'or': return matches(key.a, c, ctx) || matches(key.b, c, ctx);
    case 'and': return key.keys.every((x) => matches(x, c, ctx));
  }
}

async function run(session: Session, args: Token[], uid: boolean) {
  let tokens = args;
  if (tokens[0]?.type === 'atom' && tokens[0].value.toUpperCase() === 'CHARSET') {
    const charset = text(tokens[1], 'charset').toUpperCase();
    if (charset !== 'UTF-8' && charset !== 'US-ASCII') return no(`Charset ${charset.slice(0, 30)} is not supported`, 'BADCHARSET (UTF-8 US-ASCII)');
    tokens = tokens.slice(2);
  }
  if (!tokens.length) throw new ImapSyntaxError('missing search keys');
  const pos = { i: 0 };
  const keys: Key[] = [];
  while (pos.i < tokens.length) keys.push(parseKey(tokens, pos));
  const key: Key = keys.length === 1 ? keys[0]! : { k: 'and', keys };
  const box = session.selected!;
  const metas = new Map(session.mail.messages(session.user, box.name).map((m) => [m.uid, m]));
  const wantHeaders = needsHeaders(key);
  const wantBody = needsBody(key);
  const ctx = { maxSeq: box.exists, maxUid: box.uids.length ? box.uids[box.uids.length - 1]! : 0 };
  const found: number[] = [];
  let batch = new Map<number, Buffer>();
  for (let i = 0; i < box.uids.length; i++) {
    const u = box.uids[i]!;
    const meta = metas.get(u);
    if (!meta) continue;
    const c: Candidate = { seq: i + 1, meta, flags: box.flags.has(u) ? box.flagsOf(u) : meta.flags };
    if (wantHeaders || wantBody) {
      if (i % 50 === 0) batch = session.mail.rawMany(session.user, box.name, box.uids.slice(i, i + 50));
      const raw = batch.get(u);
      if (!raw) continue;
      if (wantBody) {
        const s = await structureOf(`${session.server.store.database.id}/${session.user}/${box.name}/${box.uidValidity}/${u}`, raw);
        c.headers = s.root.headers;
        c.body = decodedText(raw, s.root);
        c.headText = Object.values(s.root.headers).flat().map(decodedHeader).join('\n');
      } else {
        const end = raw.indexOf('\r\n\r\n');
        c.headers = libmime.decodeHeaders(raw.subarray(0, end < 0 ? raw.length : end + 2).toString('latin1')) as Record<string, string[]>;
      }
    }
    if (matches(key, c, ctx)) found.push(uid ? u : i + 1);
  }
  return ok(`${uid ? 'UID ' : ''}SEARCH completed`, undefined, [data('SEARCH', ...found)]);
}

export const search: CommandSpec = {
  name: 'SEARCH', args: [{ name: 'search keys', kind: 'any', rest: true }], states: ['selected'], store: 'store', uid: true,
  handle: (session, cmd) => run(session, cmd.args, cmd.uid),
};

