// Bad input, early talkers, idle clients, floods of bad commands and of
// connections: a clean -ERR or a clean close, and other sessions unaffected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { RawPop3 } from './rawclient.js';

let emu: Emulator;
let port: number;
const open: RawPop3[] = [];
async function client(opts?: Parameters<typeof RawPop3.open>[1]): Promise<RawPop3> {
  const c = await RawPop3.open(port, opts);
  open.push(c);
  return c;
}

beforeAll(async () => {
  emu = await startTestSite({
    services: { pop3: { failedLoginDelayMs: 300, autologoutMs: 300, maxBadCommands: 4, maxLineLength: 512 } },
  });
  port = emu.endpoints.servers[0]!.pop3!;
});
afterAll(async () => {
  for (const c of open) c.close();
  await emu.stop();
});

describe('pop3 robustness', () => {
  it('a line over the limit gets -ERR and the session goes on; a 300-octet line (over RFC 2449\'s 255) is still read', async () => {
    const c = await client();
    expect(await c.cmd(`USER ${'x'.repeat(600)}`)).toBe('-ERR line too long (at most 512 octets with CRLF)');
    // Without any line end at all: reported once when it passes the limit, the rest skipped until the line end.
    c.send(Buffer.alloc(4000, 0x41));
    expect(await c.line()).toBe('-ERR line too long (at most 512 octets with CRLF)');
    c.send('\r\n');
    const name = 'n'.repeat(290);
    expect(await c.cmd(`USER ${name}`)).toBe(`+OK send PASS for ${name}`);
    expect(await c.login()).toMatch(/^\+OK alice's maildrop has 3 messages/);
    c.close();
  });

  it('binary garbage and control characters get -ERR, never a crash', async () => {
    const c = await client();
    c.send(Buffer.from([0x00, 0xff, 0xfe, 0x1b, 0x0d, 0x0a]));
    expect(await c.line()).toBe('-ERR unknown command');
    expect(await c.cmd('USER al\x01ice')).toBe('-ERR invalid characters in the command');
    expect(await c.cmd('')).toBe('-ERR empty command line');
    expect(await c.cmd('USER alice')).toBe('+OK send PASS for alice');
    expect(await c.cmd('PASS teamware')).toMatch(/^\+OK alice's maildrop has/);
    expect(await c.cmd('STAT')).toMatch(/^\+OK 3 \d+$/);
    c.close();
  });

  it('a client that talks before the greeting gets the greeting first, then its replies in order', async () => {
    const c = await client({ readGreeting: false, send: 'CAPA\r\nUSER bob\r\n' });
    expect(await c.line()).toMatch(/^\+OK twsv01 POP3 server ready/);
    expect(await c.line()).toBe('+OK Capability list follows');
    await c.body();
    expect(await c.line()).toBe('+OK send PASS for bob');
    c.close();
  });

  it('too many bad commands close the session; another session is unaffected', async () => {
    const other = await client();
    await other.login('bob');
    const c = await client();
    expect(await c.cmd('FOO')).toBe('-ERR unknown command');
    expect(await c.cmd('STAT')).toBe('-ERR STAT is not valid in the AUTHORIZATION state');
    expect(await c.cmd('USER')).toBe('-ERR usage: USER name');
    expect(await c.cmd('BAR')).toBe('-ERR too many bad commands, closing connection');
    expect(await c.rest()).toBe('');
    expect(c.closed).toBe(true);
    expect(await other.cmd('STAT')).toMatch(/^\+OK 3 \d+$/);
    other.close();
  });

  it('failed logins are delayed (configurable) and count as bad commands', async () => {
    const ev = collectEvents(emu);
    const c = await client();
    expect(await c.cmd('USER alice')).toBe('+OK send PASS for alice');
    const t0 = performance.now();
    expect(await c.cmd('PASS guess')).toBe('-ERR [AUTH] invalid user name or password');
    // The delay is a lower bound set in the config (300 ms), not a speed figure.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    expect(ev.events.filter((e) => e.type === 'login-failed' && e.user === 'alice')).toHaveLength(1);
    for (let i = 0; i < 2; i++) {
      await c.cmd('USER alice');
      expect(await c.cmd('PASS guess')).toBe('-ERR [AUTH] invalid user name or password');
    }
    await c.cmd('USER alice');
    expect(await c.cmd('PASS guess')).toBe('-ERR too many bad commands, closing connection');
    await c.closedPromise;
    ev.off();
    expect(ev.events.filter((e) => e.type === 'login-failed' && e.user === 'alice')).toHaveLength(4);
  });

  it('a client that never speaks is logged out by the autologout timer; a session that marked messages loses nothing', async () => {
    const idle = await client();
    expect(await idle.line()).toBe('-ERR autologout timer expired, closing connection');
    await idle.closedPromise;
    const c = await client();
    await c.login('bob');
    expect(await c.cmd('DELE 1')).toBe('+OK message 1 deleted');
    expect(await c.line()).toBe('-ERR autologout timer expired, closing connection');
    await c.closedPromise;
    expect(emu.site.homeStore('bob').mail.count('bob', 'INBOX')).toBe(3);
  });

  it('too many connections: the extra one gets -ERR and a clean close; a slot frees when a session ends', async () => {
    const small = await startTestSite({ services: { pop3: { maxConnections: 3 } } });
    const held: RawPop3[] = [];
    try {
      const smallPort = small.endpoints.servers[0]!.pop3!;
      for (let i = 0; i < 3; i++) held.push(await RawPop3.open(smallPort));
      for (const h of held) expect(h.greeting).toMatch(/^\+OK /);
      const extra = await RawPop3.open(smallPort, { readGreeting: false });
      held.push(extra);
      expect(await extra.line()).toBe('-ERR [SYS/TEMP] too many connections, try again later');
      await extra.closedPromise;
      // The held sessions still work.
      expect(await held[0]!.cmd('USER alice')).toBe('+OK send PASS for alice');
      expect(await held[2]!.cmd('QUIT')).toBe('+OK signing off');
      await held[2]!.closedPromise;
      // Bounded wait for the server to count the close; then a new connection is greeted.
      let greeted = false;
      for (let i = 0; i < 50 && !greeted; i++) {
        const t = await RawPop3.open(smallPort, { readGreeting: false });
        held.push(t);
        greeted = (await t.line()).startsWith('+OK');
        if (!greeted) await new Promise((r) => setTimeout(r, 20));
      }
      expect(greeted).toBe(true);
    } finally {
      for (const h of held) h.close();
      await small.stop();
    }
  });

  it('a client that resets the connection in the middle of a reply does not disturb others', async () => {
    const big = 'X'.repeat(998) + '\r\n';
    emu.site.deliver('bob', `Subject: big\r\n\r\n${big.repeat(4000)}`);
    const a = await client();
    await a.login('bob');
    a.send('RETR 4\r\nRETR 4\r\nRETR 4\r\n');
    a.socket.resetAndDestroy();
    const b = await client();
    expect(await b.login('alice')).toMatch(/^\+OK alice's maildrop has 3 messages/);
    expect(await b.cmd('STAT')).toMatch(/^\+OK 3 \d+$/);
    b.close();
  });

  it('a client that pipelines far ahead without reading is throttled, and still gets every reply in order', async () => {
    const c = await client();
    await c.login('alice');
    c.send('NOOP\r\n'.repeat(500) + 'STAT\r\n');
    for (let i = 0; i < 500; i++) expect(await c.line()).toBe('+OK');
    expect(await c.line()).toMatch(/^\+OK 3 \d+$/);
    c.close();
  });

  it('a bad services.pop3 option stops the site from starting, with a clear message', async () => {
    await expect(startTestSite({ services: { pop3: { autologoutMs: 'soon' } } })).rejects.toThrow('services.pop3.autologoutMs must be an integer from 10 to 86400000, not "soon"');
  });

  it('fuzz: 20 connections of seeded random lines (keywords, garbage, NULs, bare CRs) get only +OK/-ERR lines; the server keeps serving', async () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    const keywords = ['USER', 'PASS', 'APOP', 'STAT', 'LIST', 'RETR', 'DELE', 'NOOP', 'RSET', 'TOP', 'UIDL', 'AUTH', 'user']; // STLS starts a TLS handshake: test/protocols/tls/ sends it garbage
    const line = (): Buffer => {
      const kind = rand();
      if (kind < 0.5) return Buffer.from(`${pick(keywords)}${rand() < 0.7 ? ` ${pick(['1', '0', '-1', 'alice', 'x'.repeat(Math.floor(rand() * 300)), '99999999999', '\u00e9'])}` : ''}`, 'utf8');
      const n = Math.floor(rand() * 80);
      return Buffer.from(Array.from({ length: n }, () => { const b = Math.floor(rand() * 256); return b === 0x0a ? 0x0d : b; }));
    };
    const results = await Promise.all(Array.from({ length: 20 }, async () => {
      const c = await RawPop3.open(port);
      const lines = Array.from({ length: 30 }, line);
      c.send(Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\r\n')])));
      const replies: string[] = [];
      for (;;) {
        try {
          replies.push(await c.line());
        } catch (e) {
          // Only a close by the server (too many bad commands) ends the replies early, never a hang.
          expect(c.closed, String(e)).toBe(true);
          expect(replies[replies.length - 1]).toBe('-ERR too many bad commands, closing connection');
          break;
        }
        if (replies.length === lines.length) break;
      }
      c.close();
      return replies;
    }));
    for (const replies of results) {
      expect(replies.length).toBeGreaterThan(0);
      for (const r of replies) expect(r).toMatch(/^(\+OK|-ERR)( |$)/);
    }
    const c = await client();
    expect(await c.login('alice')).toMatch(/^\+OK alice's maildrop has 3 messages/);
    c.close();
  });
});
