import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { api, runCli, sseEvents, startTestSite, trustSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { Wire, loggedIn } from './wire.js';
import { RawPop3 } from '../pop3/rawclient.js';

// Every catalog behaviour of the IMAP server: fired through a real client,
// exact text, switchable by policy, on the event stream.

let emu: Emulator;
let port: number;
let events: Awaited<ReturnType<typeof sseEvents>>;
const wires: Wire[] = [];

async function suspend(): Promise<void> {
  expect((await api(emu, 'POST', '/api/commands', { command: 'to tran suspend' })).status).toBe(200);
}
async function resume(): Promise<void> {
  expect((await api(emu, 'POST', '/api/commands', { command: 'to tran resume' })).status).toBe(200);
}

beforeAll(async () => {
  emu = await startTestSite();
  port = emu.endpoints.servers[0]!.imap!;
  events = await sseEvents(emu);
});

afterEach(async () => {
  for (const w of wires.splice(0)) w.close();
  for (const id of ['imap4.login', 'imap4.in-flight-store']) emu.setPolicy(id, 'always');
  if (emu.site.servers[0]!.suspended) await resume();
});

afterAll(async () => {
  events.close();
  await emu.stop();
});

describe('imap4.login (seed 19.3.1)', () => {
  it('[behaviour:imap4.login] LOGIN and AUTHENTICATE on a suspended server get the exact text, on the event stream', async () => {
    await suspend();
    const w = await Wire.open(port);
    wires.push(w);
    await w.until('\r\n');
    expect(await w.cmd('a1', 'LOGIN alice teamware')).toEqual(['a1 NO LOGIN failed:Server is busy']);
    const plain = Buffer.from('\0bob\0teamware').toString('base64');
    expect(await w.cmd('a2', `AUTHENTICATE PLAIN ${plain}`)).toEqual(['a2 NO LOGIN failed:Server is busy']);
    // The session stays usable and not authenticated.
    expect(await w.cmd('a3', 'SELECT INBOX')).toEqual(['a3 BAD SELECT is not valid in the not-authenticated state; log in first']);
    const fired = await events.waitFor((e) => e.type === 'behaviour' && e.behaviour === 'imap4.login' && e.user === 'bob');
    expect(fired).toMatchObject({ client: 'imap', operation: 'AUTHENTICATE', messages: ['NO LOGIN failed:Server is busy'], server: 'twsv01' });
    await events.waitFor((e) => e.type === 'behaviour' && e.behaviour === 'imap4.login' && e.user === 'alice' && e.operation === 'LOGIN');
    await events.waitFor((e) => e.type === 'login-failed' && e.client === 'imap' && e.user === 'alice');
  });

  it('[behaviour:imap4.login] policy never: the login proceeds on a suspended server (behaviour-suppressed event)', async () => {
    expect((await api(emu, 'PUT', '/api/catalog/imap4.login/policy', { mode: 'never' })).status).toBe(200);
    await suspend();
    const w = await Wire.open(port);
    wires.push(w);
    await w.until('\r\n');
    expect((await w.cmd('b1', 'LOGIN alice teamware')).at(-1)).toMatch(/^b1 OK \[CAPABILITY .*\] LOGIN completed$/);
    await events.waitFor((e) => e.type === 'behaviour-suppressed' && e.behaviour === 'imap4.login');
    // Logged in during the suspension: not a session in flight, so the store answers.
    expect((await w.cmd('b2', 'SELECT INBOX')).at(-1)).toBe('b2 OK [READ-WRITE] SELECT completed');
  });

  it('[behaviour:imap4.login] imapflow sees the refusal as an authentication failure', async () => {
    await suspend();
    const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, tls: trustSite(emu), auth: { user: 'alice', pass: 'teamware' }, logger: false });
    c.on('error', () => undefined);
    const err = await c.connect().then(() => null, (e: Error & { responseText?: string; authenticationFailed?: boolean }) => e);
    expect(err).not.toBeNull();
    expect(err!.responseText).toBe('LOGIN failed:Server is busy');
    c.close();
  });
});

describe('imap4.in-flight-store (emulator default)', () => {
  it('[behaviour:imap4.in-flight-store] a session logged in before the suspension gets NO [UNAVAILABLE] on store commands; NOOP, CAPABILITY, IDLE and LOGOUT keep working', async () => {
    const w = await loggedIn(port);
    wires.push(w);
    expect((await w.cmd('s1', 'SELECT INBOX')).at(-1)).toBe('s1 OK [READ-WRITE] SELECT completed');
    await suspend();
    for (const [i, cmd] of ['FETCH 1 (FLAGS)', 'UID FETCH 1:* (UID)', 'STORE 1 +FLAGS (\\Seen)', 'SEARCH ALL', 'COPY 1 WasteBox', 'MOVE 1 WasteBox',
      'EXPUNGE', 'LIST "" "*"', 'STATUS INBOX (MESSAGES)', 'CREATE newbox', 'SELECT OUTBOX', 'CLOSE'].entries()) {
      expect(await w.cmd(`t${i}`, cmd)).toEqual([`t${i} NO [UNAVAILABLE] Server is busy`]);
    }
    expect(await w.cmd('n1', 'NOOP')).toEqual(['n1 OK NOOP completed']);
    expect((await w.cmd('n2', 'CAPABILITY')).at(-1)).toBe('n2 OK CAPABILITY completed');
    const from = w.mark();
    w.send('n3 IDLE\r\n');
    expect(await w.until('\r\n', 5000, from)).toBe('+ idling\r\n');
    const from2 = w.mark();
    w.send('DONE\r\n');
    expect(await w.lines('n3', from2)).toEqual(['n3 OK IDLE terminated']);
    // Nothing changed: the message was neither flagged, copied nor moved.
    const mail = emu.site.homeStore('alice').mail;
    expect(mail.messages('alice', 'INBOX')[0]!.flags).toEqual([]);
    expect(mail.count('alice', 'WasteBox')).toBe(0);
    const fired = await events.waitFor((e) => e.type === 'behaviour' && e.behaviour === 'imap4.in-flight-store' && e.operation === 'UID FETCH');
    expect(fired).toMatchObject({ client: 'imap', user: 'alice', messages: ['NO [UNAVAILABLE] Server is busy'] });
    expect(emu.site.catalog.spec('imap4.in-flight-store').source).toBe('emulator');
    await resume();
    expect((await w.cmd('r1', 'FETCH 1 (FLAGS)')).at(-1)).toBe('r1 OK FETCH completed');
    expect(await w.cmd('r2', 'LOGOUT')).toEqual(['* BYE Logging out', 'r2 OK LOGOUT completed']);
  });

  it('[behaviour:imap4.in-flight-store] an IDLE open across the suspension stays open and reports changes after the resume', async () => {
    const w = await loggedIn(port, 'bob');
    wires.push(w);
    await w.cmd('s1', 'SELECT INBOX');
    let from = w.mark();
    w.send('i1 IDLE\r\n');
    expect(await w.until('\r\n', 5000, from)).toBe('+ idling\r\n');
    await suspend();
    from = w.mark();
    emu.site.deliver('bob', 'Subject: while suspended\r\n\r\nx\r\n');
    await new Promise((r) => setTimeout(r, 100));
    expect(w.text.slice(from)).toBe('');
    await resume();
    expect(await w.until('* 4 EXISTS\r\n', 5000, from)).toBe('* 4 EXISTS\r\n');
    from = w.mark();
    w.send('DONE\r\n');
    expect(await w.lines('i1', from)).toEqual(['i1 OK IDLE terminated']);
  });

  it('[behaviour:imap4.in-flight-store] policy never: commands of a session in flight run normally', async () => {
    const w = await loggedIn(port);
    wires.push(w);
    await w.cmd('s1', 'SELECT INBOX');
    await suspend();
    emu.setPolicy('imap4.in-flight-store', 'never');
    expect(await w.cmd('f1', 'FETCH 1 (UID)')).toEqual(['* 1 FETCH (UID 1)', 'f1 OK FETCH completed']);
    await events.waitFor((e) => e.type === 'behaviour-suppressed' && e.behaviour === 'imap4.in-flight-store' && e.operation === 'FETCH');
  });

  it('[behaviour:imap4.in-flight-store] an imapflow session idle in INBOX, server suspended through the CLI: its next commands show the behaviour; after resume it works again', async () => {
    const c = new ImapFlow({ host: '127.0.0.1', port, secure: false, tls: trustSite(emu), auth: { user: 'bob', pass: 'teamware' }, logger: false });
    c.on('error', () => undefined);
    await c.connect();
    await c.mailboxOpen('INBOX');
    void c.idle();
    const suspended = await runCli(['to', 'tran', 'suspend', '--data', emu.dataDir]);
    expect(suspended.code, suspended.stderr).toBe(0);
    const err = await c.fetchOne('1', { envelope: true }).then(() => null, (e: Error & { responseText?: string }) => e);
    expect(err).not.toBeNull();
    // imapflow keeps the response code in the parsed response.
    expect((err as unknown as { response: { attributes: Array<{ section?: Array<{ value: string }> }> } }).response.attributes[0]!.section![0]!.value).toBe('UNAVAILABLE');
    expect(err!.responseText).toBe('Server is busy');
    // imapflow reports a refused STORE as `false`; nothing changed.
    expect(await c.messageFlagsAdd('1', ['\\Seen'])).toBe(false);
    expect(emu.site.homeStore('bob').mail.messages('bob', 'INBOX')[0]!.flags).toEqual([]);
    expect(await c.noop().then(() => 'ok')).toBe('ok');
    await events.waitFor((e) => e.type === 'behaviour' && e.behaviour === 'imap4.in-flight-store' && e.user === 'bob');
    const resumed = await runCli(['to', 'tran', 'resume', '--data', emu.dataDir]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const m = (await c.fetchOne('1', { envelope: true }))!;
    expect(m.envelope!.subject).toBe('週次報告のお願い');
    await c.logout();
  });
});

describe('accounts and backup mode', () => {
  it('an account whose Mail service is unavailable cannot log in', async () => {
    emu.site.createUser({ name: 'nomail', password: 'teamware', services: { mail: false, calendar: true, forum: true, library: true, web: true } });
    const w = await Wire.open(port);
    wires.push(w);
    await w.until('\r\n');
    expect(await w.cmd('m1', 'LOGIN nomail teamware')).toEqual(['m1 NO [AUTHORIZATIONFAILED] The Mail service is not available for this account']);
    await events.waitFor((e) => e.type === 'login-failed' && e.user === 'nomail');
  });

  it('in backup mode every write lands in the staging area and is visible at once to other sessions and to POP3', async () => {
    await emu.command('to tran suspend');
    await emu.command('to backup on');
    await emu.command('tobkweb arc');
    await emu.command('to tran resume');
    try {
      const staged = () => emu.site.servers[0]!.store.database.stagedCount();
      const before = staged();
      const writer = await loggedIn(port, 'alice');
      const reader = await loggedIn(port, 'alice');
      wires.push(writer, reader);
      await writer.cmd('w0', 'SELECT INBOX');
      await reader.cmd('r0', 'SELECT INBOX');
      let from = writer.mark();
      writer.send('w1 APPEND INBOX (\\Flagged) {31+}\r\nSubject: during backup\r\n\r\nhello\r\n\r\n');
      expect((await writer.lines('w1', from)).at(-1)).toMatch(/^w1 OK \[APPENDUID \d+ 4\] APPEND completed$/);
      // \Recent went to the writer's session, which saw the message first.
      expect(await reader.cmd('r1', 'NOOP')).toEqual(['* 4 EXISTS', '* 0 RECENT', 'r1 OK NOOP completed']);
      expect((await writer.cmd('w2', 'STORE 1 +FLAGS.SILENT (\\Deleted)')).at(-1)).toBe('w2 OK STORE completed');
      expect(await reader.cmd('r2', 'NOOP')).toEqual(['* 1 FETCH (FLAGS (\\Deleted) UID 1)', 'r2 OK NOOP completed']);
      expect((await writer.cmd('w3', 'UID COPY 2 OUTBOX')).at(-1)).toMatch(/^w3 OK \[COPYUID \d+ 2 1\] UID COPY completed$/);
      expect((await writer.cmd('w4', 'MOVE 3 WasteBox')).slice(-2)).toEqual(['* 3 EXPUNGE', 'w4 OK MOVE completed']);
      expect(await writer.cmd('w5', 'EXPUNGE')).toEqual(['* 1 EXPUNGE', 'w5 OK EXPUNGE completed']);
      expect(await reader.cmd('r3', 'NOOP')).toEqual(['* 3 EXPUNGE', '* 1 EXPUNGE', 'r3 OK NOOP completed']);
      expect((await writer.cmd('w6', 'CREATE staged')).at(-1)).toBe('w6 OK CREATE completed');
      expect((await writer.cmd('w7', 'RENAME staged staged2')).at(-1)).toBe('w7 OK RENAME completed');
      expect((await writer.cmd('w8', 'DELETE staged2')).at(-1)).toBe('w8 OK DELETE completed');
      expect(await reader.cmd('r4', 'UID SEARCH ALL')).toEqual(['* SEARCH 2 4', 'r4 OK UID SEARCH completed']);
      const ops = emu.site.servers[0]!.store.database.stagedChanges(0, 1000).slice(before).map((c) => c.operation);
      expect(ops).toEqual(['append', 'flags-add', 'copy', 'move', 'expunge', 'folder-create', 'folder-rename', 'folder-delete']);
      expect(staged() - before).toBe(8);
      // POP3 sees the same maildrop: two messages (UIDs 2 and 4).
      const pop = await popStat(emu.endpoints.servers[0]!.pop3!);
      expect(pop).toMatch(/^\+OK 2 \d+/);
    } finally {
      // Straight out of backup mode (lenient: the differential backup is not the point here).
      await emu.command('tobkweb rm', { lenient: true });
      await emu.command('to backup off', { lenient: true });
    }
  });

  it('refuses a user whose mailbox is on another application server (multi-server site)', async () => {
    const multi = await startTestSite({ topology: 'multi', appServers: 2 });
    try {
      const home = multi.site.homeServer('alice');
      const other = multi.endpoints.servers.find((s) => s.role === 'application' && s.name !== home.name)!;
      const w = await Wire.open(other.imap!);
      wires.push(w);
      await w.until('\r\n');
      expect(await w.cmd('h1', 'LOGIN alice teamware')).toEqual([`h1 NO [UNAVAILABLE] The mailbox of alice is on server ${home.name} (IMAP port ${home.ports.imap}); connect there`]);
      const w2 = await Wire.open(home.ports.imap!);
      wires.push(w2);
      await w2.until('\r\n');
      expect((await w2.cmd('h2', 'LOGIN alice teamware')).at(-1)).toMatch(/^h2 OK /);
    } finally {
      await multi.stop();
    }
  });
});

/** USER/PASS/STAT/QUIT over a raw POP3 socket; returns the STAT line. */
async function popStat(p: number): Promise<string> {
  const c = await RawPop3.open(p);
  try {
    await c.login();
    const stat = await c.cmd('STAT');
    await c.cmd('QUIT');
    return stat;
  } finally {
    c.close();
  }
}
