import { randomBytes } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestSite, tempDir } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { Wire, loggedIn } from './wire.js';
import { patternMatches } from '../../../protocols/imap/commands/list.js';

// Exact lines for the rest of the command set, a garbage flood, and Python's imaplib.

/** Whether a program is on the PATH (tests of real clients that may not be installed). */
function has(program: string): boolean {
  try {
    execFileSync(program, ['--version'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}
/** Run a real client's test when the program is there, and always in CI (.ci/run installs it): a missing one fails there, never skips. */
const runs = (program: string) => has(program) || Boolean(process.env.CI);

let emu: Emulator;
let port: number;
const wires: Wire[] = [];
const track = (w: Wire) => (wires.push(w), w);

beforeAll(async () => {
  emu = await startTestSite();
  port = emu.endpoints.servers[0]!.imap!;
});

afterAll(async () => {
  for (const w of wires) w.close();
  await emu.stop();
});

describe('command set', () => {
  it('NAMESPACE, ID, ENABLE, CAPABILITY after login, LSUB/SUBSCRIBE, STATUS', async () => {
    const w = track(await loggedIn(port, 'bob'));
    expect(await w.cmd('a1', 'NAMESPACE')).toEqual(['* NAMESPACE (("" "/")) NIL NIL', 'a1 OK NAMESPACE completed']);
    expect(await w.cmd('a2', 'ID ("name" "test")')).toEqual(['* ID ("name" "twemu" "vendor" "twemu (TeamWARE Office 200X V2.0 emulator)" "version" "0.1.0")', 'a2 OK ID completed']);
    expect(await w.cmd('a3', 'ENABLE CONDSTORE')).toEqual(['* ENABLED', 'a3 OK ENABLE completed']);
    expect(await w.cmd('a4', 'CAPABILITY')).toEqual(['* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT UIDPLUS MOVE SPECIAL-USE CHILDREN', 'a4 OK CAPABILITY completed']);
    expect(await w.cmd('a5', 'UNSUBSCRIBE OUTBOX')).toEqual(['a5 OK UNSUBSCRIBE completed']);
    expect(await w.cmd('a6', 'LSUB "" "*"')).toEqual(['* LSUB (\\HasNoChildren) "/" INBOX', '* LSUB (\\HasNoChildren \\Trash) "/" WasteBox', 'a6 OK LSUB completed']);
    expect(await w.cmd('a7', 'SUBSCRIBE OUTBOX')).toEqual(['a7 OK SUBSCRIBE completed']);
    expect(await w.cmd('a8', 'LIST "" ""')).toEqual(['* LIST (\\Noselect) "/" ""', 'a8 OK LIST completed']);
    expect(await w.cmd('a9', 'LIST "" "%Box"')).toEqual(['* LIST (\\HasNoChildren \\Trash) "/" WasteBox', 'a9 OK LIST completed']);
    expect(await w.cmd('b1', 'LIST "" inbox')).toEqual(['* LIST (\\HasNoChildren) "/" INBOX', 'b1 OK LIST completed']);
    expect(await w.cmd('b4', 'LIST (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)')).toEqual([
      '* LIST (\\HasNoChildren \\Sent) "/" OUTBOX', '* LIST (\\HasNoChildren \\Trash) "/" WasteBox', 'b4 OK LIST completed']);
    expect(await w.cmd('b5', 'LIST "" ("INBOX" "OUT*")')).toEqual(['* LIST (\\HasNoChildren) "/" INBOX', '* LIST (\\HasNoChildren \\Sent) "/" OUTBOX', 'b5 OK LIST completed']);
    expect(await w.cmd('b6', 'LIST "" "*" "x"')).toEqual(['b6 BAD Syntax error: LIST takes a reference and a mailbox pattern']);
    const f = emu.site.homeStore('bob').mail.folder('bob', 'INBOX')!;
    expect(await w.cmd('b2', 'STATUS inbox (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)'))
      .toEqual([`* STATUS INBOX (MESSAGES 3 UNSEEN 3 UIDNEXT 4 UIDVALIDITY ${f.uidValidity} RECENT 3)`, 'b2 OK STATUS completed']);
    expect(await w.cmd('b3', 'STATUS INBOX (SIZE)')).toEqual(['b3 BAD Syntax error: unknown STATUS item SIZE']);
  });

  it('ENVELOPE and BODYSTRUCTURE on the wire; 8-bit and encoded headers stay byte for byte', async () => {
    const raw = 'From: =?UTF-8?B?5L2Q6Jek?= <sato@teamware.example>\r\nTo: team: a@x.example, b@x.example;\r\nSubject: 生のUTF-8\r\n' +
      'Date: Tue, 24 Nov 2026 10:00:00 +0900\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n';
    emu.site.deliver('alice', raw, { asStored: true }); // as stored: no Message-ID added (ENVELOPE's is NIL)
    const w = track(await loggedIn(port));
    await w.cmd('s', 'EXAMINE INBOX');
    const subject = Buffer.from('生のUTF-8', 'utf8');
    const lines = await w.cmd('e1', 'FETCH 4 (ENVELOPE BODYSTRUCTURE)');
    expect(Buffer.from(lines.join('\r\n'), 'latin1').toString('utf8')).toBe([
      `* 4 FETCH (ENVELOPE ("Tue, 24 Nov 2026 10:00:00 +0900" {${subject.length}}`,
      '生のUTF-8 (("=?UTF-8?B?5L2Q6Jek?=" NIL "sato" "teamware.example")) (("=?UTF-8?B?5L2Q6Jek?=" NIL "sato" "teamware.example")) ' +
      '(("=?UTF-8?B?5L2Q6Jek?=" NIL "sato" "teamware.example")) ((NIL NIL "team" NIL)(NIL NIL "a" "x.example")(NIL NIL "b" "x.example")(NIL NIL NIL NIL)) NIL NIL NIL NIL) ' +
      'BODYSTRUCTURE ("TEXT" "PLAIN" ("CHARSET" "UTF-8") NIL NIL "7BIT" 8 1 NIL NIL NIL NIL))',
      'e1 OK FETCH completed',
    ].join('\r\n'));
    const header = Buffer.from(raw.slice(0, raw.indexOf('\r\n\r\n') + 4), 'utf8');
    const head = await w.cmd('e2', 'FETCH 4 RFC822.HEADER');
    expect(head[0]).toBe(`* 4 FETCH (RFC822.HEADER {${header.length}}`);
    expect(Buffer.from(head.slice(1, -2).join('\r\n'), 'latin1').equals(header.subarray(0, header.length - 2))).toBe(true);
    expect(head.slice(-2)).toEqual([')', 'e2 OK FETCH completed']);
    const whole = await w.cmd('e4', 'FETCH 4 RFC822');
    expect(whole[0]).toBe(`* 4 FETCH (RFC822 {${Buffer.byteLength(raw)}}`);
    expect(Buffer.from(whole.slice(1, -1).join('\r\n'), 'latin1').toString('utf8')).toBe(`${raw})`);
    const text = await w.cmd('e3', 'FETCH 4 (RFC822.TEXT)');
    expect(text[0]).toBe('* 4 FETCH (RFC822.TEXT {8}');
    expect(Buffer.from(text[1]!, 'latin1').toString('utf8')).toBe('本文');
  });

  it('BODY[] sets \\Seen (and says so), BODY.PEEK does not; STORE .SILENT; EXPUNGE, UID EXPUNGE, CLOSE, UNSELECT, CHECK', async () => {
    const w = track(await loggedIn(port, 'bob'));
    await w.cmd('s', 'SELECT INBOX');
    const first = await w.cmd('g1', 'FETCH 1 (FLAGS BODY[HEADER.FIELDS (MESSAGE-ID)])');
    expect(first).toEqual(['* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[HEADER.FIELDS (MESSAGE-ID)] {45}', 'Message-ID: <demo-bob-1@teamware.example>', '', ')', 'g1 OK FETCH completed']);
    expect(await w.cmd('g0', 'FETCH 2 BODY[HEADER.FIELDS (MESSAGE-ID)]')).toEqual(['* 2 FETCH (BODY[HEADER.FIELDS (MESSAGE-ID)] {45}', 'Message-ID: <demo-bob-2@teamware.example>', '', ' FLAGS (\\Seen \\Recent))', 'g0 OK FETCH completed']);
    expect(await w.cmd('g01', 'FETCH 3 (BODY.PEEK[HEADER.FIELDS.NOT (FROM TO SUBJECT DATE MIME-VERSION CONTENT-TYPE CONTENT-TRANSFER-ENCODING)])')).toEqual(['* 3 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO SUBJECT DATE MIME-VERSION CONTENT-TYPE CONTENT-TRANSFER-ENCODING)] {47}', 'Message-ID: <demo-bob-jis@teamware.example>', '', ')', 'g01 OK FETCH completed']);
    expect(await w.cmd('g2', 'STORE 2:3 +FLAGS (\\Deleted)')).toEqual(['* 2 FETCH (FLAGS (\\Seen \\Deleted \\Recent))', '* 3 FETCH (FLAGS (\\Deleted \\Recent))', 'g2 OK STORE completed']);
    expect(await w.cmd('g3', 'UID STORE 2 -FLAGS.SILENT (\\Deleted)')).toEqual(['g3 OK UID STORE completed']);
    expect(await w.cmd('g4', 'STORE 1 FLAGS (\\Bogus)')).toEqual(['g4 BAD Syntax error: unknown system flag \\Bogus']);
    expect(await w.cmd('g5', 'CHECK')).toEqual(['g5 OK CHECK completed']);
    expect(await w.cmd('g6', 'UID EXPUNGE 1:2')).toEqual(['g6 OK UID EXPUNGE completed']);
    expect(await w.cmd('g7', 'EXPUNGE')).toEqual(['* 3 EXPUNGE', 'g7 OK EXPUNGE completed']);
    expect(await w.cmd('g8', 'UID SEARCH ALL')).toEqual(['* SEARCH 1 2', 'g8 OK UID SEARCH completed']);
    expect(await w.cmd('g9', 'STORE 2 +FLAGS (\\Deleted)')).toHaveLength(2);
    expect(await w.cmd('h1', 'CLOSE')).toEqual(['h1 OK CLOSE completed']);
    expect(await w.cmd('h2', 'FETCH 1 FLAGS')).toEqual(['h2 BAD FETCH is not valid in the authenticated state; select a mailbox first']);
    expect(emu.site.homeStore('bob').mail.messages('bob', 'INBOX').map((m) => m.uid)).toEqual([1]);
    await w.cmd('h3', 'EXAMINE INBOX');
    expect(await w.cmd('h4', 'STORE 1 +FLAGS (\\Flagged)')).toEqual(['h4 NO [READ-ONLY] The mailbox is read-only (EXAMINE)']);
    expect(await w.cmd('h5', 'UNSELECT')).toEqual(['h5 OK UNSELECT completed']);
    expect(await w.cmd('h6', 'APPEND nowhere {3+}\r\nx\r\n')).toEqual(['h6 NO [TRYCREATE] Mailbox does not exist: nowhere']);
    expect(await w.cmd('h7', 'APPEND INBOX "31-Foo-2026 00:00:00 +0000" {3+}\r\nx\r\n')).toEqual(['h7 BAD Syntax error: invalid date-time "31-Foo-2026 00:00:00 +0000"']);
  });
});

describe('mailbox gone under a session', () => {
  it('ends a session whose selected mailbox another session deleted, with BYE', async () => {
    const a = track(await loggedIn(port));
    const b = track(await loggedIn(port));
    expect(await a.cmd('k1', 'CREATE doomed')).toEqual(['k1 OK CREATE completed']);
    expect((await a.cmd('k2', 'SELECT doomed')).at(-1)).toBe('k2 OK [READ-WRITE] SELECT completed');
    expect(await b.cmd('k3', 'DELETE doomed')).toEqual(['k3 OK DELETE completed']);
    const from = a.mark();
    a.send('k4 NOOP\r\n');
    expect(await a.until('\r\n', 5000, from)).toBe('* BYE Selected mailbox was deleted or renamed, have to disconnect\r\n');
    await a.closedBy();
    expect(await b.cmd('k5', 'NOOP')).toEqual(['k5 OK NOOP completed']);
  });
});

describe('updates from other sessions', () => {
  it('holds EXPUNGE back during FETCH, STORE, SEARCH and UID commands (RFC 3501 7.4.1) and sends it at NOOP', async () => {
    emu.site.createUser({ name: 'watch', password: 'teamware' });
    for (const n of [1, 2, 3]) emu.site.deliver('watch', `Subject: m${n}\r\n\r\nx\r\n`);
    const a = track(await loggedIn(port, 'watch'));
    const b = track(await loggedIn(port, 'watch'));
    await a.cmd('u1', 'SELECT INBOX');
    await b.cmd('u2', 'SELECT INBOX');
    expect((await b.cmd('u3', 'STORE 2 +FLAGS.SILENT (\\Deleted)')).at(-1)).toBe('u3 OK STORE completed');
    expect(await b.cmd('u4', 'EXPUNGE')).toEqual(['* 2 EXPUNGE', 'u4 OK EXPUNGE completed']);
    emu.site.deliver('watch', 'Subject: m4\r\n\r\nx\r\n');
    // New messages may be announced at any time; the expunge must wait, and message 2
    // is still answered with what this session last knew of it.
    expect(await a.cmd('u5', 'UID FETCH 1:* (FLAGS)')).toEqual([
      '* 1 FETCH (UID 1 FLAGS (\\Recent))', '* 2 FETCH (UID 2 FLAGS (\\Recent))', '* 3 FETCH (UID 3 FLAGS (\\Recent))', '* 4 EXISTS', '* 4 RECENT',
      'u5 OK UID FETCH completed']);
    // a selected first, so every message is \Recent for a and for no one else.
    expect(await a.cmd('u51', 'SEARCH RECENT')).toEqual(['* SEARCH 1 3 4', 'u51 OK SEARCH completed']);
    // b learns of message 4 only after its SEARCH; it is not \Recent for b.
    expect(await b.cmd('u52', 'SEARCH NEW')).toEqual(['* SEARCH', '* 3 EXISTS', '* 0 RECENT', 'u52 OK SEARCH completed']);
    expect(await a.cmd('u6', 'SEARCH ALL')).toEqual(['* SEARCH 1 3 4', 'u6 OK SEARCH completed']);
    expect(await a.cmd('u7', 'NOOP')).toEqual(['* 2 EXPUNGE', 'u7 OK NOOP completed']);
    expect(await a.cmd('u8', 'FETCH 1:* (UID)')).toEqual(['* 1 FETCH (UID 1)', '* 2 FETCH (UID 3)', '* 3 FETCH (UID 4)', 'u8 OK FETCH completed']);
  });
});

describe('robustness', () => {
  it('survives a flood of random bytes on several connections and keeps serving others', async () => {
    const floods = await Promise.all(Array.from({ length: 4 }, () => Wire.open(port)));
    for (const [i, f] of floods.entries()) {
      track(f);
      for (let k = 0; k < 20; k++) f.send(randomBytes(512 + i * 100));
      f.send('\r\nz1 NOOP\r\n');
    }
    const ok = track(await loggedIn(port));
    expect(await ok.cmd('r1', 'EXAMINE INBOX')).toContain('r1 OK [READ-ONLY] EXAMINE completed');
    for (const f of floods) {
      // Each flood gets answers (BAD lines) or a clean close, never a hang of the server.
      await f.until(/(z1 OK NOOP completed|\* BAD|BAD)/, 5000).catch(() => f.closedBy(5000));
    }
    expect(await ok.cmd('r2', 'NOOP')).toEqual(['r2 OK NOOP completed']);
  });

  it('answers LIST patterns of many wildcards at once (no backtracking) and matches them right', async () => {
    expect(patternMatches('*', 'a/b')).toBe(true);
    expect(patternMatches('%', 'a/b')).toBe(false);
    expect(patternMatches('a/%', 'a/b')).toBe(true);
    expect(patternMatches('%*%', 'a/b')).toBe(true);
    expect(patternMatches('%%', 'ab')).toBe(true);
    expect(patternMatches('%Box', 'WasteBox')).toBe(true);
    expect(patternMatches('%Box', 'a/WasteBox')).toBe(false);
    expect(patternMatches('OUT*', 'OUTBOX')).toBe(true);
    expect(patternMatches('OUT', 'OUTBOX')).toBe(false);
    expect(patternMatches('a.c', 'abc')).toBe(false);
    expect(patternMatches('報告*', '報告書')).toBe(true);
    const w = track(await loggedIn(port, 'bob'));
    const long = 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01';
    expect(await w.cmd('p1', `CREATE ${long}`)).toEqual(['p1 OK CREATE completed']);
    const started = Date.now();
    // A backtracking regex took minutes on these (every session of the site waits meanwhile).
    expect(await w.cmd('p2', `LIST "" "${'*'.repeat(40)}Q"`)).toEqual(['p2 OK LIST completed']);
    expect(await w.cmd('p3', `LIST "" "${'*a'.repeat(30)}Q"`)).toEqual(['p3 OK LIST completed']);
    expect(await w.cmd('p4', `LIST "" "${'%'.repeat(40)}01"`)).toEqual([`* LIST (\\HasNoChildren) "/" ${long}`, 'p4 OK LIST completed']);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await w.cmd('p5', `DELETE ${long}`)).toEqual(['p5 OK DELETE completed']);
  });

  it('answers FETCH of malformed and odd MIME without failing the session', async () => {
    const nested = (depth: number): string => depth === 0 ? 'Content-Type: text/plain\r\n\r\nleaf\r\n'
      : `Content-Type: multipart/mixed; boundary="d${depth}"\r\n\r\n--d${depth}\r\n${nested(depth - 1)}--d${depth}--\r\n`;
    const odd = [
      'no header separator at all',
      'Subject: only a header',
      'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nunterminated',
      'Content-Type: multipart/alternative\r\n\r\nmultipart without boundary\r\n',
      'Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n',
      'Content-Type: ;;;===\r\nContent-Disposition: ((((\r\nFrom: <<<@>>>, "unterminated\r\nTo: :;\r\n\r\nbody\r\n',
      `Content-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64\r\n`,
      nested(30),
      `Content-Type: multipart/mixed; boundary="m"\r\n\r\n${'--m\r\nContent-Type: text/plain\r\n\r\np\r\n'.repeat(300)}--m--\r\n`,
      randomBytes(3000).toString('latin1'),
    ];
    const mail = emu.site.homeStore('alice').mail;
    mail.createFolder('alice', 'odd');
    for (const m of odd) mail.append('alice', 'odd', Buffer.from(m, 'latin1'));
    const w = track(await loggedIn(port));
    await w.cmd('o0', 'SELECT odd');
    const lines = await w.cmd('o1', `FETCH 1:${odd.length} (ENVELOPE BODYSTRUCTURE BODY.PEEK[1] BODY.PEEK[TEXT] BODY.PEEK[1.MIME] BODY.PEEK[2.1])`, 15_000);
    expect(lines.at(-1)).toBe('o1 OK FETCH completed');
    expect(lines.filter((l) => /^\* \d+ FETCH /.test(l))).toHaveLength(odd.length);
    const search = await w.cmd('o2', 'SEARCH TEXT leaf', 15_000);
    expect(search).toEqual(['* SEARCH 8', 'o2 OK SEARCH completed']);
    expect(await w.cmd('o3', 'NOOP')).toEqual(['o3 OK NOOP completed']);
  });

  it.skipIf(!runs('mbsync'))('mbsync (isync) syncs both ways without special settings', async () => {
    const dir = tempDir('twemu-mbsync-');
    emu.site.createUser({ name: 'syncer', password: 'teamware' });
    for (const n of [1, 2, 3]) emu.site.deliver('syncer', `Subject: =?UTF-8?B?${Buffer.from(`同期 ${n}`).toString('base64')}?=\r\n\r\nbody ${n}\r\n`);
    try {
      mkdirSync(join(dir.path, 'mail'));
      writeFileSync(join(dir.path, 'rc'), [
        'IMAPAccount tw', 'Host 127.0.0.1', `Port ${port}`, 'User syncer', 'Pass teamware', 'SSLType None', '',
        'IMAPStore tw-remote', 'Account tw', '',
        'MaildirStore tw-local', `Path ${dir.path}/mail/`, `Inbox ${dir.path}/mail/INBOX`, 'SubFolders Verbatim', '',
        'Channel tw', 'Far :tw-remote:', 'Near :tw-local:', 'Patterns *', 'Create Both', 'Expunge Both', 'SyncState *', '',
      ].join('\n'));
      const sync = () => promisify(execFile)('mbsync', ['-q', '-c', join(dir.path, 'rc'), 'tw'], { timeout: 30_000 });
      await sync();
      const local = (box: string) => ['new', 'cur'].flatMap((d) => readdirSync(join(dir.path, 'mail', box, d)));
      expect(readdirSync(join(dir.path, 'mail')).sort()).toEqual(['INBOX', 'OUTBOX', 'WasteBox']);
      expect(local('INBOX')).toHaveLength(3);
      writeFileSync(join(dir.path, 'mail', 'OUTBOX', 'new', '1700000000.1.twemu'), 'Subject: from mbsync\r\n\r\nhi\r\n');
      await sync();
      const mail = emu.site.homeStore('syncer').mail;
      expect(mail.messages('syncer', 'OUTBOX')).toHaveLength(1);
      expect(mail.raw('syncer', 'OUTBOX', mail.messages('syncer', 'OUTBOX')[0]!.uid)!.toString()).toContain('Subject: from mbsync');
    } finally {
      dir.remove();
    }
  });

  it.skipIf(!runs('python3'))('Python imaplib works against it', async () => {
    const py = [
      'import imaplib, sys',
      `M = imaplib.IMAP4('127.0.0.1', ${port})`,
      "M.login('alice', 'teamware')",
      "typ, data = M.select('INBOX')",
      "print(typ, data[0].decode())",
      "typ, data = M.uid('SEARCH', None, 'ALL')",
      "print(typ, data[0].decode())",
      "typ, data = M.fetch('2', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')",
      "print(typ, data[0][1].decode().strip())",
      "print(M.append('OUTBOX', '(\\\\Seen)', None, b'Subject: py\\r\\n\\r\\nhi\\r\\n')[0])",
      "print(M.logout()[0])",
    ].join('\n');
    const r = await promisify(execFile)('python3', ['-c', py], { timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['OK 4', 'OK 1 2 3 4', 'OK Subject: Quarterly figures', 'OK', 'BYE']);
  });
});
