// Raw-socket tests: exact lines for every command in every state, byte-stuffing,
// deferred deletion, stable UIDLs, accounts that may not log in.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, collectEvents, startTestSite, tempDir } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { RawPop3, unstuff } from './rawclient.js';

const GREETING = /^\+OK twsv01 POP3 server ready \(TeamWARE Office emulator\) (<\d+\.\d+\.[0-9a-f]{8}@twsv01>)$/;

let emu: Emulator;
let port: number;
const open: RawPop3[] = [];
async function client(opts?: Parameters<typeof RawPop3.open>[1]): Promise<RawPop3> {
  const c = await RawPop3.open(port, opts);
  open.push(c);
  return c;
}

beforeAll(async () => {
  emu = await startTestSite({ services: { pop3: { failedLoginDelayMs: 0 } } });
  port = emu.endpoints.servers[0]!.pop3!;
});
afterAll(async () => {
  for (const c of open) c.close();
  await emu.stop();
});

/** A user of one's own, so tests that delete do not disturb the others. */
async function userWith(name: string, raws: string[]): Promise<void> {
  expect((await api(emu, 'POST', '/api/users', { name, password: 'pw' })).status).toBe(201);
  for (const raw of raws) expect((await api(emu, 'POST', '/api/mail', { to: name, raw })).status).toBe(201);
}
// With Return-Path, Date and Message-ID, delivery adds nothing: the stored bytes are these.
const mail = (subject: string, body: string) => `Return-Path: <a@example.com>\r\nFrom: a@example.com\r\nTo: b@example.com\r\nSubject: ${subject}\r\nDate: Mon, 15 Jun 2026 12:00:00 +0000\r\nMessage-ID: <${subject}@example.com>\r\n\r\n${body}`;

describe('pop3 AUTHORIZATION state', () => {
  it('greets with a timestamp and lists capabilities', async () => {
    const c = await client();
    expect(c.greeting).toMatch(GREETING);
    expect(await c.multi('CAPA')).toEqual({
      status: '+OK Capability list follows',
      lines: ['USER', 'TOP', 'UIDL', 'PIPELINING', 'RESP-CODES', 'AUTH-RESP-CODE', 'EXPIRE NEVER', 'STLS', 'IMPLEMENTATION twemu (TeamWARE Office emulator)'],
    });
    expect(await c.cmd('QUIT')).toBe('+OK signing off');
    expect(await c.rest()).toBe('');
  });

  it('USER then PASS logs in; the count and octets match LIST', async () => {
    const c = await client();
    expect(await c.cmd('USER alice')).toBe('+OK send PASS for alice');
    const pass = await c.cmd('PASS teamware');
    const m = /^\+OK alice's maildrop has 3 messages \((\d+) octets\)$/.exec(pass);
    expect(m).not.toBeNull();
    const list = await c.multi('LIST');
    expect(list.lines.reduce((n, l) => n + Number(l.split(' ')[1]), 0)).toBe(Number(m![1]));
    c.close();
  });

  it('refuses commands of the TRANSACTION state before login, and PASS not right after USER', async () => {
    const c = await client();
    for (const verb of ['STAT', 'LIST', 'RETR 1', 'DELE 1', 'NOOP', 'RSET', 'TOP 1 1', 'UIDL']) {
      expect(await c.cmd(verb)).toBe(`-ERR ${verb.split(' ')[0]} is not valid in the AUTHORIZATION state`);
    }
    c.close();
    const d = await client();
    expect(await d.cmd('PASS teamware')).toBe('-ERR give USER first');
    expect(await d.cmd('USER alice')).toBe('+OK send PASS for alice');
    expect(await d.cmd('CAPA')).toBe('+OK Capability list follows');
    await d.body();
    expect(await d.cmd('PASS teamware')).toBe('-ERR give USER first');
    expect(await d.cmd('USER alice')).toBe('+OK send PASS for alice');
    expect(await d.cmd('PASS')).toBe('-ERR usage: PASS password');
    d.close();
  });

  it('a wrong password or an unknown user gets the same -ERR and a login-failed event; the session may try again', async () => {
    const ev = collectEvents(emu);
    const c = await client();
    expect(await c.cmd('USER alice')).toBe('+OK send PASS for alice');
    expect(await c.cmd('PASS wrong')).toBe('-ERR [AUTH] invalid user name or password');
    expect(await c.cmd('USER nobody')).toBe('+OK send PASS for nobody');
    expect(await c.cmd('PASS teamware')).toBe('-ERR [AUTH] invalid user name or password');
    expect(await c.login()).toMatch(/^\+OK alice's maildrop has/);
    ev.off();
    const failed = ev.events.filter((e) => e.type === 'login-failed');
    expect(failed.map((e) => [e.user, e.client, e.operation, e.message, e.server])).toEqual([
      ['alice', 'pop3', 'PASS', 'wrong password', 'twsv01'], ['nobody', 'pop3', 'PASS', 'no such account', 'twsv01']]);
    c.close();
  });

  it('APOP logs in with MD5(timestamp + password); a wrong digest is refused', async () => {
    const c = await client();
    const ts = GREETING.exec(c.greeting)![1]!;
    expect(await c.cmd('APOP alice 0123456789abcdef0123456789abcdef')).toBe('-ERR [AUTH] invalid user name or password');
    expect(await c.cmd('APOP alice nothex')).toBe('-ERR usage: APOP name digest (digest: 32 hexadecimal digits)');
    expect(await c.cmd('APOP alice')).toBe('-ERR usage: APOP name digest');
    const digest = createHash('md5').update(`${ts}teamware`).digest('hex');
    expect(await c.cmd(`APOP alice ${digest.toUpperCase()}`)).toMatch(/^\+OK alice's maildrop has 3 messages \(\d+ octets\)$/);
    expect(await c.cmd('APOP alice x')).toBe('-ERR APOP is not valid in the TRANSACTION state');
    c.close();
    // Each greeting has its own timestamp: the old digest does not work on a new connection.
    const d = await client();
    expect(GREETING.exec(d.greeting)![1]).not.toBe(ts);
    expect(await d.cmd(`APOP alice ${digest}`)).toBe('-ERR [AUTH] invalid user name or password');
    d.close();
  });

  it('an account whose Mail service is unavailable cannot log in', async () => {
    expect((await api(emu, 'POST', '/api/users', { name: 'nomail', password: 'pw', services: { mail: false } })).status).toBe(201);
    const ev = collectEvents(emu);
    const c = await client();
    expect(await c.cmd('USER nomail')).toBe('+OK send PASS for nomail');
    expect(await c.cmd('PASS pw')).toBe('-ERR [AUTH] the Mail service is not available for this account');
    ev.off();
    expect(ev.events.some((e) => e.type === 'login-failed' && e.user === 'nomail' && e.message === 'the Mail service is not available for this account')).toBe(true);
    // The directory turns Mail back on: the account can log in.
    emu.site.directory.update('nomail', { services: { mail: true } });
    expect(await c.cmd('USER nomail')).toBe('+OK send PASS for nomail');
    expect(await c.cmd('PASS pw')).toMatch(/^\+OK nomail's maildrop has 0 messages \(0 octets\)$/);
    c.close();
  });
});

describe('pop3 TRANSACTION state', () => {
  it('STAT, LIST, UIDL, NOOP and their single-message forms', async () => {
    const c = await client();
    await c.login();
    expect(await c.cmd('STAT')).toMatch(/^\+OK 3 \d+$/);
    const list = await c.multi('LIST');
    expect(list.status).toMatch(/^\+OK 3 messages \(\d+ octets\)$/);
    expect(list.lines.map((l) => l.split(' ')[0])).toEqual(['1', '2', '3']);
    expect(await c.cmd('LIST 2')).toBe(`+OK ${list.lines[1]}`);
    expect(await c.cmd('LIST 4')).toBe('-ERR no such message 4');
    expect(await c.cmd('LIST 0')).toBe('-ERR invalid message number 0');
    expect(await c.cmd('LIST 1 2')).toBe('-ERR usage: LIST [message-number]');
    const uidl = await c.multi('UIDL');
    expect(uidl.status).toBe('+OK unique-id listing follows');
    expect(uidl.lines).toHaveLength(3);
    for (const l of uidl.lines) expect(l).toMatch(/^[1-3] \d+\.\d+$/);
    expect(new Set(uidl.lines.map((l) => l.split(' ')[1])).size).toBe(3);
    expect(await c.cmd('UIDL 3')).toBe(`+OK ${uidl.lines[2]}`);
    expect(await c.cmd('UIDL 9')).toBe('-ERR no such message 9');
    expect(await c.cmd('NOOP')).toBe('+OK');
    expect(await c.cmd('NOOP x')).toBe('-ERR usage: NOOP');
    expect(await c.cmd('USER bob')).toBe('-ERR USER is not valid in the TRANSACTION state');
    expect(await c.cmd('PASS x')).toBe('-ERR PASS is not valid in the TRANSACTION state');
    expect((await c.multi('CAPA')).status).toBe('+OK Capability list follows');
    c.close();
  });

  it('RETR returns the stored message byte-stuffed; TOP returns the header and n lines', async () => {
    const c = await client();
    await c.login();
    const sizes = (await c.multi('LIST')).lines.map((l) => Number(l.split(' ')[1]));
    const uids = emu.site.homeStore('alice').mail.messages('alice', 'INBOX').map((m) => m.uid);
    for (const [i, uid] of uids.entries()) {
      expect(await c.cmd(`RETR ${i + 1}`)).toBe(`+OK ${sizes[i]} octets`);
      const stuffed = await c.body();
      const stored = emu.site.homeStore('alice').mail.raw('alice', 'INBOX', uid)!;
      const withEnd = stored.subarray(-2).toString() === '\r\n' ? stored : Buffer.concat([stored, Buffer.from('\r\n')]);
      expect(unstuff(stuffed).equals(withEnd)).toBe(true);
      expect(stored.length).toBe(sizes[i]);
    }
    // The demo's second mail has a line that is a single dot: on the wire it is "..".
    expect(await c.cmd('RETR 2')).toMatch(/^\+OK \d+ octets$/);
    const wire = (await c.body()).toString('latin1');
    expect(wire).toContain('\r\n..\r\nA line with a single dot above.');
    expect(await c.cmd('TOP 2 0')).toBe('+OK top of message follows');
    const head = unstuff(await c.body()).toString('latin1');
    expect(head).toMatch(/Subject: Quarterly figures\r\n/);
    expect(head.endsWith('\r\n\r\n')).toBe(true);
    expect(head).not.toContain('Hello,');
    expect(await c.cmd('TOP 2 3')).toBe('+OK top of message follows');
    expect(unstuff(await c.body()).toString('latin1')).toMatch(/\r\n\r\nHello,\r\n\r\nThe figures are attached below\.\r\n$/);
    expect(await c.cmd('TOP 2 4')).toBe('+OK top of message follows');
    expect((await c.body()).toString('latin1')).toMatch(/attached below\.\r\n\.\.\r\n$/);
    expect(await c.cmd('RETR 7')).toBe('-ERR no such message 7');
    expect(await c.cmd('RETR x')).toBe('-ERR invalid message number x');
    expect(await c.cmd('TOP 1')).toBe('-ERR usage: TOP message-number lines');
    expect(await c.cmd('TOP 1 -1')).toBe('-ERR invalid number of lines -1');
    c.close();
  });

  it('byte-stuffing round trip: dots, a missing final CRLF, bare LF line ends', async () => {
    const body = '.starts with a dot\r\n..two dots\r\n.\r\nmiddle\r\n.\r\n...\r\nbare\nlf\nlast line without end';
    await userWith('dotty', [mail('dots', body), mail('plain', 'x\r\n')]);
    const c = await client();
    expect(await c.login('dotty', 'pw')).toMatch(/^\+OK dotty's maildrop has 2 messages/);
    const expected = Buffer.from(mail('dots', body).replace(/\r?\n/g, '\r\n'));
    expect(await c.cmd('LIST 1')).toBe(`+OK 1 ${expected.length}`);
    expect(await c.cmd('RETR 1')).toBe(`+OK ${expected.length} octets`);
    const stuffed = await c.body();
    expect(stuffed.toString()).toContain('\r\n..starts with a dot\r\n...two dots\r\n..\r\nmiddle\r\n..\r\n....\r\nbare\r\nlf\r\nlast line without end\r\n');
    expect(unstuff(stuffed).equals(Buffer.concat([expected, Buffer.from('\r\n')]))).toBe(true);
    expect(await c.cmd('QUIT')).toBe('+OK signing off (2 messages left)');
  });

  it('DELE marks, RSET unmarks, QUIT removes; a dropped session removes nothing; UIDLs stay stable', async () => {
    await userWith('deleter', [mail('one', '1'), mail('two', '2'), mail('three', '3')]);
    const a = await client();
    await a.login('deleter', 'pw');
    const before = (await a.multi('UIDL')).lines.map((l) => l.split(' ')[1]);
    expect(await a.cmd('DELE 2')).toBe('+OK message 2 deleted');
    expect(await a.cmd('DELE 2')).toBe('-ERR message 2 already deleted');
    expect(await a.cmd('DELE 4')).toBe('-ERR no such message 4');
    expect(await a.cmd('STAT')).toMatch(/^\+OK 2 \d+$/);
    expect(await a.cmd('LIST 2')).toBe('-ERR no such message 2');
    expect(await a.cmd('RETR 2')).toBe('-ERR no such message 2');
    expect((await a.multi('LIST')).lines.map((l) => l.split(' ')[0])).toEqual(['1', '3']);
    expect(await a.cmd('RSET')).toMatch(/^\+OK maildrop has 3 messages \(\d+ octets\)$/);
    expect(await a.cmd('DELE 2')).toBe('+OK message 2 deleted');
    // Dropped without QUIT: no UPDATE state, nothing removed.
    a.close();
    await a.closedPromise;
    const b = await client();
    expect(await b.login('deleter', 'pw')).toMatch(/^\+OK deleter's maildrop has 3 messages/);
    expect((await b.multi('UIDL')).lines.map((l) => l.split(' ')[1])).toEqual(before);
    expect(await b.cmd('DELE 2')).toBe('+OK message 2 deleted');
    expect(await b.cmd('QUIT')).toBe('+OK signing off (1 message removed, 2 left)');
    expect(await b.rest()).toBe('');
    const c = await client();
    expect(await c.login('deleter', 'pw')).toMatch(/^\+OK deleter's maildrop has 2 messages/);
    // The messages keep their unique ids; only the numbers close up.
    expect((await c.multi('UIDL')).lines).toEqual([`1 ${before[0]}`, `2 ${before[2]}`]);
    c.close();
  });

  it('pipelined commands are answered in order', async () => {
    const c = await client();
    // Whatever follows QUIT is never answered: UPDATE accepts no command, the connection closes.
    c.send('USER bob\r\nPASS teamware\r\nSTAT\r\nNOOP\r\nLIST 1\r\nBOGUS\r\nQUIT\r\nNOOP\r\nSTAT\r\n');
    expect(await c.line()).toBe('+OK send PASS for bob');
    expect(await c.line()).toMatch(/^\+OK bob's maildrop has 3 messages/);
    expect(await c.line()).toMatch(/^\+OK 3 \d+$/);
    expect(await c.line()).toBe('+OK');
    expect(await c.line()).toMatch(/^\+OK 1 \d+$/);
    expect(await c.line()).toBe('-ERR unknown command');
    expect(await c.line()).toBe('+OK signing off (3 messages left)');
    expect(await c.rest()).toBe('');
  });
});

describe('pop3 on a multi-server site', () => {
  it('a user logs in on their home application server and is sent there from another', async () => {
    const multi = await startTestSite({ topology: 'multi', appServers: 2, services: { pop3: { failedLoginDelayMs: 0 } } });
    try {
      const servers = multi.endpoints.servers;
      expect(servers.find((s) => s.role === 'directory')!.pop3).toBeUndefined();
      const home = multi.site.homeServer('alice');
      const other = multi.site.applicationServers.find((s) => s !== home)!;
      const c = await RawPop3.open(home.ports.pop3!);
      expect(c.greeting).toContain(`+OK ${home.name} POP3 server ready`);
      expect(await c.login()).toMatch(/^\+OK alice's maildrop has 3 messages/);
      c.close();
      const d = await RawPop3.open(other.ports.pop3!);
      expect(await d.login()).toBe(`-ERR [AUTH] the mailbox of alice is on server ${home.name} (POP3 port ${home.ports.pop3}); connect there`);
      d.close();
      // Suspending one application server touches only the users whose home it is.
      const neighbour = multi.site.createUser({ name: 'carol', password: 'pw', homeServer: other.name });
      await multi.command('to tran suspend', { server: home.name });
      const e = await RawPop3.open(home.ports.pop3!);
      expect(await e.login()).toMatch(/^-ERR unable to lock maildrop/);
      e.close();
      const f = await RawPop3.open(other.ports.pop3!);
      expect(await f.login(neighbour.name, 'pw')).toMatch(/^\+OK carol's maildrop has 0 messages/);
      f.close();
    } finally {
      await multi.stop();
    }
  });
});

describe('pop3 edge cases', () => {
  it('a CR inside a line cannot smuggle a second command (CRLF injection)', async () => {
    const c = await client();
    expect(await c.cmd('USER alice\rPASS teamware')).toBe('-ERR invalid characters in the command');
    expect(await c.cmd('STAT')).toBe('-ERR STAT is not valid in the AUTHORIZATION state');
    c.close();
  });

  it('a message removed by another client after login: RETR says so, the session goes on', async () => {
    await userWith('vanish', [mail('a', 'one'), mail('b', 'two')]);
    const c = await client();
    await c.login('vanish', 'pw');
    const store = emu.site.homeStore('vanish').mail;
    store.expunge('vanish', 'INBOX', [store.messages('vanish', 'INBOX')[0]!.uid]);
    expect(await c.cmd('RETR 1')).toBe('-ERR message 1 was removed by another session');
    expect(await c.cmd('RETR 2')).toMatch(/^\+OK \d+ octets$/);
    await c.body();
    expect(await c.cmd('DELE 1')).toBe('+OK message 1 deleted');
    expect(await c.cmd('QUIT')).toBe('+OK signing off (0 messages removed, 1 left)');
  });

  it('UIDLs survive a restart of the emulator on the same data directory', async () => {
    const dir = tempDir();
    try {
      const read = async () => {
        const site = await startTestSite({ dataDir: dir.path });
        try {
          const c = await RawPop3.open(site.endpoints.servers[0]!.pop3!);
          await c.login('bob');
          const lines = (await c.multi('UIDL')).lines;
          c.close();
          return lines;
        } finally {
          await site.stop();
        }
      };
      const first = await read();
      expect(first).toHaveLength(3);
      expect(await read()).toEqual(first);
    } finally {
      dir.remove();
    }
  });
});
