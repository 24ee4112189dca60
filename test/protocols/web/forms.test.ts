// Web forms never lose what was typed: a submission refused because the server
// is suspended (web.busy), because of bad input, or because the page expired
// (CSRF) answers with the form again, filled in with everything posted, however
// long; 戻る never leads to a busy page without a 戻る of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { request } from 'node:http';
import { WebClient, textOf } from './webclient.js';

/** A GET with the path exactly as given (request line and all). */
function rawGet(base: string, path: string, cookie: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = request({ host: url.hostname, port: url.port, path, headers: { cookie } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.on('error', reject);
    req.end();
  });
}

const BUSY = 'サーバに負荷がかかっています。しばらくしてからアクセスしてください。';
/** A body well over the 4,000 characters a URL used to carry, with line breaks, markup and Japanese text. */
const LONG = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')} 長い本文 <b>&amp;</b> line ${'x'.repeat(30)}`).join('\n');

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
/** The text of the named textarea of a page, as a browser would show it (its first line break belongs to the markup). */
function textarea(html: string, name: string): string | null {
  const m = new RegExp(`<textarea name="${name}"[^>]*>\\n?([\\s\\S]*?)</textarea>`).exec(html);
  return m ? decode(m[1]!) : null;
}

describe('web forms keep what was typed', () => {
  let emu: Emulator;
  let base: string;
  beforeAll(async () => {
    emu = await startTestSite();
    base = emu.endpoints.servers[0]!.web!;
  });
  afterAll(() => emu.stop());

  const client = async (user = 'alice') => {
    const c = new WebClient(base);
    expect((await c.login(user)).status).toBe(303);
    return c;
  };

  it(`a ${LONG.length}-character mail refused while suspended comes back whole, and sends after the resume`, async () => {
    expect(LONG.length).toBeGreaterThan(5000);
    const c = await client();
    const bobBefore = emu.site.homeStore('bob').mail.count('bob', 'INBOX');
    await emu.command('to tran suspend');
    let refused;
    try {
      refused = await c.post('/mail/send', { to: 'bob', subject: '長いメール', body: LONG });
    } finally {
      await emu.command('to tran resume');
    }
    expect(refused.status).toBe(200);
    expect(refused.headers.get('x-twemu-behaviour')).toBe('web.busy');
    expect(textOf(refused.text)).toContain(BUSY);
    expect(textarea(refused.text, 'body')).toBe(LONG);
    expect(refused.text).toContain('value="長いメール"');
    expect(emu.site.homeStore('bob').mail.count('bob', 'INBOX')).toBe(bobBefore);
    // The form as the page gave it back, sent again.
    const sent = await c.post('/mail/send', { to: 'bob', subject: '長いメール', body: textarea(refused.text, 'body')! });
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('メールを送信しました。');
    const messages = emu.site.homeStore('bob').mail.messages('bob', 'INBOX');
    const raw = emu.site.homeStore('bob').mail.raw('bob', 'INBOX', messages.at(-1)!.uid)!.toString('utf8');
    const b64 = raw.slice(raw.indexOf('\r\n\r\n') + 4).replace(/\s+/g, '');
    expect(Buffer.from(b64, 'base64').toString('utf8')).toBe(LONG.replace(/\n/g, '\r\n'));
  });

  it('a memo over 4,000 characters with a missing title keeps its body (bad input, server available)', async () => {
    const c = await client();
    const r = await c.post('/memo/create', { title: '', body: LONG });
    expect(r.status).toBe(400);
    expect(textOf(r.text)).toContain('タイトルを入力してください。');
    expect(textarea(r.text, 'body')).toBe(LONG);
  });

  it('a field over its limit is a clear message, and the text stays', async () => {
    const c = await client();
    const subject = '件'.repeat(300);
    const r = await c.post('/mail/send', { to: 'bob', subject, body: 'short' });
    expect(r.status).toBe(400);
    expect(textOf(r.text)).toContain('subject が長すぎます(200文字まで)。');
    expect(r.text).toContain(`value="${subject}"`);
    expect(textarea(r.text, 'body')).toBe('short');
  });

  it('an expired page (CSRF token no longer valid) answers with the form, filled in, and a fresh token', async () => {
    const c = await client();
    const r = await c.post('/forum/create', { forum: '1', title: '古い画面から', body: LONG }, { csrf: 'expired-token' });
    expect(r.status).toBe(403);
    expect(textOf(r.text)).toContain('画面の有効期限が切れました。');
    expect(textarea(r.text, 'body')).toBe(LONG);
    const token = /name="_csrf" value="([^"]+)"/.exec(r.text)?.[1];
    expect(token).toBeTruthy();
    expect(token).not.toBe('expired-token');
    // Sending it from that page works.
    const again = await c.post('/forum/create', { forum: '1', title: '古い画面から', body: LONG });
    expect(again.status).toBe(303);
  });

  it('without a session the page says so and shows what was typed, to copy', async () => {
    const c = new WebClient(base);
    const r = await c.post('/memo/create', { title: 'ログアウト後', body: LONG }, { csrf: null });
    expect(r.status).toBe(401);
    expect(r.text).toContain('href="/login" target="_top"');
    expect(textarea(r.text, 'kept-body')).toBe(LONG);
    expect(textarea(r.text, 'kept-title')).toBe('ログアウト後');
  });

  it('[behaviour:web.busy] 戻る never leads to a busy page without its own 戻る', async () => {
    const c = await client();
    await emu.command('to tran suspend');
    try {
      // A page opened directly keeps the seed's "no 戻る" (the browser's back button) ...
      const list = await c.get('/mail/list');
      expect(textOf(list.text)).toContain(BUSY);
      expect(list.text).not.toContain('戻る');
      // ... and one reached by 戻る offers 戻る again, to the same page, until the server is back.
      const read = await c.get('/mail/read?folder=INBOX&uid=1');
      const back = /<form method="get" action="([^"]+)">((?:<input type="hidden" name="[^"]+" value="[^"]*">)*)<button type="submit" name="back" value="1">戻る<\/button><\/form>/.exec(read.text);
      expect(back).not.toBeNull();
      const target = `${back![1]}?${[...back![2]!.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m) => `${m[1]}=${encodeURIComponent(decode(m[2]!))}`).concat('back=1').join('&')}`;
      const listAgain = await c.get(target);
      expect(textOf(listAgain.text)).toContain(BUSY);
      expect(listAgain.text).toContain('戻る');
      // A refused form shows the form itself (no 戻る needed): bookmarks.
      const bookmark = await c.post('/bookmark/create', { title: '保留中', url: 'http://intra.teamware.example/' });
      expect(textOf(bookmark.text)).toContain(BUSY);
      expect(bookmark.text).toContain('value="http://intra.teamware.example/"');
      expect(bookmark.text).toContain('action="/bookmark/create"');
    } finally {
      await emu.command('to tran resume');
    }
  });

  it('[behaviour:web.busy] the administrator pages\' 戻る: bookmarks back to the admin menu, the top page without a stray "?"', async () => {
    const admin = await client('ADMIN');
    await emu.command('to tran suspend');
    try {
      const bookmarks = await admin.get('/admin/bookmarks');
      expect(textOf(bookmarks.text)).toContain(BUSY);
      expect(bookmarks.text).toContain('<form method="get" action="/admin/menu"><button type="submit" name="back" value="1">戻る</button></form>');
    } finally {
      await emu.command('to tran resume');
    }
    // As a browser submits a 戻る form with no fields: `GET /top?` (fetch would drop the empty query; node:http keeps it).
    for (const url of ['/top?', '/top?back=1']) {
      const r = await rawGet(base, url, admin.cookie);
      expect(r.status, url).toBe(303);
      expect(r.location, url).toBe('/top');
    }
    expect((await admin.get('/top')).status).toBe(200);
  });

  it('[behaviour:web.busy] a reservation change refused while suspended keeps the edits (not the stored reservation), and saves after the resume', async () => {
    const c = await client();
    const list = await c.get('/schedule/list?date=2026-06-15');
    const link = /href="\/schedule\/view\?id=(\d+)&amp;server=([^"&]+)"/.exec(list.text);
    expect(link, 'a reservation of alice in the demo data').not.toBeNull();
    const [, rid, server] = link!;
    await c.get(`/schedule/edit?id=${rid}&server=${server}`);
    const note = `変更したメモ\n${'y'.repeat(1900)}`;
    const edit = { id: rid!, server: server!, title: '変更後の件名', date: '2026-06-15', start: '16:00', end: '17:00', note, facility: '' };
    await emu.command('to tran suspend');
    let refused;
    try {
      refused = await c.post('/schedule/update', edit);
    } finally {
      await emu.command('to tran resume');
    }
    expect(textOf(refused.text)).toContain(BUSY);
    expect(refused.text).toContain('action="/schedule/update"');
    expect(refused.text).toContain(`<input type="hidden" name="id" value="${rid}"><input type="hidden" name="server" value="${server}">`);
    expect(refused.text).toContain('value="変更後の件名"');
    expect(textarea(refused.text, 'note')).toBe(note);
    // Over the note's limit: a clear message, and the text is still there.
    const tooLong = await c.post('/schedule/update', { ...edit, note: note + 'z'.repeat(200) });
    expect(tooLong.status).toBe(400);
    expect(textOf(tooLong.text)).toContain('note が長すぎます(2000文字まで)。');
    expect(textarea(tooLong.text, 'note')).toBe(note + 'z'.repeat(200));
    const saved = await c.post('/schedule/update', edit);
    expect(saved.status).toBe(303);
    expect(textOf((await c.get(saved.location!)).text)).toContain('変更後の件名');
  });
});
