import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { startTestSite, tempDir, trustSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';

// A real client (imapflow) against the server: what Thunderbird-like clients do.

let emu: Emulator;
let port: number;
const clients: ImapFlow[] = [];

function client(user = 'alice', p = port, site = emu): ImapFlow {
  const c = new ImapFlow({ host: '127.0.0.1', port: p, secure: false, tls: trustSite(site), auth: { user, pass: 'teamware' }, logger: false, connectionTimeout: 5000, greetingTimeout: 5000 });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

/** Waits (bounded) for an event of an imapflow client. */
function nextEvent<T>(c: ImapFlow, name: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${name} event`)), ms);
    c.once(name, (e: T) => {
      clearTimeout(t);
      resolve(e);
    });
  });
}

beforeAll(async () => {
  emu = await startTestSite();
  port = emu.endpoints.servers[0]!.imap!;
});

afterEach(async () => {
  for (const c of clients.splice(0)) await c.logout().catch(() => c.close());
});

afterAll(async () => {
  await emu.stop();
});

describe('imapflow', () => {
  it('connects, lists the product folders with special use, and reads STATUS', async () => {
    const c = client();
    await c.connect();
    const list = await c.list();
    expect(list.map((m) => m.path)).toEqual(['INBOX', 'OUTBOX', 'WasteBox']);
    expect(list.find((m) => m.path === 'OUTBOX')!.specialUse).toBe('\\Sent');
    expect(list.find((m) => m.path === 'WasteBox')!.specialUse).toBe('\\Trash');
    const st = await c.status('INBOX', { messages: true, unseen: true, uidNext: true, uidValidity: true });
    expect(st.messages).toBe(3);
    expect(st.unseen).toBe(3);
    expect(st.uidNext).toBe(4);
  });

  it('fetches envelopes, body structures and bodies with Japanese headers and ISO-2022-JP text decoded right', async () => {
    const c = client('bob');
    await c.connect();
    await c.mailboxOpen('INBOX', { readOnly: true });
    const msgs = [];
    for await (const m of c.fetch('1:*', { envelope: true, bodyStructure: true, source: true, uid: true, flags: true, internalDate: true, size: true })) msgs.push(m);
    expect(msgs.map((m) => m.envelope!.subject)).toEqual(['週次報告のお願い', 'Quarterly figures', '会議室の予約について']);
    expect(msgs[0]!.envelope!.from![0]).toEqual({ name: '', address: 'alice@teamware.example' });
    expect(msgs[0]!.envelope!.messageId).toBe('<demo-bob-1@teamware.example>');
    expect(msgs[2]!.bodyStructure).toMatchObject({ type: 'text/plain', parameters: { charset: 'ISO-2022-JP' }, encoding: '7bit' });
    expect(msgs[2]!.size).toBe(msgs[2]!.source!.length);
    const jis = await simpleParser(msgs[2]!.source!);
    expect(jis.subject).toBe('会議室の予約について');
    expect(jis.text!.trim()).toBe('明日の会議は第一会議室です。');
    const utf8 = await simpleParser(msgs[0]!.source!);
    expect(utf8.text).toContain('今週の報告を金曜日までに送ってください。');
    // EXAMINE: reading does not set \Seen.
    expect(msgs.every((m) => !m.flags!.has('\\Seen'))).toBe(true);
  });

  it('fetches a multipart message: BODYSTRUCTURE parts and BODY[n] sections', async () => {
    const raw = [
      'From: carol@teamware.example', 'To: alice@teamware.example', 'Subject: =?UTF-8?B?5re75LuY?=', 'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"', '', 'preamble', '--b1', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: base64', '',
      Buffer.from('本文です', 'utf8').toString('base64'), '--b1', 'Content-Type: application/pdf; name="a.pdf"', 'Content-Disposition: attachment; filename="a.pdf"',
      'Content-Transfer-Encoding: base64', '', Buffer.from('%PDF-1.4 fake').toString('base64'), '--b1--', '',
    ].join('\r\n');
    const c = client();
    await c.connect();
    const { uid } = (await c.append('OUTBOX', raw, ['\\Seen']))!;
    await c.mailboxOpen('OUTBOX');
    const m = (await c.fetchOne(String(uid), { bodyStructure: true, envelope: true, bodyParts: ['1', '2.mime'] }, { uid: true }))!;
    expect(m.envelope!.subject).toBe('添付');
    expect(m.bodyStructure!.type).toBe('multipart/mixed');
    expect(m.bodyStructure!.childNodes!.map((n) => n.type)).toEqual(['text/plain', 'application/pdf']);
    expect(m.bodyStructure!.childNodes![1]).toMatchObject({ disposition: 'attachment', dispositionParameters: { filename: 'a.pdf' } });
    expect(Buffer.from(m.bodyParts!.get('1')!.toString(), 'base64').toString('utf8')).toBe('本文です');
    expect(m.bodyParts!.get('2.mime')!.toString()).toContain('Content-Disposition: attachment; filename="a.pdf"');
    const { content } = await c.download(String(uid), '1', { uid: true });
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('本文です');
  });

  it('searches, flags, appends and moves', async () => {
    const c = client();
    await c.connect();
    await c.mailboxOpen('INBOX');
    expect(await c.search({ seen: false })).toEqual([1, 2, 3]);
    expect(await c.search({ subject: '報告' })).toEqual([1]);
    expect(await c.search({ from: 'bob@' }, { uid: true })).toEqual([1, 2, 3]);
    await c.messageFlagsAdd('2', ['\\Flagged', '\\Seen']);
    expect(await c.search({ flagged: true })).toEqual([2]);
    await c.messageFlagsRemove('2', ['\\Seen']);
    expect([...(await c.fetchOne('2', { flags: true }))!.flags!]).toEqual(['\\Flagged', '\\Recent']);
    const appended = (await c.append('INBOX', 'From: x@y\r\nSubject: appended\r\n\r\nhello\r\n', ['\\Seen'], new Date('2026-01-02T03:04:05Z')))!;
    expect(appended.uid).toBeGreaterThanOrEqual(4);
    const back = (await c.fetchOne(String(appended.uid), { envelope: true, internalDate: true, flags: true }, { uid: true }))!;
    expect(back.envelope!.subject).toBe('appended');
    expect((back.internalDate as Date).toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect([...back.flags!]).toEqual(['\\Seen', '\\Recent']);
    const moved = (await c.messageMove(String(appended.uid), 'WasteBox', { uid: true }))!;
    expect([...moved.uidMap!.keys()]).toEqual([appended.uid]);
    expect((await c.status('WasteBox', { messages: true })).messages).toBe(1);
    expect((await c.status('INBOX', { messages: true })).messages).toBe(3);
    await c.mailboxCreate('案件/2026');
    expect((await c.list()).map((m) => m.path)).toContain('案件/2026');
    await c.mailboxRename('案件/2026', '案件/2027');
    await c.mailboxDelete('案件/2027');
    expect((await c.list()).map((m) => m.path)).not.toContain('案件/2027');
  });

  it('tells a session idling in INBOX about new, flagged and expunged messages from another session', async () => {
    const watcher = client('bob');
    await watcher.connect();
    await watcher.mailboxOpen('INBOX');
    const writer = client('bob');
    await writer.connect();
    await writer.mailboxOpen('INBOX');
    const idle = watcher.idle();
    const exists = nextEvent<{ count: number; prevCount: number }>(watcher, 'exists');
    const { uid } = (await writer.append('INBOX', 'From: a@b\r\nSubject: ping\r\n\r\nping\r\n'))!;
    expect(await exists).toMatchObject({ count: 4, prevCount: 3 });
    const flags = nextEvent<{ seq: number; flags: Set<string> }>(watcher, 'flags');
    await writer.messageFlagsAdd(String(uid), ['\\Deleted'], { uid: true });
    const f = await flags;
    expect(f.seq).toBe(4);
    expect([...f.flags]).toContain('\\Deleted');
    const expunge = nextEvent<{ seq: number }>(watcher, 'expunge');
    await writer.messageDelete(String(uid), { uid: true });
    expect((await expunge).seq).toBe(4);
    void idle;
  });

  it('keeps UIDVALIDITY and UIDNEXT across a restart', async () => {
    const dir = tempDir();
    try {
      let site = await startTestSite({ dataDir: dir.path });
      let c = client('alice', site.endpoints.servers[0]!.imap!, site);
      await c.connect();
      await c.append('INBOX', 'Subject: keep\r\n\r\nx\r\n');
      const before = await c.mailboxOpen('INBOX');
      await c.logout();
      await site.stop();
      site = await startTestSite({ dataDir: dir.path });
      c = client('alice', site.endpoints.servers[0]!.imap!, site);
      await c.connect();
      const after = await c.mailboxOpen('INBOX');
      expect(after.uidValidity).toBe(before.uidValidity);
      expect(after.uidNext).toBe(before.uidNext);
      expect(after.uidNext).toBe(5);
      await c.logout();
      await site.stop();
    } finally {
      dir.remove();
    }
  });
});
