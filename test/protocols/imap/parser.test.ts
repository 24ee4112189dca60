import { describe, expect, it } from 'vitest';
import { Framer, type CommandUnit, type LiteralAnnounce } from '../../../protocols/imap/framer.js';
import { parseCommand, parseSequenceSet } from '../../../protocols/imap/parser.js';
import { parseItem } from '../../../protocols/imap/commands/fetch.js';
import { serialiseTagged, serialiseUntagged } from '../../../protocols/imap/serialiser.js';
import { decodeMailbox, encodeMailbox } from '../../../protocols/imap/utf7.js';
import { literal, quoted } from '../../../protocols/imap/types.js';

// Table-driven tests of the layers below the session: framer, parser, serialiser.

function frame(input: string[], limits = { maxLineLength: 100, literalTimeoutMs: 1000 }) {
  const units: CommandUnit[] = [];
  const log: string[] = [];
  const f = new Framer(limits, {
    unit: (u) => units.push(u),
    literal: (a: LiteralAnnounce) => (a.size > 50 ? { accept: false, reply: 'TOO BIG', close: false } : { accept: true }),
    continueLiteral: () => log.push('+'),
    lineTooLong: (tag) => log.push(`long:${tag}`),
    literalTimeout: () => log.push('timeout'),
    write: (t) => log.push(t),
    close: () => log.push('close'),
  });
  for (const chunk of input) f.push(Buffer.from(chunk, 'latin1'));
  f.stop();
  return { units: units.map((u) => ({ segments: u.segments.map((s) => s.toString('latin1')), literals: u.literals.map((l) => l.toString('latin1')) })), log };
}

describe('framer', () => {
  it.each([
    ['one line', ['a NOOP\r\n'], [{ segments: ['a NOOP'], literals: [] }], []],
    ['split across chunks', ['a NO', 'OP\r', '\nb NOOP\r\n'], [{ segments: ['a NOOP'], literals: [] }, { segments: ['b NOOP'], literals: [] }], []],
    ['bare LF', ['a NOOP\n'], [{ segments: ['a NOOP'], literals: [] }], []],
    ['synchronising literal', ['a LOGIN {5}\r\n', 'alice {3}\r\nxyz\r\n'], [{ segments: ['a LOGIN {5}', ' {3}', ''], literals: ['alice', 'xyz'] }], ['+', '+']],
    ['LITERAL+ in one chunk', ['a LOGIN {5+}\r\nalice x\r\n'], [{ segments: ['a LOGIN {5+}', ' x'], literals: ['alice'] }], []],
    ['literal holding CRLF and braces', ['a APPEND X {9+}\r\n{1}\r\n\r\n\r\n\r\n'], [{ segments: ['a APPEND X {9+}', ''], literals: ['{1}\r\n\r\n\r\n'] }], []],
    ['zero-length literal', ['a LOGIN {0}\r\n x\r\n'], [{ segments: ['a LOGIN {0}', ' x'], literals: [''] }], ['+']],
    ['literal refused', ['a APPEND X {99}\r\nb NOOP\r\n'], [{ segments: ['b NOOP'], literals: [] }], ['TOO BIG']],
    ['line too long, next one served', [`a ${'x'.repeat(150)}\r\nb NOOP\r\n`], [{ segments: ['b NOOP'], literals: [] }], ['long:a']],
    ['line too long without CRLF yet', [`a ${'x'.repeat(150)}`, 'yy\r\nb NOOP\r\n'], [{ segments: ['b NOOP'], literals: [] }], ['long:a']],
  ])('%s', (_name, input, units, log) => {
    const r = frame(input);
    expect(r.units).toEqual(units);
    expect(r.log).toEqual(log);
  });
});

const unit = (line: string, literals: string[] = []): CommandUnit => {
  const segments = line.split(/(?<=\{\d+\+?\})\r\n/);
  return { segments: segments.map((s) => Buffer.from(s, 'utf8')), literals: literals.map((l) => Buffer.from(l, 'utf8')) };
};

describe('parser', () => {
  it.each([
    ['a1 NOOP', { tag: 'a1', name: 'NOOP', uid: false, args: [] }],
    ['a1 uid fetch 1:* (FLAGS)', { tag: 'a1', name: 'FETCH', uid: true, args: [{ type: 'atom', value: '1:*' }, { type: 'list', items: [{ type: 'atom', value: 'FLAGS' }] }] }],
    ['t LOGIN "al\\"ice" "p\\\\w"', { tag: 't', name: 'LOGIN', uid: false, args: [{ type: 'string', value: Buffer.from('al"ice'), literal: false }, { type: 'string', value: Buffer.from('p\\w'), literal: false }] }],
    ['t FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]<0.100> UID)', { tag: 't', name: 'FETCH', uid: false, args: [{ type: 'atom', value: '1' }, { type: 'list', items: [{ type: 'atom', value: 'BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]<0.100>' }, { type: 'atom', value: 'UID' }] }] }],
    ['t STORE 1 +FLAGS (\\Seen $Label1)', { tag: 't', name: 'STORE', uid: false, args: [{ type: 'atom', value: '1' }, { type: 'atom', value: '+FLAGS' }, { type: 'list', items: [{ type: 'atom', value: '\\Seen' }, { type: 'atom', value: '$Label1' }] }] }],
    ['t ID NIL', { tag: 't', name: 'ID', uid: false, args: [{ type: 'nil' }] }],
    ['t SEARCH (OR SEEN (FLAGGED)) ALL', { tag: 't', name: 'SEARCH', uid: false, args: [{ type: 'list', items: [{ type: 'atom', value: 'OR' }, { type: 'atom', value: 'SEEN' }, { type: 'list', items: [{ type: 'atom', value: 'FLAGGED' }] }] }, { type: 'atom', value: 'ALL' }] }],
  ])('%s', (line, expected) => {
    expect(parseCommand(unit(line))).toEqual(expected);
  });

  it('reads literals in place of strings', () => {
    expect(parseCommand(unit('a LOGIN {5}\r\n {3}\r\n', ['alice', 'x y']))).toEqual({
      tag: 'a', name: 'LOGIN', uid: false, args: [{ type: 'string', value: Buffer.from('alice'), literal: true }, { type: 'string', value: Buffer.from('x y'), literal: true }],
    });
  });

  it.each([
    ['', 'invalid tag'],
    ['a+ NOOP', 'invalid tag'],
    ['a', 'missing command'],
    ['a NOOP  x', 'empty argument'],
    ['a NOOP ', 'trailing space'],
    ['a LOGIN "unterminated', 'unterminated quoted string'],
    ['a LOGIN "bad\\escape"', 'invalid escape in quoted string'],
    ['a FETCH 1 (FLAGS', 'unterminated list'],
    ['a FETCH 1 BODY[HEADER', 'unterminated ['],
    ['a LOGIN {x}', 'invalid literal'],
    ['a 1NOOP', 'invalid command name'],
    [`a X ${'('.repeat(40)}`, 'lists nested too deeply'],
  ])('rejects %j: %s', (line, message) => {
    expect(() => parseCommand(unit(line))).toThrow(message);
  });

  it.each([
    ['1', 5, [[1, 1]]],
    ['*', 5, [[5, 5]]],
    ['2:*', 5, [[2, 5]]],
    ['*:2', 5, [[2, 5]]],
    ['4:2,7', 9, [[2, 4], [7, 7]]],
    ['9:*', 5, [[5, 9]]],
  ] as const)('sequence set %s (max %d)', (text, max, ranges) => {
    expect(parseSequenceSet(text, max)).toEqual(ranges);
  });

  it.each(['0', '1:0', '1,,2', 'a', '1:2:3', '', '01'])('rejects sequence set %j', (text) => {
    expect(() => parseSequenceSet(text, 5)).toThrow();
  });

  it.each([
    ['BODY[]', { name: 'BODY[]', peek: false, part: [], what: '', partial: null }],
    ['BODY.PEEK[1.2.MIME]', { name: 'BODY[1.2.MIME]', peek: true, part: [1, 2], what: 'MIME' }],
    ['body.peek[header.fields (subject "From")]<5.10>', { name: 'BODY[HEADER.FIELDS (SUBJECT FROM)]', peek: true, what: 'FIELDS', fields: ['subject', 'From'], partial: [5, 10] }],
    ['BODY[2.TEXT]', { name: 'BODY[2.TEXT]', part: [2], what: 'TEXT' }],
  ])('FETCH item %s', (text, expected) => {
    expect(parseItem(text)).toMatchObject({ kind: 'section', ...expected });
  });

  it.each(['BODY[0]', 'BODY[MIME]', 'BODY[]<1.0>', 'BODY[HEADER.FIELDS]', 'BODYX', 'BODY[TEXT (A)]'])('rejects FETCH item %s', (text) => {
    expect(() => parseItem(text)).toThrow();
  });
});

describe('serialiser and mailbox names', () => {
  it('writes quoted strings with escapes, literals with their byte count, NIL and lists', () => {
    expect(serialiseUntagged({ kind: 'data', values: [1, 'FETCH', ['X', quoted('a"b\\c'), null, literal(Buffer.from('日本', 'utf8'))]] }).toString('utf8'))
      .toBe('* 1 FETCH (X "a\\"b\\\\c" NIL {6}\r\n日本)\r\n');
    expect(serialiseTagged('a1', { status: 'NO', code: 'TRYCREATE', text: 'no' }).toString()).toBe('a1 NO [TRYCREATE] no\r\n');
    expect(serialiseTagged('a1', { exact: 'NO LOGIN failed:Server is busy' }).toString()).toBe('a1 NO LOGIN failed:Server is busy\r\n');
  });

  it.each([
    ['INBOX', 'INBOX'],
    ['受信メール', '&U9dP4TDhMPww6w-'],
    ['a&b', 'a&-b'],
    ['日本語/2026', '&ZeVnLIqe-/2026'],
  ])('modified UTF-7 %s <-> %s', (name, wire) => {
    expect(encodeMailbox(name)).toBe(wire);
    expect(decodeMailbox(wire)).toBe(name);
  });

  it('rejects broken modified UTF-7', () => {
    expect(decodeMailbox('&ZeVn')).toBeNull();
    expect(decodeMailbox('&!!-')).toBeNull();
  });
});
