// The catalog behaviours of the POP3 server, through real clients (node-pop3 and
// raw sockets): fired with their exact text, switched off by policy `never`,
// visible on the event stream (a real SSE client).
import Pop3Command from 'node-pop3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, sseEvents, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { DEFAULT_LOGIN_DETAIL } from '../../../protocols/pop3/options.js';
import { RawPop3 } from './rawclient.js';

const LOCK = '-ERR unable to lock maildrop';
const LOCK_CODED = '-ERR [IN-USE] unable to lock maildrop';
const DETAIL = ' (emulator detail: the server is suspended for an online backup)';

let emu: Emulator;
let port: number;
let sse: Awaited<ReturnType<typeof sseEvents>>;
const open: RawPop3[] = [];
async function client(): Promise<RawPop3> {
  const c = await RawPop3.open(port);
  open.push(c);
  return c;
}
const pop3 = (user = 'alice', password = 'teamware') => new Pop3Command({ user, password, host: '127.0.0.1', port, timeout: 5000 });
const setPolicy = async (id: string, policy: Record<string, unknown>) => expect((await api(emu, 'PUT', `/api/catalog/${id}/policy`, policy)).status).toBe(200);
const suspend = async () => expect((await api(emu, 'POST', '/api/commands', { command: 'to tran suspend' })).status).toBe(200);
const inbox = (user: string) => emu.site.homeStore(user).mail.count(user, 'INBOX');
let users = 0;
/** A fresh user with three mails, so that deleting tests do not disturb each other. */
async function freshUser(): Promise<string> {
  const name = `u${++users}`;
  expect((await api(emu, 'POST', '/api/users', { name, password: 'pw' })).status).toBe(201);
  for (let i = 1; i <= 3; i++) emu.site.deliver(name, `Subject: m${i}\r\n\r\nbody ${i}\r\n`);
  return name;
}
/** The event this test caused: after `since`, for the behaviour. */
const eventOf = (since: number, id: string, type = 'behaviour') => sse.waitFor((e) => e.seq > since && e.behaviour === id && e.type === type);

beforeAll(async () => {
  emu = await startTestSite({ services: { pop3: { failedLoginDelayMs: 0 } } });
  port = emu.endpoints.servers[0]!.pop3!;
  sse = await sseEvents(emu);
});
afterAll(async () => {
  sse.close();
  for (const c of open) c.close();
  await emu.stop();
});
beforeEach(async () => {
  expect((await api(emu, 'POST', '/api/catalog/reset', {})).status).toBe(200);
});
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  if (emu.site.servers[0]!.suspended) await emu.command('to tran resume');
});

describe('pop3.login', () => {
  it('[behaviour:pop3.login] USER answers +OK, PASS answers the catalog line plus the emulator detail; on the event stream', async () => {
    expect(DEFAULT_LOGIN_DETAIL).toBe(DETAIL);
    await suspend();
    const since = emu.site.events.lastSeq;
    const c = await client();
    expect(c.greeting).toMatch(/^\+OK /);
    expect(await c.cmd('USER alice')).toBe('+OK send PASS for alice');
    expect(await c.cmd('PASS teamware')).toBe(`${LOCK}${DETAIL}`);
    const e = await eventOf(since, 'pop3.login');
    expect(e).toMatchObject({ server: 'twsv01', client: 'pop3', user: 'alice', operation: 'PASS', messages: [LOCK], variant: 'plain' });
    // Still in AUTHORIZATION: the client may try again later; APOP is refused the same way.
    expect(await c.cmd('STAT')).toBe('-ERR STAT is not valid in the AUTHORIZATION state');
    expect(await c.cmd('QUIT')).toBe('+OK signing off');
  });

  it('[behaviour:pop3.login] the real client node-pop3 gets the error', async () => {
    await suspend();
    const p = pop3();
    await expect(p.STAT()).rejects.toThrow(`unable to lock maildrop${DETAIL}`);
  });

  it('[behaviour:pop3.login] coded variant: -ERR [IN-USE] (RFC 2449), also for APOP', async () => {
    await setPolicy('pop3.login', { mode: 'always', variant: 1 });
    await suspend();
    const since = emu.site.events.lastSeq;
    const c = await client();
    await c.cmd('USER alice');
    expect(await c.cmd('PASS teamware')).toBe(`${LOCK_CODED}${DETAIL}`);
    expect((await eventOf(since, 'pop3.login')).variant).toBe('coded');
    const ts = /(<[^>]+>)$/.exec(c.greeting)![1]!;
    const { createHash } = await import('node:crypto');
    expect(await c.cmd(`APOP alice ${createHash('md5').update(`${ts}teamware`).digest('hex')}`)).toBe(`${LOCK_CODED}${DETAIL}`);
  });

  it('[behaviour:pop3.login] policy never: the login proceeds normally while suspended', async () => {
    await setPolicy('pop3.login', { mode: 'never' });
    await suspend();
    const since = emu.site.events.lastSeq;
    const p = pop3();
    expect(await p.STAT()).toMatch(/^3 \d+$/);
    await p.QUIT();
    expect(await eventOf(since, 'pop3.login', 'behaviour-suppressed')).toMatchObject({ user: 'alice', client: 'pop3' });
  });

  it('[behaviour:pop3.login] a wrong password on a suspended server is an authentication failure, not a lock failure', async () => {
    await suspend();
    const c = await client();
    await c.cmd('USER alice');
    expect(await c.cmd('PASS nope')).toBe('-ERR [AUTH] invalid user name or password');
  });

  it('[behaviour:pop3.login] the detail text is configurable', async () => {
    const other = await startTestSite({ services: { pop3: { loginDetail: ': try again after the online backup' } } });
    try {
      await other.command('to tran suspend');
      const c = await RawPop3.open(other.endpoints.servers[0]!.pop3!);
      await c.cmd('USER bob');
      expect(await c.cmd('PASS teamware')).toBe(`${LOCK}: try again after the online backup`);
      c.close();
    } finally {
      await other.stop();
    }
  });
});

describe('pop3.retr', () => {
  it('[behaviour:pop3.retr] a session authenticated before the suspension gets -ERR failed to read message on RETR and TOP', async () => {
    const c = await client();
    await c.login();
    expect(await c.cmd('RETR 1')).toMatch(/^\+OK \d+ octets$/);
    await c.body();
    await suspend();
    const since = emu.site.events.lastSeq;
    expect(await c.cmd('RETR 1')).toBe('-ERR failed to read message');
    expect(await eventOf(since, 'pop3.retr')).toMatchObject({ operation: 'RETR', client: 'pop3', user: 'alice', messages: ['-ERR failed to read message'] });
    expect(await c.cmd('TOP 1 0')).toBe('-ERR failed to read message');
    await sse.waitFor((e) => e.seq > since && e.behaviour === 'pop3.retr' && e.operation === 'TOP');
    // A wrong number is still a wrong number.
    expect(await c.cmd('RETR 9')).toBe('-ERR no such message 9');
    // The session is alive: after resume RETR works again.
    await emu.command('to tran resume');
    expect(await c.cmd('RETR 1')).toMatch(/^\+OK \d+ octets$/);
    await c.body();
  });

  it('[behaviour:pop3.retr] node-pop3 gets the error; coded variant -ERR [SYS/TEMP]', async () => {
    const p = pop3('bob');
    expect(await p.STAT()).toMatch(/^3 /);
    const raw = await client();
    await raw.login('bob');
    await suspend();
    await expect(p.RETR(1)).rejects.toThrow(/^failed to read message$/);
    await setPolicy('pop3.retr', { mode: 'always', variant: 1 });
    await expect(p.TOP(1, 0)).rejects.toThrow(/^\[SYS\/TEMP\] failed to read message$/);
    expect(await raw.cmd('RETR 2')).toBe('-ERR [SYS/TEMP] failed to read message');
    expect(await raw.cmd('TOP 2 1')).toBe('-ERR [SYS/TEMP] failed to read message');
  });

  it('[behaviour:pop3.retr] policy never: RETR and TOP proceed while suspended', async () => {
    await setPolicy('pop3.retr', { mode: 'never' });
    const p = pop3();
    await p.STAT();
    await suspend();
    const since = emu.site.events.lastSeq;
    expect(await p.RETR(3)).toContain('Content-Type: text/plain; charset=ISO-2022-JP');
    expect(await p.TOP(1, 0)).toContain('Subject: ');
    expect(await eventOf(since, 'pop3.retr', 'behaviour-suppressed')).toMatchObject({ operation: 'RETR' });
    await p.QUIT();
  });
});

describe('pop3.quit-after-dele', () => {
  it('[behaviour:pop3.quit-after-dele] QUIT while suspended after DELE answers -ERR (emulator text) and removes nothing', async () => {
    const user = await freshUser();
    const c = await client();
    await c.login(user, 'pw');
    expect(await c.cmd('DELE 1')).toBe('+OK message 1 deleted');
    expect(await c.cmd('DELE 3')).toBe('+OK message 3 deleted');
    await suspend();
    const since = emu.site.events.lastSeq;
    expect(await c.cmd('QUIT')).toBe('-ERR some deleted messages not removed');
    expect(await c.rest()).toBe('');
    expect(await eventOf(since, 'pop3.quit-after-dele')).toMatchObject({
      operation: 'QUIT', client: 'pop3', user, messages: ['-ERR some deleted messages not removed'], variant: 'plain' });
    expect(inbox(user)).toBe(3);
    await emu.command('to tran resume');
    const d = await client();
    expect(await d.login(user, 'pw')).toMatch(/has 3 messages/);
  });

  it('[behaviour:pop3.quit-after-dele] node-pop3: QUIT rejects, the messages stay; QUIT without DELE is fine', async () => {
    const user = await freshUser();
    const a = pop3(user, 'pw');
    const b = pop3(user, 'pw');
    await a.DELE(2);
    await b.STAT();
    await suspend();
    await expect(a.QUIT()).rejects.toThrow('some deleted messages not removed');
    expect(await b.QUIT()).toMatch(/^signing off \(3 messages left\)$/);
    expect(inbox(user)).toBe(3);
  });

  it('[behaviour:pop3.quit-after-dele] policy never: QUIT removes the marked messages while suspended', async () => {
    await setPolicy('pop3.quit-after-dele', { mode: 'never' });
    const user = await freshUser();
    const c = await client();
    await c.login(user, 'pw');
    await c.cmd('DELE 2');
    await suspend();
    const since = emu.site.events.lastSeq;
    expect(await c.cmd('QUIT')).toBe('+OK signing off (1 message removed, 2 left)');
    expect(await eventOf(since, 'pop3.quit-after-dele', 'behaviour-suppressed')).toMatchObject({ user });
    expect(inbox(user)).toBe(2);
  });

  it('[behaviour:pop3.quit-after-dele] coded variant (services.pop3.quitAfterDeleVariant: coded)', async () => {
    const other = await startTestSite({ services: { pop3: { quitAfterDeleVariant: 'coded' } } });
    try {
      const c = await RawPop3.open(other.endpoints.servers[0]!.pop3!);
      await c.login('bob');
      await c.cmd('DELE 1');
      await other.command('to tran suspend');
      expect(await c.cmd('QUIT')).toBe('-ERR [SYS/TEMP] some deleted messages not removed');
      expect(other.site.events.since(0).some((e) => e.type === 'behaviour' && e.behaviour === 'pop3.quit-after-dele' && e.variant === 'coded')).toBe(true);
      expect(other.site.homeStore('bob').mail.count('bob', 'INBOX')).toBe(3);
      c.close();
    } finally {
      await other.stop();
    }
  });
});

describe('pop3.quit-after-dele through the catalog', () => {
  it('[behaviour:pop3.quit-after-dele] a policy variant picks the coded text (the catalog decides, not the handler)', async () => {
    await setPolicy('pop3.quit-after-dele', { mode: 'always', variant: 1 });
    try {
      const user = await freshUser();
      const c = await client();
      await c.login(user, 'pw');
      await c.cmd('DELE 1');
      await suspend();
      const since = emu.site.events.lastSeq;
      expect(await c.cmd('QUIT')).toBe('-ERR [SYS/TEMP] some deleted messages not removed');
      expect(await eventOf(since, 'pop3.quit-after-dele')).toMatchObject({
        operation: 'QUIT', client: 'pop3', user, messages: ['-ERR [SYS/TEMP] some deleted messages not removed'], variant: 'coded' });
      expect(inbox(user)).toBe(3);
    } finally {
      await setPolicy('pop3.quit-after-dele', { mode: 'always' });
    }
  });
});

describe('pop3.listing (emulator default)', () => {
  it('[behaviour:pop3.listing] is an emulator default, off by default: STAT, LIST, UIDL in flight answer from the session\'s listing', async () => {
    const entry = (await api(emu, 'GET', '/api/catalog/pop3.listing')).body;
    expect(entry).toMatchObject({ source: 'emulator', policy: { mode: 'never' } });
    expect(entry.effect).toMatch(/^emulator default/);
    const c = await client();
    await c.login();
    await suspend();
    const since = emu.site.events.lastSeq;
    expect(await c.cmd('STAT')).toMatch(/^\+OK 3 \d+$/);
    expect((await c.multi('LIST')).lines).toHaveLength(3);
    expect((await c.multi('UIDL')).lines).toHaveLength(3);
    expect(await eventOf(since, 'pop3.listing', 'behaviour-suppressed')).toMatchObject({ operation: 'STAT' });
  });

  it('[behaviour:pop3.listing] policy always: -ERR failed to read maildrop (plain and coded); on the event stream', async () => {
    await setPolicy('pop3.listing', { mode: 'always' });
    const c = await client();
    await c.login();
    expect(await c.cmd('STAT')).toMatch(/^\+OK 3 /);
    await suspend();
    const since = emu.site.events.lastSeq;
    for (const cmd of ['STAT', 'LIST', 'LIST 1', 'UIDL', 'UIDL 1']) expect(await c.cmd(cmd)).toBe('-ERR failed to read maildrop');
    expect(await eventOf(since, 'pop3.listing')).toMatchObject({ operation: 'STAT', user: 'alice', messages: ['-ERR failed to read maildrop'] });
    await setPolicy('pop3.listing', { mode: 'always', variant: 1 });
    expect(await c.cmd('STAT')).toBe('-ERR [SYS/TEMP] failed to read maildrop');
    // DELE and NOOP do not touch the store and still work.
    expect(await c.cmd('NOOP')).toBe('+OK');
    expect(await c.cmd('DELE 1')).toBe('+OK message 1 deleted');
    await emu.command('to tran resume');
    expect(await c.cmd('STAT')).toMatch(/^\+OK 2 /);
  });
});

describe('pop3.greeting (emulator default)', () => {
  it('[behaviour:pop3.greeting] off by default: a new connection to a suspended server is greeted +OK', async () => {
    expect((await api(emu, 'GET', '/api/catalog/pop3.greeting')).body).toMatchObject({ source: 'emulator', policy: { mode: 'never' } });
    await suspend();
    const since = emu.site.events.lastSeq;
    const c = await client();
    expect(c.greeting).toMatch(/^\+OK twsv01 POP3 server ready/);
    expect(await eventOf(since, 'pop3.greeting', 'behaviour-suppressed')).toMatchObject({ operation: 'connect', client: 'pop3' });
  });

  it('[behaviour:pop3.greeting] policy always: -ERR greeting (plain and coded) and a clean close; fine again after resume', async () => {
    await setPolicy('pop3.greeting', { mode: 'always' });
    await suspend();
    const since = emu.site.events.lastSeq;
    const c = await client();
    expect(c.greeting).toBe('-ERR server is suspended for an online backup, try again later');
    expect(await c.rest()).toBe('');
    expect(await eventOf(since, 'pop3.greeting')).toMatchObject({ messages: ['-ERR server is suspended for an online backup, try again later'] });
    await setPolicy('pop3.greeting', { mode: 'always', variant: 1 });
    const d = await client();
    expect(d.greeting).toBe('-ERR [SYS/TEMP] server is suspended for an online backup, try again later');
    // node-pop3 emits an 'error' event for an -ERR greeting (it would crash a client without a listener).
    const p = pop3();
    const seen: Error[] = [];
    p.on('error', (e: Error) => seen.push(e));
    await expect(p.STAT()).rejects.toThrow();
    expect(seen.map((e) => e.message)).toEqual(['[SYS/TEMP] server is suspended for an online backup, try again later']);
    await emu.command('to tran resume');
    expect(await pop3().STAT()).toMatch(/^3 /);
  });
});
