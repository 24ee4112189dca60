// Table-driven tests of the layers below the session: framer, parser, serialiser, options.
import { describe, expect, it } from 'vitest';
import { LineFramer } from '../../../protocols/pop3/framer.js';
import { lineCount, messageNumber, parseCommand } from '../../../protocols/pop3/parser.js';
import { fromLine, normaliseLineEnds, serialise, stuffBody, topOf, wireSize } from '../../../protocols/pop3/replies.js';
import { pop3Options, DEFAULT_AUTOLOGOUT_MS, DEFAULT_LOGIN_DETAIL } from '../../../protocols/pop3/options.js';

const lines = (items: ReturnType<LineFramer['push']>) => items.map((i) => (i.kind === 'line' ? i.line.toString('latin1') : '<too-long>'));

describe('pop3 framer', () => {
  it('splits CRLF and bare LF lines, across chunks', () => {
    const f = new LineFramer(20);
    expect(lines(f.push(Buffer.from('USER al')))).toEqual([]);
    expect(lines(f.push(Buffer.from('ice\r\nPASS x\nST')))).toEqual(['USER alice', 'PASS x']);
    expect(lines(f.push(Buffer.from('AT\r\n')))).toEqual(['STAT']);
  });
  it('accepts a line of exactly the limit with its CRLF and reports a longer one once, then recovers', () => {
    const f = new LineFramer(10);
    expect(lines(f.push(Buffer.from('12345678\r\n')))).toEqual(['12345678']);
    expect(lines(f.push(Buffer.from('123456789\r\nNOOP\r\n')))).toEqual(['<too-long>', 'NOOP']);
    // A flood without a line end: reported once, nothing kept, then the next line is read.
    expect(lines(f.push(Buffer.alloc(1000, 0x41)))).toEqual(['<too-long>']);
    expect(lines(f.push(Buffer.alloc(1000, 0x41)))).toEqual([]);
    expect(lines(f.push(Buffer.from('AAA\r\nQUIT\r\n')))).toEqual(['QUIT']);
  });
});

describe('pop3 parser', () => {
  it.each([
    ['STAT', { verb: 'STAT', args: [] }],
    ['list 3', { verb: 'LIST', args: ['3'] }],
    ['TOP 1 10', { verb: 'TOP', args: ['1', '10'] }],
    ['PASS two words', { verb: 'PASS', args: ['two', 'words'] }],
  ])('%s', (line, expected) => {
    const r = parseCommand(Buffer.from(line));
    expect(r.ok && { verb: r.command.verb, args: r.command.args }).toEqual(expected);
  });
  it('keeps the rest of the line for PASS, including spaces and UTF-8', () => {
    const r = parseCommand(Buffer.from('PASS  pä ss '));
    expect(r.ok && r.command.rest).toBe(' pä ss ');
    expect(r.ok && r.command.printable).toBe(false);
  });
  it.each([[''], ['\x00\xff\x01'], ['12 34'], ['TOOLONGKEYWORD']])('refuses %j', (line) => {
    expect(parseCommand(Buffer.from(line, 'latin1')).ok).toBe(false);
  });
  it('message numbers and line counts', () => {
    expect([messageNumber('1'), messageNumber('0'), messageNumber('-1'), messageNumber('01'), messageNumber('1x'), messageNumber('1234567890')]).toEqual([1, null, null, null, null, null]);
    expect([lineCount('0'), lineCount('10'), lineCount('-1'), lineCount('')]).toEqual([0, 10, null, null]);
  });
});

describe('pop3 serialiser', () => {
  it('byte-stuffs lines that start with a dot and terminates', () => {
    expect(stuffBody(Buffer.from('.a\r\nb\r\n.\r\n..c\r\n')).toString()).toBe('..a\r\nb\r\n..\r\n...c\r\n.\r\n');
    expect(stuffBody(Buffer.from('no final line end')).toString()).toBe('no final line end\r\n.\r\n');
    expect(stuffBody(Buffer.alloc(0)).toString()).toBe('.\r\n');
  });
  it('writes status lines and multi-line replies', () => {
    expect(serialise({ ok: true, text: '2 320' }).toString()).toBe('+OK 2 320\r\n');
    expect(serialise({ ok: true, text: '' }).toString()).toBe('+OK\r\n');
    expect(serialise({ ok: false, text: 'no such message 9' }).toString()).toBe('-ERR no such message 9\r\n');
    expect(serialise({ ok: true, text: 'x', lines: ['1 100', '2 200'] }).toString()).toBe('+OK x\r\n1 100\r\n2 200\r\n.\r\n');
    expect(serialise({ ok: true, text: 'x', lines: [] }).toString()).toBe('+OK x\r\n.\r\n');
    // An error never carries a body.
    expect(serialise({ ok: false, text: 'x', lines: ['a'] }).toString()).toBe('-ERR x\r\n');
  });
  it('turns a catalog line into a reply and back, byte for byte', () => {
    for (const line of ['-ERR unable to lock maildrop', '-ERR [IN-USE] unable to lock maildrop', '+OK']) {
      expect(serialise(fromLine(line)).toString()).toBe(`${line}\r\n`);
    }
    expect(() => fromLine('ERR x')).toThrow();
  });
  it('normalises bare LF to CRLF and counts the wire size', () => {
    const raw = Buffer.from('a\nb\r\nc\n');
    expect(normaliseLineEnds(raw).toString()).toBe('a\r\nb\r\nc\r\n');
    expect(wireSize(raw)).toBe(normaliseLineEnds(raw).length);
    const crlf = Buffer.from('a\r\nb\r\n');
    expect(normaliseLineEnds(crlf)).toBe(crlf);
  });
  it('TOP keeps the header, the blank line and n body lines', () => {
    const m = Buffer.from('A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3');
    expect(topOf(m, 0).toString()).toBe('A: 1\r\nB: 2\r\n\r\n');
    expect(topOf(m, 2).toString()).toBe('A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n');
    expect(topOf(m, 99).toString()).toBe(m.toString());
  });
});

describe('pop3 options', () => {
  it('has documented defaults', () => {
    const o = pop3Options(undefined);
    expect(o.autologoutMs).toBe(DEFAULT_AUTOLOGOUT_MS);
    expect(o.autologoutMs).toBeGreaterThanOrEqual(600_000); // RFC 1939: at least 10 minutes
    expect(o.loginDetail).toBe(DEFAULT_LOGIN_DETAIL);
    expect(o.quitAfterDeleVariant).toBe('plain');
  });
  it.each([
    [{ autologoutMs: -1 }, /autologoutMs must be an integer/],
    [{ maxConnections: 'x' }, /maxConnections/],
    [{ loginDetail: 'a\r\nb' }, /loginDetail/],
    [{ quitAfterDeleVariant: 'loud' }, /quitAfterDeleVariant/],
    [{ maxLineLength: 100 }, /maxLineLength must be an integer from 255/],
    [{ nope: 1 }, /unknown option "nope"/],
    ['string', /must be a mapping/],
  ])('refuses %j', (input, message) => {
    expect(() => pop3Options(input)).toThrow(message);
  });
});
