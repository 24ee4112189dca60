// Every delivery path stamps a message as an MTA does, by one rule and on the
// site's clock (not the machine's): the web client's send page, the AME's
// mail_send, Simple MAPI's send, the X.400 gateway (a message and, while
// suspended, a non-delivery notice with the null sender), the Fax gateway's fax
// and report, SMTP and POST /api/mail. The site's clock stands at a fixed date
// years away from any machine's; each message is fetched over IMAP or POP3.
import Pop3Command from 'node-pop3';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestSite, trustSite } from '../helpers.js';
import { ManualClock } from '../../emulator/clock.js';
import type { Emulator } from '../../emulator/index.js';
import { WebClient } from '../protocols/web/webclient.js';
import { ameHttp } from '../protocols/ame/util.js';
import { call, command, imap, pop3Port, PASSWORD } from './services/util.js';

const NOW = '2031-03-04T05:06:07Z';
const DATE = 'Tue, 04 Mar 2031 05:06:07 +0000';

/** The header section of a message, unfolded, as name (lower case) -> values. */
function headers(raw: string): Map<string, string[]> {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const out = new Map<string, string[]>();
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).toLowerCase();
    out.set(name, [...(out.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return out;
}

/** The newest message of the user's INBOX whose subject contains `subject`, over IMAP (source bytes). */
async function overImap(emu: Emulator, user: string, subject: string): Promise<string> {
  const c = await imap(emu, user);
  try {
    await c.mailboxOpen('INBOX');
    let found: string | null = null;
    for await (const m of c.fetch('1:*', { envelope: true, source: true })) if (m.envelope?.subject?.includes(subject)) found = m.source!.toString('utf8');
    if (found === null) throw new Error(`no message "${subject}" in ${user}'s INBOX`);
    return found;
  } finally {
    await c.logout();
  }
}

/** The user's last INBOX message over POP3 (RETR). */
async function lastOverPop3(emu: Emulator, user: string): Promise<string> {
  const c = new Pop3Command({ user, password: PASSWORD, host: '127.0.0.1', port: pop3Port(emu, user), timeout: 5000 });
  try {
    const count = Number((await c.STAT()).split(' ')[0]);
    const raw = await c.RETR(count);
    await c.QUIT();
    return raw;
  } finally {
    c._socket?.destroy?.();
  }
}

function expectStamped(raw: string, returnPath: string): void {
  const h = headers(raw);
  expect(h.get('date'), raw).toEqual([DATE]);
  expect(h.get('message-id'), raw).toEqual([expect.stringMatching(/^<[0-9a-z]+\.[0-9a-f]{16}@twsv01>$/)]);
  expect(h.get('return-path'), raw).toEqual([`<${returnPath}>`]);
  expect(raw.startsWith('Return-Path: '), raw).toBe(true);
}

describe('every delivery path stamps Date, Message-ID and Return-Path from the site clock', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ clock: new ManualClock(Date.parse(NOW)), services: { pop3: { failedLoginDelayMs: 0 } } });
  });
  afterAll(() => emu?.stop());

  it('the web client\'s 送信 (send page)', async () => {
    const web = new WebClient(emu.endpoints.servers[0]!.web!);
    expect((await web.login('alice')).status).toBe(303);
    await web.get('/mail/compose');
    expect((await web.post('/mail/send', { to: 'bob', subject: 'from the web page', body: 'hello' })).status).toBe(200);
    expectStamped(await overImap(emu, 'bob', 'from the web page'), 'alice@teamware.example');
  });

  it('AME mail_send (the returned messageId is the stamped one)', async () => {
    const r = await ameHttp(emu.endpoints.servers[0]!.ame!, 'mail_send', { to: 'bob', subject: 'from the AME', body: 'hello' });
    expect(r.status).toBe(200);
    expect(r.body.rc).toBe(0);
    const raw = await lastOverPop3(emu, 'bob');
    expect(raw).toContain('Subject: from the AME');
    expectStamped(raw, 'alice@teamware.example');
    expect(headers(raw).get('message-id')).toEqual([r.body.messageId]);
  });

  it('Simple MAPI send', async () => {
    expect(await call(emu, 'alice', 'mapi/send', { to: ['bob'], subject: 'from MAPI', body: 'hello' })).toMatchObject({ ok: true, sent: true });
    expectStamped(await overImap(emu, 'bob', 'from MAPI'), 'alice@teamware.example');
  });

  it('X.400 gateway: a received message, and (suspended) a non-delivery notice from the null sender, held until the resume', async () => {
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob', to: 'alice', subject: 'over X.400', body: 'x' })).body).toMatchObject({ ok: true });
    expectStamped(await overImap(emu, 'alice', 'over X.400'), 'bob@teamware.example');
    await command(emu, 'to tran suspend');
    try {
      expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob', to: 'alice', subject: 'bounced', body: 'x' })).body).toMatchObject({ ok: false, behaviour: 'x400.receive' });
    } finally {
      await command(emu, 'to tran resume');
    }
    expectStamped(await overImap(emu, 'bob', 'Non-delivery notice: bounced'), '');
  });

  it('Fax gateway: a received fax and a report', async () => {
    expect((await api(emu, 'POST', '/api/gateways/fax/receive', { from: '03-1234-5678', to: 'alice' })).body).toMatchObject({ ok: true });
    expectStamped(await overImap(emu, 'alice', 'FAX from 03-1234-5678'), 'fax-gateway@teamware.example');
    expect((await api(emu, 'POST', '/api/gateways/fax/report', { user: 'alice' })).body).toMatchObject({ ok: true });
    expectStamped(await lastOverPop3(emu, 'alice'), 'fax-gateway@teamware.example');
  });

  it('POST /api/mail and SMTP submission', async () => {
    expect((await api(emu, 'POST', '/api/mail', { to: 'bob', raw: 'From: dave@teamware.example\r\nSubject: by the API\r\n\r\nx\r\n' })).status).toBe(201);
    expectStamped(await overImap(emu, 'bob', 'by the API'), 'dave@teamware.example');
    const transport = createTransport({ host: '127.0.0.1', port: emu.endpoints.servers[0]!.smtp!, secure: false, tls: trustSite(emu), auth: { user: 'alice', pass: PASSWORD } });
    try {
      // nodemailer writes its own Date and Message-ID unless told not to: a raw message leaves them out.
      await transport.sendMail({ envelope: { from: 'alice@teamware.example', to: ['bob@teamware.example'] }, raw: 'From: alice@teamware.example\r\nSubject: by SMTP\r\n\r\nx\r\n' });
    } finally {
      transport.close();
    }
    expectStamped(await overImap(emu, 'bob', 'by SMTP'), 'alice@teamware.example');
  });
});
