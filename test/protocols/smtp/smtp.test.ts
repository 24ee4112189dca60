// SMTP submission through real clients: nodemailer (STARTTLS, AUTH, the CA of
// endpoints.json) and a raw socket for the exact reply lines of the catalog's
// smtp.* behaviours while the server is suspended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { api, collectEvents, startTestSite, trustSite } from '../../helpers.js';
import { LineClient } from '../common/line-client.js';
import type { Emulator } from '../../../emulator/index.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

async function inbox(emu: Emulator, user: string): Promise<string[]> {
  const c = new ImapFlow({ host: '127.0.0.1', port: emu.endpoints.servers[0]!.imap!, secure: false, tls: trustSite(emu), auth: { user, pass: 'teamware' }, logger: false });
  await c.connect();
  const out: string[] = [];
  const lock = await c.getMailboxLock('INBOX');
  try {
    for await (const m of c.fetch('1:*', { source: true })) out.push(m.source!.toString('utf8'));
  } finally {
    lock.release();
  }
  await c.logout();
  return out;
}

/** A raw session: greeting, EHLO, then AUTH PLAIN; returns the client and the AUTH reply line. */
async function authed(emu: Emulator, user = 'alice', password = 'teamware'): Promise<{ c: LineClient; reply: string }> {
  const c = await LineClient.plain(emu.endpoints.servers[0]!.smtp!);
  await c.until(/^220 .*\r\n/);
  c.send('EHLO client.example\r\n');
  await c.until(/^250 .*\r\n/m);
  c.send(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}\r\n`);
  const reply = await c.until(/^\d{3} .*\r\n/m);
  return { c, reply: reply.trim() };
}

describe('SMTP submission', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ services: { access: { failedLoginDelayMs: 0 } } });
  });
  afterAll(() => emu.stop());

  it('nodemailer with STARTTLS (trusting endpoints.json ca) and AUTH delivers to local INBOXes with Return-Path, Date and Message-ID added; no copy for the sender', async () => {
    expect(emu.endpoints.servers[0]!.smtp).toBeGreaterThan(0);
    const before = (await inbox(emu, 'alice')).length;
    const t = createTransport({ host: '127.0.0.1', port: emu.endpoints.servers[0]!.smtp!, secure: false, requireTLS: true, tls: trustSite(emu), auth: { user: 'alice', pass: 'teamware' } });
    const info = await t.sendMail({ from: 'alice@teamware.example', to: 'bob@teamware.example', subject: 'Minutes', text: 'See you at ten.' });
    expect(info.accepted).toEqual(['bob@teamware.example']);
    expect(info.response).toBe('250 Message accepted, delivered to 1 recipient');
    t.close();
    const bob = await inbox(emu, 'bob');
    const got = bob.find((m) => m.includes('Subject: Minutes'))!;
    expect(got.startsWith('Return-Path: <alice@teamware.example>\r\n')).toBe(true);
    expect(got).toMatch(/\r\nDate: /); // nodemailer writes its own Date and Message-ID: kept
    expect(got).toMatch(/\r\nMessage-ID: </i);
    expect((await inbox(emu, 'alice')).length).toBe(before);
  });

  it('AUTH LOGIN; a message without Date and Message-ID gets them from the site clock; a relay and a bad password are refused', async () => {
    const c = await LineClient.plain(emu.endpoints.servers[0]!.smtp!);
    expect(await c.until(/\r\n/)).toBe('220 twsv01 ESMTP TeamWARE Office emulator mail submission\r\n');
    c.send('EHLO client.example\r\n');
    const ehlo = await c.until(/^250 .*\r\n/m);
    expect(ehlo).toMatch(/250-STARTTLS/);
    expect(ehlo).toMatch(/250-AUTH PLAIN LOGIN/);
    c.send('MAIL FROM:<alice@teamware.example>\r\n');
    expect(await c.until(/\r\n/)).toMatch(/^530 /);
    c.send('AUTH LOGIN\r\n');
    await c.until(/^334 .*\r\n/);
    c.send(`${b64('alice')}\r\n`);
    await c.until(/^334 .*\r\n/);
    c.send(`${b64('teamware')}\r\n`);
    expect(await c.until(/\r\n/)).toBe('235 Authentication successful\r\n');
    c.send('MAIL FROM:<alice@teamware.example>\r\nRCPT TO:<someone@elsewhere.example>\r\n');
    await c.until(/^250 .*\r\n/);
    expect(await c.until(/\r\n/)).toBe('550 5.1.1 <someone@elsewhere.example>: no such user here (only local TeamWARE accounts; this server does not relay)\r\n');
    c.send('RCPT TO:<bob@teamware.example>\r\nDATA\r\n');
    await c.until(/^250 .*\r\n/);
    await c.until(/^354 .*\r\n/);
    c.send('From: alice@teamware.example\r\nSubject: bare\r\n\r\nno date here\r\n.\r\n');
    expect(await c.until(/\r\n/)).toBe('250 Message accepted, delivered to 1 recipient\r\n');
    c.send('QUIT\r\n');
    c.close();
    const got = (await inbox(emu, 'bob')).find((m) => m.includes('Subject: bare'))!;
    // The test site's clock starts at 2026-06-15T12:00:00Z.
    expect(got).toMatch(/^Return-Path: <alice@teamware\.example>\r\nFrom: alice@teamware\.example\r\nSubject: bare\r\nDate: Mon, 15 Jun 2026 12:\d\d:\d\d \+0000\r\nMessage-ID: <[a-z0-9]+\.[0-9a-f]{16}@twsv01>\r\n\r\nno date here\r\n$/);
    const bad = await authed(emu, 'alice', 'wrong');
    expect(bad.reply).toBe('535 5.7.8 Authentication credentials invalid');
    bad.c.close();
  });

  it('in backup mode the delivery lands in the staging area', async () => {
    // The short way through the procedure (lenient: no web archive, no backup run).
    await emu.command('to tran suspend', { lenient: true });
    await emu.command('to backup on', { lenient: true });
    await emu.command('to tran resume', { lenient: true });
    try {
      const before = (await api(emu, 'GET', '/api/servers/twsv01/staging')).body.writes as number;
      const t = createTransport({ host: '127.0.0.1', port: emu.endpoints.servers[0]!.smtp!, secure: false, tls: trustSite(emu), auth: { user: 'bob', pass: 'teamware' } });
      await t.sendMail({ from: 'bob@teamware.example', to: 'alice@teamware.example', subject: 'staged', text: 'x' });
      t.close();
      expect((await api(emu, 'GET', '/api/servers/twsv01/staging')).body.writes).toBeGreaterThan(before);
      expect((await inbox(emu, 'alice')).some((m) => m.includes('Subject: staged'))).toBe(true);
    } finally {
      await emu.command('to tran suspend', { lenient: true });
      await emu.command('to backup off', { lenient: true });
      await emu.command('to tran resume', { lenient: true });
    }
  });

  it('[behaviour:smtp.login] AUTH on a suspended server: 454 4.7.0, on the event stream; variant closing: 421 and the connection ends; [behaviour:smtp.submit] a session authenticated before: 451 4.3.2 at MAIL FROM; after the resume it sends', async () => {
    const ev = collectEvents(emu);
    const early = await authed(emu, 'bob');
    expect(early.reply).toBe('235 Authentication successful');
    await emu.command('to tran suspend');
    try {
      const a = await authed(emu);
      expect(a.reply).toBe('454 4.7.0 Temporary authentication failure: the server is suspended for an online backup, try again later');
      a.c.close();
      expect(ev.fired('smtp.login')).toHaveLength(1);
      expect(ev.fired('smtp.login')[0]!.user).toBe('alice');
      emu.setPolicy('smtp.login', { mode: 'always', variant: 1 });
      const b = await authed(emu);
      expect(b.reply).toBe('421 4.3.2 Service not available: the server is suspended for an online backup, closing connection');
      await new Promise<void>((r) => (b.c.socket.destroyed ? r() : b.c.socket.once('close', () => r())));
      emu.setPolicy('smtp.login', 'always');

      early.c.send('MAIL FROM:<bob@teamware.example>\r\n');
      expect(await early.c.until(/\r\n/)).toBe('451 4.3.2 System not accepting messages: the server is suspended for an online backup, try again later\r\n');
      expect(ev.fired('smtp.submit')[0]).toMatchObject({ client: 'smtp', user: 'bob', operation: 'MAIL FROM' });
    } finally {
      await emu.command('to tran resume');
      emu.site.catalog.resetPolicies();
    }
    early.c.send('MAIL FROM:<bob@teamware.example>\r\nRCPT TO:<alice@teamware.example>\r\nDATA\r\n');
    await early.c.until(/^354 .*\r\n/m);
    early.c.send('Subject: after resume\r\n\r\nqueued and sent again\r\n.\r\n');
    expect(await early.c.until(/\r\n/)).toBe('250 Message accepted, delivered to 1 recipient\r\n');
    early.c.close();
    ev.off();
  });

  it('[behaviour:smtp.login] the console\'s demo SMTP client shows the transcript: 235 when available, 454 4.7.0 while suspended', async () => {
    const demo = () => api(emu, 'POST', '/console/demo/smtp-login', { server: 'twsv01', user: 'alice', password: 'teamware', feed: false });
    const ok = await demo();
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, summary: '235 Authentication successful', client: 'smtp' });
    expect(ok.body.lines).toContainEqual({ from: 'C', text: 'AUTH PLAIN ********' });
    await emu.command('to tran suspend');
    try {
      const busy = await demo();
      expect(busy.body).toMatchObject({ ok: false, summary: '454 4.7.0 Temporary authentication failure: the server is suspended for an online backup, try again later', behaviours: ['smtp.login'] });
    } finally {
      await emu.command('to tran resume');
    }
  });

  it('[behaviour:smtp.greeting] policy always: a new connection to a suspended server gets 421 4.3.2 and is closed', async () => {
    emu.setPolicy('smtp.greeting', 'always');
    await emu.command('to tran suspend');
    try {
      const c = await LineClient.plain(emu.endpoints.servers[0]!.smtp!);
      expect(await c.until(/\r\n/)).toBe('421 4.3.2 Service not available: the server is suspended for an online backup, closing connection\r\n');
      c.close();
    } finally {
      await emu.command('to tran resume');
      emu.site.catalog.resetPolicies();
    }
  });
});

describe('SMTP and the site TLS settings', () => {
  it('tls: off: no STARTTLS offered, AUTH in plain text; loginRequiresTls: AUTH only after STARTTLS', async () => {
    const off = await startTestSite({ tls: 'off' });
    try {
      const c = await LineClient.plain(off.endpoints.servers[0]!.smtp!);
      await c.until(/\r\n/);
      c.send('EHLO x\r\n');
      const ehlo = await c.until(/^250 .*\r\n/m);
      expect(ehlo).not.toMatch(/STARTTLS/);
      expect(ehlo).toMatch(/AUTH PLAIN LOGIN/);
      c.close();
    } finally {
      await off.stop();
    }
    const strict = await startTestSite({ tls: { loginRequiresTls: true } });
    try {
      const c = await LineClient.plain(strict.endpoints.servers[0]!.smtp!);
      await c.until(/\r\n/);
      c.send('EHLO x\r\n');
      await c.until(/^250 .*\r\n/m);
      c.send('AUTH PLAIN AGFsaWNlAHRlYW13YXJl\r\n');
      expect(await c.until(/\r\n/)).toBe('538 Error: Must issue a STARTTLS command first\r\n');
      c.send('STARTTLS\r\n');
      await c.until(/^220 .*\r\n/);
      await c.upgrade(strict.endpoints.ca!);
      c.send('EHLO x\r\n');
      expect(await c.until(/^250 .*\r\n/m)).toMatch(/AUTH PLAIN LOGIN/);
      c.send(`AUTH PLAIN ${b64('\0alice\0teamware')}\r\n`);
      expect(await c.until(/\r\n/)).toBe('235 Authentication successful\r\n');
      c.close();
    } finally {
      await strict.stop();
    }
  });
});
