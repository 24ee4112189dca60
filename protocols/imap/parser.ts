import type { CommandUnit } from './framer.js';
import { ArgumentRefused, ImapSyntaxError, type ArgSpec, type ParsedCommand, type Token } from './types.js';
import { decodeMailbox } from './utf7.js';

// Command unit -> typed tree (RFC 3501 9). Quoted strings with `\\` and `\"`
// escapes, `{n}` / `{n+}` literals, parenthesised lists, and atoms; after
// `BODY` / `BODY.PEEK` a `[` runs to its matching `]`
// (`BODY[HEADER.FIELDS (SUBJECT)]<0.10>`); anywhere else `[` is an atom character.

const TAG = /^[\x21-\x7e]+$/;
/** Fetch attributes whose `[section]` may hold spaces and lists. */
const SECTION_ATOM = /^BODY(\.PEEK)?$/i;
const TAG_FORBIDDEN = /[(){%*"\\+]/;

class Cursor {
  seg = 0;
  pos = 0;
  constructor(private readonly unit: CommandUnit) {}

  private get text(): Buffer {
    return this.unit.segments[this.seg]!;
  }

  peek(): number | null {
    return this.pos < this.text.length ? this.text[this.pos]! : null;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length && this.seg === this.unit.segments.length - 1;
  }

  /** At a literal marker `{n}` that ends this segment? */
  literalHere(): boolean {
    return this.peek() === 0x7b && this.seg < this.unit.literals.length && /^\{\d+\+?\}$/.test(this.text.subarray(this.pos).toString('latin1'));
  }

  takeLiteral(): Buffer {
    const lit = this.unit.literals[this.seg]!;
    this.seg++;
    this.pos = 0;
    return lit;
  }

  next(): number {
    return this.text[this.pos++]!;
  }

  rest(): string {
    return this.text.subarray(this.pos).toString('latin1');
  }
}

function fail(message: string): never {
  throw new ImapSyntaxError(message);
}

/** Splits off the tag, for replies to units that do not parse. */
export function tagOfUnit(unit: CommandUnit): string | null {
  const line = unit.segments[0]!.toString('latin1');
  const sp = line.indexOf(' ');
  const tag = sp < 0 ? line : line.slice(0, sp);
  return tag && TAG.test(tag) && !TAG_FORBIDDEN.test(tag) ? tag : null;
}

export function parseCommand(unit: CommandUnit): ParsedCommand {
  const c = new Cursor(unit);
  const tag = readWord(c);
  if (!tag || !TAG.test(tag) || TAG_FORBIDDEN.test(tag)) fail('invalid tag');
  if (c.peek() !== 0x20) fail('missing command');
  c.next();
  let name = readWord(c).toUpperCase();
  if (!/^[A-Z][A-Z0-9.-]*$/.test(name)) fail('invalid command name');
  let uid = false;
  if (name === 'UID') {
    if (c.peek() !== 0x20) fail('UID needs a command');
    c.next();
    name = readWord(c).toUpperCase();
    uid = true;
  }
  const args: Token[] = [];
  while (!c.atEnd()) {
    if (c.peek() !== 0x20) fail(`unexpected character in command line`);
    c.next();
    if (c.atEnd()) fail('trailing space');
    args.push(readToken(c, 0));
  }
  return { tag, name, uid, args };
}

function readWord(c: Cursor): string {
  let out = '';
  while (c.peek() !== null && c.peek() !== 0x20) out += String.fromCharCode(c.next());
  return out;
}

function readToken(c: Cursor, depth: number): Token {
  if (depth > 16) fail('lists nested too deeply');
  const ch = c.peek();
  if (ch === null) fail('missing argument');
  if (ch === 0x28) {
    c.next();
    const items: Token[] = [];
    for (;;) {
      const p = c.peek();
      if (p === null) fail('unterminated list');
      if (p === 0x29) {
        c.next();
        break;
      }
      if (items.length) {
        if (p !== 0x20) fail('expected space in list');
        c.next();
      }
      items.push(readToken(c, depth + 1));
    }
    return { type: 'list', items };
  }
  if (ch === 0x22) return { type: 'string', value: readQuoted(c), literal: false };
  if (c.literalHere()) return { type: 'string', value: c.takeLiteral(), literal: true };
  if (ch === 0x7b) fail('invalid literal');
  return readAtom(c);
}

function readQuoted(c: Cursor): Buffer {
  c.next();
  const bytes: number[] = [];
  for (;;) {
    const b = c.peek();
    if (b === null) fail('unterminated quoted string');
    c.next();
    if (b === 0x22) break;
    if (b === 0x5c) {
      const e = c.peek();
      if (e !== 0x22 && e !== 0x5c) fail('invalid escape in quoted string');
      bytes.push(c.next());
      continue;
    }
    bytes.push(b);
  }
  return Buffer.from(bytes);
}

function readAtom(c: Cursor): Token {
  let out = '';
  for (;;) {
    const b = c.peek();
    if (b === null || b === 0x20 || b === 0x29) break;
    if (b === 0x28 || b === 0x22 || b === 0x7b || b < 0x20 || b === 0x7f) fail('invalid character in atom');
    if (b === 0x5b && SECTION_ATOM.test(out)) {
      // A section: runs to the matching `]`, spaces and lists included.
      let level = 0;
      for (;;) {
        const x = c.peek();
        if (x === null) fail('unterminated [');
        c.next();
        out += String.fromCharCode(x);
        if (x === 0x5b) level++;
        else if (x === 0x5d && --level === 0) break;
      }
      continue;
    }
    out += String.fromCharCode(c.next());
  }
  if (!out) fail('empty argument');
  if (out.toUpperCase() === 'NIL') return { type: 'nil' };
  return { type: 'atom', value: out };
}

// ---- the argument schema, checked once in dispatch ---------------------------

const KIND_TEXT: Record<ArgSpec['kind'], string> = {
  astring: 'a string', mailbox: 'a mailbox name', pattern: 'a mailbox pattern', atom: 'an atom', 'sequence-set': 'a sequence set',
  list: 'a parenthesised list', literal: 'a literal', any: 'an argument',
};

/** Checks a command's arguments against its schema: BAD (ImapSyntaxError) or NO (ArgumentRefused) on a mismatch. */
export function checkArgs(specs: readonly ArgSpec[], args: Token[], command: string): void {
  const rest = specs[specs.length - 1]?.rest ? specs[specs.length - 1]! : null;
  const min = specs.filter((s) => !s.optional).length;
  const max = rest ? Infinity : specs.length;
  const usage = () => `${command}${specs.map((s) => ` ${s.optional ? '[' : '<'}${s.name}${s.rest ? '...' : ''}${s.optional ? ']' : '>'}`).join('')}`;
  if (args.length < min) fail(`missing arguments: ${usage()}`);
  if (args.length > max) fail(`too many arguments: ${usage()}`);
  args.forEach((t, i) => {
    const spec = specs[Math.min(i, specs.length - 1)]!;
    if (spec.kind === 'sequence-set' && t.type === 'atom' && !fits(spec, t)) fail(`invalid sequence set ${JSON.stringify(t.value.slice(0, 60))}`);
    if (!fits(spec, t)) fail(`${spec.name} must be ${KIND_TEXT[spec.kind]}: ${usage()}`);
    if (spec.kind === 'mailbox') mailboxName(t);
  });
}

function fits(spec: ArgSpec, t: Token): boolean {
  switch (spec.kind) {
    case 'astring':
    case 'mailbox':
    case 'pattern':
      return t.type === 'atom' || t.type === 'string' || t.type === 'nil';
    case 'atom':
      return t.type === 'atom';
    case 'sequence-set':
      return t.type === 'atom' && isSequenceSet(t.value);
    case 'list':
      return t.type === 'list';
    case 'literal':
      return t.type === 'string' && t.literal;
    case 'any':
      return true;
  }
}

/**
 * A mailbox argument as the store names it (Unicode): modified UTF-7 on the
 * wire (RFC 3501 5.1.3), or 8-bit UTF-8 in a literal or quoted string as some
 * clients send; INBOX in any case. A name that is neither is refused with NO.
 */
export function mailboxName(t: Token | undefined): string {
  const wire = astring(t, 'mailbox name');
  const bytes = t && t.type === 'string' ? t.value : t && t.type === 'atom' ? Buffer.from(t.value, 'latin1') : Buffer.from(wire);
  let name: string | null;
  // eslint-disable-next-line no-control-regex
  if (/[\x80-\xff]/.test(bytes.toString('latin1'))) {
    const text = bytes.toString('utf8');
    name = Buffer.from(text, 'utf8').equals(bytes) ? text : null;
  } else name = decodeMailbox(wire);
  if (name === null) throw new ArgumentRefused('Mailbox name is not valid modified UTF-7', 'CANNOT');
  return name.toUpperCase() === 'INBOX' ? 'INBOX' : name;
}

// ---- argument helpers for command handlers ---------------------------------

/** An astring (atom, quoted or literal) as text; UTF-8 for literals and 8-bit. */
export function astring(t: Token | undefined, what: string): string {
  if (!t) fail(`missing ${what}`);
  if (t.type === 'atom') return t.value;
  if (t.type === 'string') return t.value.toString('utf8');
  if (t.type === 'nil') return 'NIL';
  fail(`${what} must be a string`);
}

export function atom(t: Token | undefined, what: string): string {
  if (!t || t.type !== 'atom') fail(`missing or invalid ${what}`);
  return t.value;
}

export function list(t: Token | undefined, what: string): Token[] {
  if (!t || t.type !== 'list') fail(`${what} must be a parenthesised list`);
  return t.items;
}

/** A sequence set (RFC 3501 9: `1,3:5,7:*`) as ranges; `*` is `max` (the largest number in use). */
export function parseSequenceSet(text: string, max: number): Array<[number, number]> {
  if (!isSequenceSet(text)) fail(`invalid sequence set ${JSON.stringify(text)}`);
  const out: Array<[number, number]> = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split(':') as [string, string | undefined];
    if (a === '0' || b === '0' || /^0\d/.test(a) || (b && /^0\d/.test(b))) fail('0 is not a valid message number');
    const from = a === '*' ? max : Number(a);
    const to = b === undefined ? from : b === '*' ? max : Number(b);
    out.push([Math.min(from, to), Math.max(from, to)]);
  }
  return out;
}

export const inRanges = (ranges: Array<[number, number]>, n: number): boolean => ranges.some(([lo, hi]) => n >= lo && n <= hi);

/** Checks sequence-set syntax only (for SEARCH keys evaluated later). */
export function isSequenceSet(text: string): boolean {
  return /^(\d+|\*)(:(\d+|\*))?(,(\d+|\*)(:(\d+|\*))?)*$/.test(text);
}
