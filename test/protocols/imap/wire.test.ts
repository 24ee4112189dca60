import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSite, tempDir } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { Wire, loggedIn } from './wire.js';

// Raw-socket tests: exact lines for the parser's edge cases and the limits.

const CAPS = 'IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE SPECIAL-USE CHILDREN';

let emu: Emulator;
let port: number;
const open: Wire[] = [];
const track = (w: Wire) => (open.push(w), w);

beforeAll(async () => {
  emu = await startTestSite({ services: { imap: { maxLiteralSize: 100_000, maxLineLength: 2000, literalTimeoutMs: 300 } } });
  port = emu.endpoints.servers[0]!.imap!;
  emu.site.createUser({ name: 'carol', password: 'p"q\\r', displayName: 'carol' });
});

afterAll(async () => {
  for (const w of open) w.close();
  await emu.stop();
});

describe('greeting and login', () => {
  it('greets with its capabilities and logs in with synchronising literals', async () => {
    const w = track(await Wire.open(port));
    expect(await w.until('\r\n')).toBe(`* OK [CAPABILITY ${CAPS} STARTTLS AUTH=PLAIN] twsv01 IMAP4rev1 server ready\r\n`);
    let from = w.mark();
    w.send('a1 LOGIN {5}\r\n');
    expect(await w.until('\r\n', 5000, from)).toBe('+ Ready for literal data\r\n');
    from = w.mark();
    w.send('alice {8}\r\n');
    expect(await w.until('\r\n', 5000, from)).toBe('+ Ready for literal data\r\n');
    from = w.mark();
    w.send('teamware\r\n');
    expect(await w.lines('a1', from)).toEqual([`a1 OK [CAPABILITY ${CAPS}] LOGIN completed`]);
  });

  it('takes LITERAL+ literals without a continuation', async () => {
    const w = track(await Wire.open(port));
    await w.until('\r\n');
    const from = w.mark();
    w.send('a2 LOGIN {5+}\r\nalice "teamware"\r\n');
    expect(await w.lines('a2', from)).toEqual([`a2 OK [CAPABILITY ${CAPS}] LOGIN completed`]);
  });

  it('reads quoted strings with \\" and \\\\ escapes', async () => {
    const w = track(await Wire.open(port));
    await w.until('\r\n');
    expect(await w.cmd('q1', 'LOGIN carol "p\\"q\\\\r"')).toEqual([`q1 OK [CAPABILITY ${CAPS}] LOGIN completed`]);
    const w2 = track(await Wire.open(port));
    await w2.until('\r\n');
    expect(await w2.cmd('q2', 'LOGIN carol "p\\q"')).toEqual(['q2 BAD Syntax error: invalid escape in quoted string']);
  });

  it('AUTHENTICATE PLAIN with SASL-IR and with a continuation; bad password is NO', async () => {
    const w = track(await Wire.open(port));
    await w.until('\r\n');
    const good = Buffer.from('\0alice\0teamware').toString('base64');
    expect(await w.cmd('p1', `AUTHENTICATE PLAIN ${good}`)).toEqual([`p1 OK [CAPABILITY ${CAPS}] AUTHENTICATE completed`]);
    const w2 = track(await Wire.open(port));
    await w2.until('\r\n');
    const from = w2.mark();
    w2.send('p2 AUTHENTICATE PLAIN\r\n');
    expect(await w2.until('\r\n', 5000, from)).toBe('+ \r\n');
    const from2 = w2.mark();
    w2.send(`${Buffer.from('\0alice\0wrong').toString('base64')}\r\n`);
    expect(await w2.lines('p2', from2)).toEqual(['p2 NO [AUTHENTICATIONFAILED] Authentication failed']);
  });
});

describe('commands and states', () => {
  it('answers commands in the wrong state, unknown commands and garbage with BAD, and keeps going', async () => {
    const w = track(await Wire.open(port));
    await w.until('\r\n');
    expect(await w.cmd('x1', 'SELECT INBOX')).toEqual(['x1 BAD SELECT is not valid in the not-authenticated state; log in first']);
    expect(await w.cmd('x2', 'FROBNICATE')).toEqual(['x2 BAD Unknown command FROBNICATE']);
    let from = w.mark();
    w.send('\x00\x01\xff garbage (\r\n');
    expect(await w.until('\r\n', 5000, from)).toMatch(/^\* BAD Syntax error: /);
    from = w.mark();
    w.send('x3 LOGIN alice\r\n');
    expect(await w.lines('x3', from)).toEqual(['x3 BAD Syntax error: missing arguments: LOGIN <user name> <password>']);
    expect(await w.cmd('x4', 'LOGIN alice teamware')).toEqual([`x4 OK [CAPABILITY ${CAPS}] LOGIN completed`]);
    expect(await w.cmd('x5', 'FETCH 1 FLAGS')).toEqual(['x5 BAD FETCH is not valid in the authenticated state; select a mailbox first']);
    expect(await w.cmd('x6', 'LOGIN alice teamware')).toEqual(['x6 BAD LOGIN is not valid in the authenticated state; already logged in']);
    expect(await w.cmd('x7', 'NOOP')).toEqual(['x7 OK NOOP completed']);
  });

  it('SELECT reports the mailbox; FETCH with partial ranges and header fields gives exact literals', async () => {
    const w = track(await loggedIn(port, 'bob'));
    const sel = await w.cmd('s1', 'EXAMINE INBOX');
    const validity = emu.site.homeStore('bob').mail.folder('bob', 'INBOX')!.uidValidity;
    expect(sel).toEqual([
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)', '* OK [PERMANENTFLAGS ()] Flags permitted', '* 3 EXISTS', '* 3 RECENT',
      '* OK [UNSEEN 1] First unseen', `* OK [UIDVALIDITY ${validity}] UIDs valid`, '* OK [UIDNEXT 4] Predicted next UID', 's1 OK [READ-ONLY] EXAMINE completed',
    ]);
    expect(await w.cmd('f1', 'FETCH 2 BODY.PEEK[]<0.10>')).toEqual(['* 2 FETCH (BODY[]<0> {10}', 'From: alic)', 'f1 OK FETCH completed']);
    expect(await w.cmd('f2', 'FETCH 2 (BODY.PEEK[HEADER.FIELDS (Subject)])')).toEqual([
      '* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {30}', 'Subject: Quarterly figures', '', ')', 'f2 OK FETCH completed']);
    // A partial range past the end is empty; one that overlaps the end is cut.
    expect(await w.cmd('f3', 'FETCH 2 BODY.PEEK[TEXT]<70.100>')).toEqual(['* 2 FETCH (BODY[TEXT]<70> {9}', ' above.', ')', 'f3 OK FETCH completed']);
    expect(await w.cmd('f4', 'FETCH 2 BODY.PEEK[1]<9999.5>')).toEqual(['* 2 FETCH (BODY[1]<9999> {0}', ')', 'f4 OK FETCH completed']);
    const size = emu.site.homeStore('bob').mail.raw('bob', 'INBOX', 2)!.length;
    expect(await w.cmd('f5', 'FETCH 2 (UID RFC822.SIZE FLAGS)')).toEqual([`* 2 FETCH (UID 2 RFC822.SIZE ${size} FLAGS (\\Recent))`, 'f5 OK FETCH completed']);
  });

  it('resolves sequence sets with * and reversed ranges; rejects 0 and numbers past the end', async () => {
    const w = track(await loggedIn(port, 'bob'));
    await w.cmd('s1', 'EXAMINE INBOX');
    expect(await w.cmd('n1', 'FETCH *:2 (UID)')).toEqual(['* 2 FETCH (UID 2)', '* 3 FETCH (UID 3)', 'n1 OK FETCH completed']);
    expect(await w.cmd('n2', 'FETCH 1,3:* UID')).toEqual(['* 1 FETCH (UID 1)', '* 3 FETCH (UID 3)', 'n2 OK FETCH completed']);
    expect(await w.cmd('n3', 'UID FETCH 100:* (FLAGS)')).toEqual(['* 3 FETCH (UID 3 FLAGS (\\Recent))', 'n3 OK UID FETCH completed']);
    expect(await w.cmd('n4', 'UID FETCH 50:60 (FLAGS)')).toEqual(['n4 OK UID FETCH completed']);
    expect(await w.cmd('n5', 'FETCH 0 (UID)')).toEqual(['n5 BAD Syntax error: 0 is not a valid message number']);
    expect(await w.cmd('n6', 'FETCH 9 (UID)')).toEqual(['n6 BAD Syntax error: message number 9 does not exist (the mailbox has 3)']);
    expect(await w.cmd('n7', 'FETCH 1:x (UID)')).toEqual(['n7 BAD Syntax error: invalid sequence set "1:x"']);
    expect(await w.cmd('n8', 'SEARCH 2:* NOT 3')).toEqual(['* SEARCH 2', 'n8 OK SEARCH completed']);
    expect(await w.cmd('n9', `SEARCH ${'NOT '.repeat(100)}ALL`)).toEqual(['n9 BAD Syntax error: search keys nested too deeply']);
    expect(await w.cmd('m1', 'SEARCH OR (SEEN) (UNSEEN LARGER 300) UID 1:2,3')).toEqual(['* SEARCH 1 2 3', 'm1 OK SEARCH completed']);
    expect(await w.cmd('m2', 'SEARCH SMALLER 1000 SINCE 1-Jan-2000 SENTBEFORE 1-Jan-2100 HEADER Message-ID demo-bob-jis')).toEqual(['* SEARCH 3', 'm2 OK SEARCH completed']);
  });

  it('SEARCH decodes Japanese subjects (UTF-8 and ISO-2022-JP) given as a UTF-8 literal', async () => {
    const w = track(await loggedIn(port, 'bob'));
    await w.cmd('s1', 'EXAMINE INBOX');
    const word = Buffer.from('会議室', 'utf8');
    let from = w.mark();
    w.send(`j1 SEARCH CHARSET UTF-8 SUBJECT {${word.length}+}\r\n`);
    w.send(Buffer.concat([word, Buffer.from('\r\n')]));
    expect(await w.lines('j1', from)).toEqual(['* SEARCH 3', 'j1 OK SEARCH completed']);
    const report = Buffer.from('報告', 'utf8');
    from = w.mark();
    w.send(`j2 UID SEARCH CHARSET UTF-8 OR SUBJECT {${report.length}+}\r\n`);
    w.send(Buffer.concat([report, Buffer.from(' FROM nobody\r\n')]));
    expect(await w.lines('j2', from)).toEqual(['* SEARCH 1', 'j2 OK UID SEARCH completed']);
    const body = Buffer.from('第一会議室', 'utf8');
    from = w.mark();
    w.send(`j3 SEARCH CHARSET UTF-8 BODY {${body.length}+}\r\n`);
    w.send(Buffer.concat([body, Buffer.from('\r\n')]));
    expect(await w.lines('j3', from)).toEqual(['* SEARCH 3', 'j3 OK SEARCH completed']);
    expect(await w.cmd('j4', 'SEARCH CHARSET KOI8-R ALL')).toEqual(['j4 NO [BADCHARSET (UTF-8 US-ASCII)] Charset KOI8-R is not supported']);
  });

  it('refuses folder names the product does not allow with NO, and takes 64 characters', async () => {
    const w = track(await loggedIn(port));
    expect(await w.cmd('c1', 'CREATE "a\\"b"')).toEqual(['c1 NO folder name must not contain \\ " ( ) { }']);
    for (const [i, bad] of ['a\\\\b', 'x(y)', 'a{b}'].entries()) {
      expect(await w.cmd(`c3${i}`, `CREATE "${bad}"`)).toEqual([`c3${i} NO folder name must not contain \\ " ( ) { }`]);
    }
    expect(await w.cmd('c4', `CREATE ${'x'.repeat(65)}`)).toEqual(['c4 NO folder name is longer than 64 characters']);
    expect(await w.cmd('c5', `CREATE ${'x'.repeat(64)}`)).toEqual(['c5 OK CREATE completed']);
    expect(await w.cmd('c6', 'CREATE &ZeVnLIqe-')).toEqual(['c6 OK CREATE completed']);
    expect(emu.site.homeStore('alice').mail.folder('alice', '日本語')).not.toBeNull();
    expect(await w.cmd('c7', 'LIST "" "&ZeVnLIqe-"')).toEqual(['* LIST (\\HasNoChildren) "/" &ZeVnLIqe-', 'c7 OK LIST completed']);
    expect(await w.cmd('c8', 'DELETE WasteBox')).toEqual(['c8 NO [CANNOT] folder WasteBox cannot be deleted']);
    expect(await w.cmd('c9', 'SELECT nothere')).toEqual(['c9 NO [NONEXISTENT] Mailbox does not exist: nothere']);
    // A name with CRLF in a literal cannot inject a line into the reply (it is not a valid name either).
    expect(await w.cmd('d1', 'SELECT {13+}\r\nx\r\nd1 OK fake')).toEqual(['d1 NO [CANNOT] Mailbox name is not valid modified UTF-7']);
  });
});

describe('limits', () => {
  it('drops a line over the limit with BAD and serves the next command', async () => {
    const w = track(await loggedIn(port));
    const from = w.mark();
    w.send(`t1 NOOP ${'x'.repeat(3000)}\r\nt2 NOOP\r\n`);
    expect(await w.lines('t2', from)).toEqual(['t1 BAD Command line too long (limit 2000 bytes)', 't2 OK NOOP completed']);
  });

  it('refuses a synchronising literal over the cap with NO [TOOBIG] and carries on', async () => {
    const w = track(await loggedIn(port));
    const from = w.mark();
    w.send('b1 APPEND INBOX {200000}\r\n');
    expect(await w.until('\r\n', 5000, from)).toBe('b1 NO [TOOBIG] Literal too big (200000 bytes; limit 100000)\r\n');
    expect(await w.cmd('b2', 'NOOP')).toEqual(['b2 OK NOOP completed']);
  });

  it('answers a non-synchronising literal over the cap with BAD and closes (the stream cannot be resynchronised)', async () => {
    const w = track(await loggedIn(port));
    const from = w.mark();
    w.send('b3 APPEND INBOX {200000+}\r\n');
    expect(await w.until('\r\n', 5000, from)).toBe('b3 BAD [TOOBIG] Literal too big (200000 bytes; limit 100000)\r\n');
    await w.closedBy();
  });

  it('caps literals before login much lower', async () => {
    const w = track(await Wire.open(port));
    await w.until('\r\n');
    const from = w.mark();
    w.send('b4 LOGIN {20000}\r\n');
    expect(await w.until('\r\n', 5000, from)).toBe('b4 BAD [TOOBIG] Literal too big (20000 bytes; limit 8192)\r\n');
    expect(await w.cmd('b5', 'NOOP')).toEqual(['b5 OK NOOP completed']);
  });

  it('ends a session whose announced literal never comes, and others carry on', async () => {
    const w = track(await loggedIn(port));
    const other = track(await loggedIn(port));
    const from = w.mark();
    w.send('l1 APPEND INBOX {10}\r\n');
    expect(await w.until('* BYE Literal data not received in time\r\n', 5000, from)).toBe('+ Ready for literal data\r\n* BYE Literal data not received in time\r\n');
    await w.closedBy();
    expect(await other.cmd('l2', 'NOOP')).toEqual(['l2 OK NOOP completed']);
    expect(emu.site.homeStore('alice').mail.count('alice', 'INBOX')).toBe(3);
  });
});

describe('connections and autologout', () => {
  it('refuses connections over the limit and logs out idle sessions', async () => {
    const dir = tempDir();
    const small = await startTestSite({ dataDir: dir.path, services: { imap: { maxConnections: 2, autologoutMs: 2000 } } });
    try {
      const p = small.endpoints.servers[0]!.imap!;
      const a = await Wire.open(p);
      const b = await Wire.open(p);
      await a.until('\r\n');
      await b.until('\r\n');
      const c = await Wire.open(p);
      expect(await c.until('\r\n')).toBe('* BYE Too many connections (limit 2); try again later\r\n');
      await c.closedBy();
      // Long enough that a and b are surely still there when c is refused, even on a loaded machine.
      expect(await a.until('* BYE Autologout; idle for too long\r\n', 15_000)).toContain('* BYE Autologout; idle for too long');
      await a.closedBy();
      b.close();
      // Slots are free again.
      const d = await Wire.open(p);
      expect(await d.until('\r\n')).toMatch(/^\* OK \[CAPABILITY /);
      d.close();
    } finally {
      await small.stop();
      dir.remove();
    }
  });

  it('rejects invalid options with a clear error', async () => {
    await expect(startTestSite({ services: { imap: { autologoutMs: -1 } } })).rejects.toThrow('services.imap.autologoutMs must be a positive integer');
    await expect(startTestSite({ services: { imap: { bogus: 1 } } })).rejects.toThrow(/unknown option "bogus"/);
  });
});
