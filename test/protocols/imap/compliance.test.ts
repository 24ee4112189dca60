import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { Wire, loggedIn } from './wire.js';

// What Dovecot's imaptest and real clients (neomutt, mbsync, offlineimap,
// imaplib) found (issue 13), each on the wire with exact lines. Every test has
// a user of its own, so the mailboxes start the same whatever ran before.

let emu: Emulator;
let port: number;
const wires: Wire[] = [];
let users = 0;

beforeAll(async () => {
  emu = await startTestSite({ services: { imap: { maxBadCommands: 3 } } });
  port = emu.endpoints.servers[0]!.imap!;
});

afterAll(async () => {
  for (const w of wires) w.close();
  await emu.stop();
});

/** A new user with `messages` in INBOX, logged in over a raw connection. */
async function fresh(messages: string[] = []): Promise<{ w: Wire; user: string; open: () => Promise<Wire> }> {
  const user = `c${++users}`;
  emu.site.createUser({ name: user, password: 'teamware' });
  for (const m of messages) emu.site.deliver(user, m, { asStored: true }); // fixtures as stored: no MTA stamp
  const open = async () => {
    const w = await loggedIn(port, user);
    wires.push(w);
    return w;
  };
  return { w: await open(), user, open };
}

const plain = (subject: string, extra = '') => `From: a@x.example\r\nTo: b@x.example\r\nSubject: ${subject}\r\n${extra}\r\nbody\r\n`;
const SYSTEM = '\\Answered \\Flagged \\Deleted \\Seen \\Draft';

describe('arguments (imaptest atoms, nil)', () => {
  it('takes [ as an atom character outside BODY[...] (SELECT a mailbox named with it is NO, not BAD)', async () => {
    const { w } = await fresh();
    expect(await w.cmd('a1', 'SELECT a[b')).toEqual(['a1 NO [NONEXISTENT] Mailbox does not exist: a[b']);
    expect(await w.cmd('a2', 'CREATE a[b')).toEqual(['a2 OK CREATE completed']);
    expect(await w.cmd('a3', 'LIST "" a[*')).toEqual(['* LIST (\\HasNoChildren) "/" a[b', 'a3 OK LIST completed']);
    expect(await w.cmd('a4', "SELECT !#$&'+,-.0123456789:;<=>?@^_`|[}")).toEqual(['a4 NO [CANNOT] Mailbox name is not valid modified UTF-7']);
    expect(await w.cmd('a5', "LIST \"\" !#$&'+,-.0123456789:;<=>?@^_`|[}%*")).toEqual(['a5 OK LIST completed']);
  });

  it('reads NIL as the string "NIL" where an astring goes (SEARCH SUBJECT NIL, STORE +FLAGS NIL)', async () => {
    const { w } = await fresh([plain('NiL'), plain('other')]);
    await w.cmd('s', 'SELECT INBOX');
    expect(await w.cmd('n1', 'SEARCH SUBJECT NIL')).toEqual(['* SEARCH 1', 'n1 OK SEARCH completed']);
    expect(await w.cmd('n2', 'STORE 1 +FLAGS.SILENT NIL')).toEqual([
      `* FLAGS (${SYSTEM} NIL)`, `* OK [PERMANENTFLAGS (${SYSTEM} NIL \\*)] Flags permitted`, 'n2 OK STORE completed']);
    expect(await w.cmd('n3', 'FETCH 1 FLAGS')).toEqual(['* 1 FETCH (FLAGS (NIL \\Recent))', 'n3 OK FETCH completed']);
  });

  it('checks every command against its argument schema once, in dispatch', async () => {
    const { w } = await fresh([plain('one')]);
    expect(await w.cmd('s1', 'STATUS INBOX MESSAGES')).toEqual(['s1 BAD Syntax error: status items must be a parenthesised list: STATUS <mailbox> <status items>']);
    expect(await w.cmd('s2', 'CREATE (a)')).toEqual(['s2 BAD Syntax error: mailbox must be a mailbox name: CREATE <mailbox>']);
    expect(await w.cmd('s0', 'NOOP')).toEqual(['s0 OK NOOP completed']);
    expect(await w.cmd('s3', 'RENAME a')).toEqual(['s3 BAD Syntax error: missing arguments: RENAME <mailbox> <new name>']);
    expect(await w.cmd('s4', 'SELECT INBOX')).toContain('s4 OK [READ-WRITE] SELECT completed');
    expect(await w.cmd('s5', 'COPY 1:x INBOX')).toEqual(['s5 BAD Syntax error: invalid sequence set "1:x"']);
    expect(await w.cmd('s9', 'NOOP')).toEqual(['s9 OK NOOP completed']);
    expect(await w.cmd('s6', 'UID EXPUNGE')).toEqual(['s6 BAD Syntax error: missing arguments: UID EXPUNGE <UID set>']);
    expect(await w.cmd('s7', 'EXPUNGE 1')).toEqual(['s7 BAD Syntax error: too many arguments: EXPUNGE']);
    expect(await w.cmd('s8', 'NOOP')).toEqual(['s8 OK NOOP completed']);
  });

  it('closes the connection after maxBadCommands BAD answers in a row; any other answer starts the count again', async () => {
    const { w } = await fresh();
    expect(await w.cmd('b1', 'FROB')).toEqual(['b1 BAD Unknown command FROB']);
    expect(await w.cmd('b2', 'FETCH 1 FLAGS')).toEqual(['b2 BAD FETCH is not valid in the authenticated state; select a mailbox first']);
    expect(await w.cmd('b3', 'NOOP')).toEqual(['b3 OK NOOP completed']);
    expect(await w.cmd('b4', 'FROB')).toEqual(['b4 BAD Unknown command FROB']);
    expect(await w.cmd('b5', 'LOGIN x')).toEqual(['b5 BAD LOGIN is not valid in the authenticated state; already logged in']);
    const from = w.mark();
    w.send('b6 CREATE\r\n');
    await w.closedBy();
    expect(w.text.slice(from)).toBe('b6 BAD Syntax error: missing arguments: CREATE <mailbox>\r\n* BYE Too many invalid commands (3 in a row)\r\n');
  });
});

describe('flags (imaptest copy, store, search-flags, stress)', () => {
  it('announces * FLAGS and PERMANENTFLAGS before a new keyword is shown, to this session and to others', async () => {
    const { w, open } = await fresh([plain('one'), plain('two')]);
    const other = await open();
    expect(await w.cmd('k0', 'SELECT INBOX')).toContain(`* FLAGS (${SYSTEM})`);
    await other.cmd('k1', 'SELECT INBOX');
    expect(await w.cmd('k2', 'STORE 1 +FLAGS ($Hello)')).toEqual([
      `* FLAGS (${SYSTEM} $Hello)`, `* OK [PERMANENTFLAGS (${SYSTEM} $Hello \\*)] Flags permitted`,
      '* 1 FETCH (FLAGS ($Hello \\Recent))', 'k2 OK STORE completed']);
    // A keyword already told is not told again.
    expect(await w.cmd('k3', 'STORE 2 +FLAGS ($hello)')).toEqual(['* 2 FETCH (FLAGS ($hello \\Recent))', 'k3 OK STORE completed']);
    expect(await other.cmd('k4', 'NOOP')).toEqual([
      `* FLAGS (${SYSTEM} $Hello)`, `* OK [PERMANENTFLAGS (${SYSTEM} $Hello \\*)] Flags permitted`,
      '* 1 FETCH (FLAGS ($Hello) UID 1)', '* 2 FETCH (FLAGS ($hello) UID 2)', 'k4 OK NOOP completed']);
  });
});

describe('MOVE (imaptest move)', () => {
  it('moves a message to the mailbox it is in: new UID, COPYUID, EXPUNGE, EXISTS', async () => {
    const { w, user } = await fresh([plain('one'), plain('two')]);
    await w.cmd('m0', 'SELECT INBOX');
    const v = emu.site.homeStore(user).mail.folder(user, 'INBOX')!.uidValidity;
    expect(await w.cmd('m1', 'MOVE 1 INBOX')).toEqual([`* OK [COPYUID ${v} 1 3] Moved`, '* 1 EXPUNGE', '* 2 EXISTS', '* 2 RECENT', 'm1 OK MOVE completed']);
    expect(await w.cmd('m2', 'FETCH 1:* UID')).toEqual(['* 1 FETCH (UID 2)', '* 2 FETCH (UID 3)', 'm2 OK FETCH completed']);
  });
});

describe('subscriptions (imaptest subscribe)', () => {
  it('CREATE does not subscribe; LSUB % gives the unsubscribed levels above subscribed mailboxes as \\Noselect', async () => {
    const { w } = await fresh();
    for (const [i, c] of ['CREATE p/', 'CREATE p/a', 'CREATE p/b/', 'CREATE p/b/c', 'SUBSCRIBE p/a', 'SUBSCRIBE p/b/c'].entries()) {
      expect(await w.cmd(`c${i}`, c)).toEqual([`c${i} OK ${c.split(' ')[0]} completed`]);
    }
    expect(await w.cmd('l1', 'LSUB "" p/%')).toEqual(['* LSUB (\\HasNoChildren) "/" p/a', '* LSUB (\\Noselect \\HasChildren) "/" p/b', 'l1 OK LSUB completed']);
    expect(await w.cmd('l2', 'LSUB "" p/*')).toEqual(['* LSUB (\\HasNoChildren) "/" p/a', '* LSUB (\\HasNoChildren) "/" p/b/c', 'l2 OK LSUB completed']);
    expect(await w.cmd('l3', 'UNSUBSCRIBE p/b/c')).toEqual(['l3 OK UNSUBSCRIBE completed']);
    expect(await w.cmd('l4', 'LSUB "" p/%')).toEqual(['* LSUB (\\HasNoChildren) "/" p/a', 'l4 OK LSUB completed']);
  });
});

describe('hierarchy (neomutt, Thunderbird: RFC 3501 6.3.3-6.3.8)', () => {
  it('CREATE makes the superiors; DELETE of a parent leaves a \\Noselect level; RENAME moves inferiors and makes superiors; % lists each level', async () => {
    const { w } = await fresh();
    // 親/子 with no 親: 親 is created with it.
    expect(await w.cmd('h1', 'CREATE &iao-/&W1A-')).toEqual(['h1 OK CREATE completed']);
    expect(await w.cmd('h2', 'LIST "" &iao-%')).toEqual(['* LIST (\\HasChildren) "/" &iao-', 'h2 OK LIST completed']);
    expect(await w.cmd('h3', 'LIST "" &iao-/%')).toEqual(['* LIST (\\HasNoChildren) "/" &iao-/&W1A-', 'h3 OK LIST completed']);
    // DELETE 親 while 親/子 exists: 親 stays as a level that cannot be selected.
    expect(await w.cmd('h4', 'DELETE &iao-')).toEqual(['h4 OK DELETE completed']);
    expect(await w.cmd('h5', 'LIST "" &iao-%')).toEqual(['* LIST (\\Noselect \\HasChildren) "/" &iao-', 'h5 OK LIST completed']);
    expect(await w.cmd('h6', 'SELECT &iao-')).toEqual(['h6 NO [NONEXISTENT] Mailbox does not exist: &iao-']);
    expect(await w.cmd('h7', 'DELETE &iao-')).toEqual(['h7 NO [CANNOT] Mailbox has inferior mailboxes and is not selectable; delete them first: &iao-']);
    // RENAME 親/子 孤児/子: 孤児 is created; 親 has no inferiors left and is gone.
    expect(await w.cmd('h8', 'RENAME &iao-/&W1A- &W2RRUA-/&W1A-')).toEqual(['h8 OK RENAME completed']);
    expect(await w.cmd('h9', 'LIST "" %')).toEqual([
      '* LIST (\\HasNoChildren) "/" INBOX', '* LIST (\\HasNoChildren \\Sent) "/" OUTBOX', '* LIST (\\HasNoChildren \\Trash) "/" WasteBox',
      '* LIST (\\HasChildren) "/" &W2RRUA-', 'h9 OK LIST completed']);
    // RENAME of a parent takes its inferiors along.
    expect(await w.cmd('i1', 'RENAME &W2RRUA- q')).toEqual(['i1 OK RENAME completed']);
    expect(await w.cmd('i2', 'LIST "" q*')).toEqual(['* LIST (\\HasChildren) "/" q', '* LIST (\\HasNoChildren) "/" q/&W1A-', 'i2 OK LIST completed']);
    expect(await w.cmd('i3', 'RENAME q q/r')).toEqual(['i3 NO [CANNOT] Cannot rename a mailbox to itself or below itself']);
  });

  it('shows a level above folders another front end made (a/b without a) and lists it level by level', async () => {
    const { w, user } = await fresh();
    emu.site.homeStore(user).mail.createFolder(user, 'x/y/z');
    expect(await w.cmd('v1', 'LIST "" x%')).toEqual(['* LIST (\\Noselect \\HasChildren) "/" x', 'v1 OK LIST completed']);
    expect(await w.cmd('v2', 'LIST "" x/%')).toEqual(['* LIST (\\Noselect \\HasChildren) "/" x/y', 'v2 OK LIST completed']);
    expect(await w.cmd('v3', 'LIST "" x/%/%')).toEqual(['* LIST (\\HasNoChildren) "/" x/y/z', 'v3 OK LIST completed']);
    expect(await w.cmd('v4', 'CREATE x')).toEqual(['v4 OK CREATE completed']);
    expect(await w.cmd('v5', 'LIST "" x%')).toEqual(['* LIST (\\HasChildren) "/" x', 'v5 OK LIST completed']);
  });
});

describe('mailbox names (modified UTF-7, 7-bit texts)', () => {
  it('refuses names that are not valid modified UTF-7 with NO, so nothing unreachable is ever made', async () => {
    const { w } = await fresh();
    for (const [i, name] of ['"&2AA-"', '"&ZZZ"', '"&"', '"&Jjo"', '"&AGE-"', '"&ZeVnLIqe-&ZeVnLIqe-"', '"&iap-"'].entries()) {
      expect(await w.cmd(`u${i}`, `CREATE ${name}`)).toEqual([`u${i} NO [CANNOT] Mailbox name is not valid modified UTF-7`]);
    }
    expect(await w.cmd('u8', 'SELECT "&Jjo"')).toEqual(['u8 NO [CANNOT] Mailbox name is not valid modified UTF-7']);
    expect(await w.cmd('u9', 'LIST "" *')).toEqual([
      '* LIST (\\HasNoChildren) "/" INBOX', '* LIST (\\HasNoChildren \\Sent) "/" OUTBOX', '* LIST (\\HasNoChildren \\Trash) "/" WasteBox', 'u9 OK LIST completed']);
    expect(await w.cmd('v1', 'CREATE "&ZeVnLIqe-&-"')).toEqual(['v1 OK CREATE completed']);
    expect(await w.cmd('v2', 'LIST "" "&ZeVnLIqe-*"')).toEqual(['* LIST (\\HasNoChildren) "/" &ZeVnLIqe-&-', 'v2 OK LIST completed']);
  });

  it('takes 8-bit UTF-8 names as an atom, a quoted string or a literal (the same folder as modified UTF-7); other 8-bit bytes are NO', async () => {
    const { w } = await fresh();
    const name = Buffer.from('日本語', 'utf8');
    const send = async (tag: string, parts: Array<string | Buffer>) => {
      const from = w.mark();
      w.send(Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p)))));
      return w.lines(tag, from);
    };
    expect(await send('g1', ['g1 CREATE ', name, '\r\n'])).toEqual(['g1 OK CREATE completed']);
    expect(await send('g2', ['g2 STATUS "', name, '" (MESSAGES)\r\n'])).toEqual(['* STATUS &ZeVnLIqe- (MESSAGES 0)', 'g2 OK STATUS completed']);
    expect(await send('g3', [`g3 SELECT {${name.length}+}\r\n`, name, '\r\n'])).toContain('g3 OK [READ-WRITE] SELECT completed');
    expect(await w.cmd('g4', 'EXAMINE &ZeVnLIqe-')).toContain('g4 OK [READ-ONLY] EXAMINE completed');
    expect(await send('g5', ['g5 CREATE "', Buffer.from([0x93, 0xfa]), '"\r\n'])).toEqual(['g5 NO [CANNOT] Mailbox name is not valid modified UTF-7']);
  });

  it('names a mailbox in NO texts in modified UTF-7, never raw UTF-8', async () => {
    const { w } = await fresh();
    const project = Buffer.from('プロジェクト', 'utf8');
    const from = w.mark();
    w.send(Buffer.concat([Buffer.from(`t2 STATUS {${project.length}+}\r\n`), project, Buffer.from(' (MESSAGES)\r\n')]));
    const utf8Literal = await w.lines('t2', from);
    const replies = [
      await w.cmd('t1', 'SELECT &MNcw7TC4MKcwrzDI-'),
      utf8Literal,
      await w.cmd('t3', 'DELETE &MNcw7TC4MKcwrzDI-'),
      await w.cmd('t4', 'SUBSCRIBE &MNcw7TC4MKcwrzDI-'),
      await w.cmd('t5', 'RENAME &MNcw7TC4MKcwrzDI- x'),
      await w.cmd('t6', 'APPEND &MNcw7TC4MKcwrzDI- {3+}\r\nx\r\n'),
    ];
    expect(replies).toEqual([
      ['t1 NO [NONEXISTENT] Mailbox does not exist: &MNcw7TC4MKcwrzDI-'],
      ['t2 NO [NONEXISTENT] Mailbox does not exist: &MNcw7TC4MKcwrzDI-'],
      ['t3 NO [NONEXISTENT] Mailbox does not exist: &MNcw7TC4MKcwrzDI-'],
      ['t4 NO [NONEXISTENT] Mailbox does not exist: &MNcw7TC4MKcwrzDI-'],
      ['t5 NO [NONEXISTENT] Mailbox does not exist: &MNcw7TC4MKcwrzDI-'],
      ['t6 NO [TRYCREATE] Mailbox does not exist: &MNcw7TC4MKcwrzDI-'],
    ]);
    expect(await w.cmd('t7', 'CREATE &MNcw7TC4MKcwrzDI-')).toEqual(['t7 OK CREATE completed']);
    expect(await w.cmd('t8', 'CREATE &MNcw7TC4MKcwrzDI-')).toEqual(['t8 NO [ALREADYEXISTS] Mailbox already exists: &MNcw7TC4MKcwrzDI-']);
    expect(w.text).toMatch(/^[\x00-\x7f]*$/);
  });
});

describe('SEARCH (imaptest search-date, search-addresses)', () => {
  it('SENTBEFORE / SENTON / SENTSINCE take the day the Date header names, in its own time zone', async () => {
    const dates = ['Sat, 24 Mar 2007 23:00:00 +0200', 'Sun, 25 Mar 2007 00:00:00 +0200', 'Sun, 25 Mar 2007 23:00:00 +0300', 'Mon, 26 Mar 2007 00:00:00 +0300', '26 Mar 07 01:00 -1100'];
    const { w } = await fresh(dates.map((d) => plain('dated', `Date: ${d}\r\n`)));
    await w.cmd('s', 'SELECT INBOX');
    expect(await w.cmd('d1', 'SEARCH SENTBEFORE 25-Mar-2007')).toEqual(['* SEARCH 1', 'd1 OK SEARCH completed']);
    expect(await w.cmd('d2', 'SEARCH SENTON 25-Mar-2007')).toEqual(['* SEARCH 2 3', 'd2 OK SEARCH completed']);
    expect(await w.cmd('d3', 'SEARCH SENTSINCE 26-Mar-2007')).toEqual(['* SEARCH 4 5', 'd3 OK SEARCH completed']);
    expect(await w.cmd('d4', 'SEARCH SENTON 26-Mar-2007')).toEqual(['* SEARCH 4 5', 'd4 OK SEARCH completed']);
  });

  it('FROM / TO / CC match the address itself, whatever comments and display names surround it', async () => {
    const froms = ['user-from@domain.example', 'Real <user-from@domain.example>', '<user-from (comment)@ (comment) domain.example>',
      'user-from@domain.example (Real)', 'other@domain.example'];
    const { w } = await fresh(froms.map((f) => `From: ${f}\r\nTo: grp: one@x.example, two@x.example;\r\nSubject: s\r\n\r\nbody\r\n`));
    await w.cmd('s', 'SELECT INBOX');
    expect(await w.cmd('f1', 'SEARCH FROM user-from@domain.example')).toEqual(['* SEARCH 1 2 3 4', 'f1 OK SEARCH completed']);
    expect(await w.cmd('f2', 'SEARCH FROM real')).toEqual(['* SEARCH 2 4', 'f2 OK SEARCH completed']);
    expect(await w.cmd('f3', 'SEARCH TO grp')).toEqual(['* SEARCH 1 2 3 4 5', 'f3 OK SEARCH completed']);
    expect(await w.cmd('f4', 'SEARCH FROM comment')).toEqual(['* SEARCH 3', 'f4 OK SEARCH completed']);
  });
});

describe('ENVELOPE (imaptest fetch-envelope)', () => {
  it('groups with no member, an empty Sender or Reply-To, a source route, a comment as the name', async () => {
    const { w } = await fresh([
      'Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nFrom: user@domain (Real Name)\r\nTo: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\r\nCc: group:;, group2: (foo) ;\r\n\r\nbody\r\n',
      'Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nFrom: user@domain (Real Name)\r\nSender: \r\nReply-To: \r\n\r\nbody\r\n',
      'Date: Thu, 15 Feb 2007 01:02:03 +0200\r\nFrom: <@route:user@domain>\r\n\r\nbody\r\n',
    ]);
    await w.cmd('s', 'EXAMINE INBOX');
    const from = '(("Real Name" NIL "user" "domain"))';
    expect(await w.cmd('e1', 'FETCH 1:* ENVELOPE')).toEqual([
      `* 1 FETCH (ENVELOPE ("Thu, 15 Feb 2007 01:02:03 +0200" NIL ${from} ${from} ${from} ` +
        '((NIL NIL "group" NIL)(NIL NIL "g1" "d1.org")(NIL NIL "g2" "d2.org")(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL "g3" "d3.org")(NIL NIL NIL NIL)) ' +
        '((NIL NIL "group" NIL)(NIL NIL NIL NIL)(NIL NIL "group2" NIL)(NIL NIL NIL NIL)) NIL NIL NIL))',
      `* 2 FETCH (ENVELOPE ("Thu, 15 Feb 2007 01:02:03 +0200" NIL ${from} ${from} ${from} NIL NIL NIL NIL NIL))`,
      '* 3 FETCH (ENVELOPE ("Thu, 15 Feb 2007 01:02:03 +0200" NIL ((NIL "@route" "user" "domain")) ((NIL "@route" "user" "domain")) ((NIL "@route" "user" "domain")) NIL NIL NIL NIL NIL))',
      'e1 OK FETCH completed',
    ]);
  });
});

describe('BODY[section] (imaptest fetch-body-mime, fetch-body-message-rfc822*)', () => {
  const inner = 'From: sub@domain.example\r\nSubject: submsg\r\nContent-Type: multipart/alternative; boundary="sub1"\r\n\r\n' +
    'Sub prologue\r\n--sub1\r\nContent-Type: text/plain\r\n\r\nHello\r\n\r\n--sub1--\r\nSub epilogue\r\n';
  const mixed = 'From: a@x.example\r\nSubject: mixed\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="foo"\r\n\r\n' +
    `Root prologue\r\n\r\n--foo\r\nContent-Type: text/plain\r\n\r\nhello\r\n\r\n--foo\r\nContent-Type: message/rfc822\r\n\r\n${inner}\r\n--foo--\r\nRoot epilogue\r\n`;
  const wrapped = `From: a@x.example\r\nSubject: wrapped\r\nMIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n${inner}`;
  const lit = (s: string) => `{${Buffer.byteLength(s)}}\r\n${s}`;

  it('BODY[TEXT] of a multipart keeps the epilogue; BODY[2.TEXT] of an embedded multipart message keeps its own', async () => {
    const { w } = await fresh([mixed]);
    await w.cmd('s', 'EXAMINE INBOX');
    const text = mixed.slice(mixed.indexOf('\r\n\r\n') + 4);
    expect((await w.cmd('b1', 'FETCH 1 BODY.PEEK[TEXT]')).join('\r\n')).toBe(`* 1 FETCH (BODY[TEXT] ${lit(text)})\r\nb1 OK FETCH completed`);
    const innerText = inner.slice(inner.indexOf('\r\n\r\n') + 4);
    expect((await w.cmd('b2', 'FETCH 1 BODY.PEEK[2.TEXT]')).join('\r\n')).toBe(`* 1 FETCH (BODY[2.TEXT] ${lit(innerText)})\r\nb2 OK FETCH completed`);
    expect((await w.cmd('b3', 'FETCH 1 BODY.PEEK[2]')).join('\r\n')).toBe(`* 1 FETCH (BODY[2] ${lit(inner)})\r\nb3 OK FETCH completed`);
    expect((await w.cmd('b4', 'FETCH 1 BODY.PEEK[2.1]')).join('\r\n')).toBe(`* 1 FETCH (BODY[2.1] ${lit('Hello\r\n')})\r\nb4 OK FETCH completed`);
  });

  it('BODY[1] of a top-level message/rfc822 message is the whole embedded message; BODY[1.1] its first part', async () => {
    const { w } = await fresh([wrapped]);
    await w.cmd('s', 'EXAMINE INBOX');
    expect((await w.cmd('r1', 'FETCH 1 BODY.PEEK[1]')).join('\r\n')).toBe(`* 1 FETCH (BODY[1] ${lit(inner)})\r\nr1 OK FETCH completed`);
    expect((await w.cmd('r2', 'FETCH 1 BODY.PEEK[1.HEADER.FIELDS (SUBJECT)]')).join('\r\n'))
      .toBe(`* 1 FETCH (BODY[1.HEADER.FIELDS (SUBJECT)] ${lit('Subject: submsg\r\n\r\n')})\r\nr2 OK FETCH completed`);
    expect((await w.cmd('r3', 'FETCH 1 BODY.PEEK[1.1]')).join('\r\n')).toBe(`* 1 FETCH (BODY[1.1] ${lit('Hello\r\n')})\r\nr3 OK FETCH completed`);
  });
});

describe('capability profile imap4rev1 (services.imap.capabilities)', () => {
  let bare: Emulator;
  let barePort: number;
  beforeAll(async () => {
    bare = await startTestSite({ services: { imap: { capabilities: 'imap4rev1' } } });
    barePort = bare.endpoints.servers[0]!.imap!;
  });
  afterAll(async () => bare.stop());

  it('offers IMAP4rev1 alone: the extensions\' commands are unknown and their response codes are not sent', async () => {
    const w = await Wire.open(barePort);
    wires.push(w);
    const greeting = await w.until('\r\n');
    expect(greeting).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 (STARTTLS )?AUTH=PLAIN\] twsv01 IMAP4rev1 server ready\r\n$/);
    expect(await w.cmd('p0', `AUTHENTICATE PLAIN ${Buffer.from('\0alice\0teamware').toString('base64')}`)).toEqual(['p0 BAD An initial response needs SASL-IR, which is not offered']);
    expect(await w.cmd('p1', 'LOGIN alice teamware')).toEqual(['p1 OK [CAPABILITY IMAP4rev1] LOGIN completed']);
    expect(await w.cmd('p2', 'CAPABILITY')).toEqual(['* CAPABILITY IMAP4rev1', 'p2 OK CAPABILITY completed']);
    for (const [i, c] of ['NAMESPACE', 'ID NIL', 'ENABLE X', 'IDLE'].entries()) {
      expect(await w.cmd(`q${i}`, c)).toEqual([`q${i} BAD Unknown command ${c.split(' ')[0]}`]);
    }
    await w.cmd('s', 'SELECT INBOX');
    expect(await w.cmd('r1', 'MOVE 1 WasteBox')).toEqual(['r1 BAD Unknown command MOVE']);
    expect(await w.cmd('r2', 'UID EXPUNGE 1')).toEqual(['r2 BAD UID EXPUNGE is not a command']);
    expect(await w.cmd('r3', 'UNSELECT')).toEqual(['r3 BAD Unknown command UNSELECT']);
    expect(await w.cmd('r4', 'COPY 1 WasteBox')).toEqual(['r4 OK COPY completed']);
    expect(await w.cmd('r5', 'APPEND WasteBox {3+}\r\nx\r\n')).toEqual(['r5 OK APPEND completed']);
  });

  it('refuses an unknown profile with a clear error', async () => {
    await expect(startTestSite({ services: { imap: { capabilities: 'modern' } } })).rejects.toThrow('services.imap.capabilities must be one of standard, imap4rev1');
  });
});
