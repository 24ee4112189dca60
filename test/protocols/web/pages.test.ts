import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, collectEvents, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { WebClient, textOf } from './webclient.js';

const BUSY = 'サーバに負荷がかかっています。しばらくしてからアクセスしてください。';

describe('web pages over HTTP', () => {
  let emu: Emulator;
  let base: string;
  beforeAll(async () => {
    emu = await startTestSite();
    base = emu.endpoints.servers[0]!.web!;
  });
  afterAll(() => emu.stop());

  const client = async (user = 'alice') => {
    const c = new WebClient(base);
    const res = await c.login(user);
    expect(res.status).toBe(303);
    return c;
  };
  const store = (user: string) => emu.site.homeStore(user);

  describe('login and the top page', () => {
    it('refuses a wrong password and a page without a session', async () => {
      const c = new WebClient(base);
      const bad = await c.post('/login', { user: 'alice', password: 'wrong' });
      expect(bad.status).toBe(401);
      expect(bad.text).toContain('ユーザー名またはパスワードが正しくありません。');
      expect(c.cookie).toBe('');
      const anon = await c.get('/mail/list');
      expect(anon.status).toBe(401);
      expect(anon.text).toContain('href="/login" target="_top"');
      expect((await c.get('/top')).location).toBe('/login');
      expect((await c.post('/login', { user: '', password: '' })).status).toBe(400);
    });

    it('logs in with an HttpOnly SameSite session cookie and shows the frames', async () => {
      const c = new WebClient(base);
      const res = await c.post('/login', { user: 'alice', password: 'teamware' });
      expect(res.status).toBe(303);
      expect(res.location).toBe('/top');
      const cookie = res.headers.get('set-cookie')!;
      expect(cookie).toMatch(/TWSESSION=[\w-]{20,}/);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      const top = await c.get('/top');
      expect(top.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(top.text).toContain('<frame name="menu" src="/menu"');
      expect(top.text).toContain('<frame name="main" src="/home"');
      const home = await c.get('/home');
      expect(home.text).toContain('<frame name="mail" src="/mail/list"');
      expect(home.text).toContain('<frame name="schedule" src="/schedule/today"');
      const menu = await c.get('/menu');
      expect(menu.text).toContain('佐藤 亜里沙');
      expect(menu.text).not.toContain('管理者メニュー');
      const today = await c.get('/schedule/today');
      expect(textOf(today.text)).toContain('定例会議');
      expect(textOf(today.text)).toContain('会議室予約');
      expect(textOf(today.text)).not.toContain('出張'); // tomorrow
    });

    it('shows 管理者メニュー only to ADMIN, and refuses /admin to others', async () => {
      const admin = await client('ADMIN');
      expect((await admin.get('/menu')).text).toContain('<a href="/admin" target="_top">管理者メニュー</a>');
      const frames = await admin.get('/admin');
      expect(frames.text).toContain('<frame name="adminmenu" src="/admin/menu"');
      expect(textOf((await admin.get('/admin/users')).text)).toContain('佐藤 亜里沙');
      const alice = await client();
      expect((await alice.get('/admin')).status).toBe(403);
      expect((await alice.get('/dept')).status).toBe(403);
      expect((await alice.get('/admin/users')).status).toBe(403);
    });

    it('ends the session of an account whose web service is turned off', async () => {
      emu.site.createUser({ name: 'carol', password: 'teamware', displayName: 'carol' });
      const c = await client('carol');
      expect((await c.get('/memo/list')).status).toBe(200);
      emu.site.directory.update('carol', { services: { web: false } });
      expect((await c.get('/memo/list')).status).toBe(401);
      expect((await new WebClient(base).post('/login', { user: 'carol', password: 'teamware' })).status).toBe(403);
    });

    it('logs out (CSRF-protected) and the session is gone', async () => {
      const c = await client('bob');
      expect((await c.post('/logout', {}, { csrf: null })).status).toBe(403);
      expect((await c.get('/mail/list')).status).toBe(200);
      const out = await c.post('/logout', {});
      expect(out.status).toBe(303);
      expect(out.headers.get('set-cookie')).toMatch(/TWSESSION=;/);
      c.cookie = c.cookie || 'TWSESSION=stale';
      expect((await c.get('/mail/list')).status).toBe(401);
    });
  });

  describe('every page', () => {
    const pages: Array<[string, string]> = [
      ['/menu', 'トップページ'], ['/mail/list', 'メール - 受信メール'], ['/mail/list?folder=OUTBOX', 'メール - 送信メール'], ['/mail/compose', 'メールの作成'],
      ['/mail/signature', 'メールの署名'], ['/schedule/today', '個人予約'], ['/schedule/list', 'スケジュール'], ['/schedule/new', '新規予約'],
      ['/facility/list', '設備予約'], ['/facility/reserve?id=1', '設備予約 - '], ['/forum/list', 'フォーラム一覧'], ['/forum/read?id=1', 'フォーラム - お知らせ'],
      ['/forum/post?id=1', 'オンラインバックアップのお知らせ'], ['/forum/new?forum=1', '記事の投稿'], ['/memo/list', '個人メモ'], ['/memo/new', '個人メモの作成'],
      ['/bookmark/list', '共有ブックマーク'], ['/admin/menu', '管理者メニュー'], ['/admin/users', 'ユーザー一覧'], ['/admin/bookmarks', '共有ブックマークの管理'],
      ['/dept', '部門管理者メニュー'], ['/dept/facility/permit?id=1', '利用許可'], ['/dept/facility/add', '追加'], ['/dept/facility/search', '検索'],
    ];
    it.each(pages)('GET %s renders (UTF-8 HTML with its heading) for ADMIN', async (path, heading) => {
      const c = await client('ADMIN');
      const r = await c.get(path);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.text).toMatch(/^<!DOCTYPE html>\n<html lang="ja">/);
      expect(textOf(r.text)).toContain(heading);
    });
  });

  describe('mail', () => {
    it('lists the INBOX and reads a mail (ISO-2022-JP decoded), marking it seen', async () => {
      const c = await client();
      const list = await c.get('/mail/list');
      const t = textOf(list.text);
      expect(t).toContain('週次報告のお願い');
      expect(t).toContain('Quarterly figures');
      expect(t).toContain('会議室の予約について');
      const uid = Number(list.text.match(/href="\/mail\/read\?folder=INBOX&amp;uid=(\d+)">会議室の予約について/)![1]);
      const read = await c.get(`/mail/read?folder=INBOX&uid=${uid}`);
      expect(read.status).toBe(200);
      expect(textOf(read.text)).toContain('明日の会議は第一会議室です。');
      expect(store('alice').mail.messages('alice', 'INBOX').find((m) => m.uid === uid)!.flags).toContain('\\Seen');
    });

    it('composes with the signature and sends to another user (copy in OUTBOX)', async () => {
      const c = await client();
      const compose = await c.get('/mail/compose');
      expect(compose.text).toContain('佐藤 亜里沙\n営業部');
      const before = store('bob').mail.count('bob', 'INBOX');
      const sent = await c.post('/mail/send', { to: 'bob', subject: 'テスト送信 <b>', body: 'こんにちは\n二行目' });
      expect(sent.status).toBe(200);
      expect(sent.text).toContain('メールを送信しました。');
      expect(store('bob').mail.count('bob', 'INBOX')).toBe(before + 1);
      const bob = await client('bob');
      const list = await bob.get('/mail/list');
      expect(list.text).toContain('テスト送信 &lt;b&gt;');
      const uid = Math.max(...store('bob').mail.messages('bob', 'INBOX').map((m) => m.uid));
      expect(textOf((await bob.get(`/mail/read?folder=INBOX&uid=${uid}`)).text)).toContain('こんにちは 二行目');
      expect(textOf((await c.get('/mail/list?folder=OUTBOX')).text)).toContain('テスト送信');
    });

    it('refuses an unknown recipient and a subject with a line break, keeping the input', async () => {
      const c = await client();
      const r = await c.post('/mail/send', { to: 'nobody', subject: 's', body: 'keep me' });
      expect(r.status).toBe(400);
      expect(r.text).toContain('宛先 nobody は登録されていません。');
      // The compose form again, with what was posted.
      expect(r.text).toContain('action="/mail/send"');
      expect(r.text).toContain('<textarea name="body" rows="14" cols="72">\nkeep me</textarea>');
      expect(r.text).toContain('name="to" size="50" maxlength="2000" value="nobody"');
      const inj = await c.post('/mail/send', { to: 'bob', subject: 'a\r\nBcc: x@evil', body: '' });
      expect(inj.status).toBe(400);
      expect((await c.post('/mail/send', { to: '', subject: 'x', body: '' })).status).toBe(400);
    });

    it('deletes several mails to WasteBox, and from WasteBox for good', async () => {
      const c = await client('bob');
      const uids = store('bob').mail.messages('bob', 'INBOX').slice(0, 2).map((m) => String(m.uid));
      const waste = store('bob').mail.count('bob', 'WasteBox');
      const r = await c.post('/mail/delete', { folder: 'INBOX', uid: uids });
      expect(r.status).toBe(303);
      expect(r.location).toBe('/mail/list?folder=INBOX');
      expect(store('bob').mail.messages('bob', 'INBOX').map((m) => String(m.uid))).not.toContain(uids[0]);
      expect(store('bob').mail.count('bob', 'WasteBox')).toBe(waste + 2);
      const wasteList = await c.get('/mail/list?folder=WasteBox');
      expect(textOf(wasteList.text)).toContain('ごみ箱');
      const wuid = String(store('bob').mail.messages('bob', 'WasteBox')[0]!.uid);
      expect((await c.post('/mail/delete', { folder: 'WasteBox', uid: [wuid] })).status).toBe(303);
      expect(store('bob').mail.count('bob', 'WasteBox')).toBe(waste + 1);
      expect((await c.post('/mail/delete', { folder: 'INBOX' })).status).toBe(400);
      expect((await c.post('/mail/delete', { folder: 'INBOX', uid: ['abc'] })).status).toBe(400);
    });

    it('pages a long folder 50 mails at a time', async () => {
      emu.site.createUser({ name: 'dave', password: 'teamware', displayName: 'dave' });
      for (let i = 1; i <= 60; i++) emu.site.deliver('dave', `From: x@teamware.example\r\nSubject: mail ${String(i).padStart(2, '0')}\r\n\r\nbody\r\n`);
      const c = await client('dave');
      const first = textOf((await c.get('/mail/list')).text);
      expect(first).toContain('mail 60');
      expect(first).toContain('mail 11');
      expect(first).not.toContain('mail 10');
      expect(first).toContain('60件');
      const second = await c.get('/mail/list?folder=INBOX&page=2');
      expect(textOf(second.text)).toContain('mail 10');
      expect(textOf(second.text)).toContain('mail 01');
      expect((await c.get('/mail/list?page=3')).status).toBe(404);
      expect((await c.get('/mail/list?page=0')).status).toBe(400);
    });

    it('edits the mail signature (メールの署名)', async () => {
      const c = await client('bob');
      expect((await c.post('/mail/signature', { body: '--\n鈴木\n<i>営業部</i>' })).location).toBe('/mail/signature?saved=1');
      expect(store('bob').webdata.signature('bob')).toBe('--\r\n鈴木\r\n<i>営業部</i>');
      const page = await c.get('/mail/signature?saved=1');
      expect(page.text).toContain('署名を保存しました。');
      expect(page.text).toContain('&lt;i&gt;営業部&lt;/i&gt;');
      expect(page.text).not.toContain('<i>営業部');
      expect((await c.post('/mail/signature', { body: 'x'.repeat(4001) })).status).toBe(400);
    });

    it('refuses unknown folders and bad uids with a 4xx page, and keeps serving', async () => {
      const c = await client();
      expect((await c.get('/mail/list?folder=bob')).status).toBe(404);
      expect((await c.get('/mail/read?folder=INBOX&uid=999999')).status).toBe(404);
      expect((await c.get('/mail/read?folder=INBOX&uid=-1')).status).toBe(400);
      expect((await c.get('/mail/read?folder=INBOX&uid=1e3')).status).toBe(400);
      const big = await c.get(`/mail/compose?subject=${'x'.repeat(300)}`);
      expect(big.status).toBe(400);
      expect(big.text).not.toMatch(/at .*\.js:\d+/);
      expect((await c.get('/mail/list')).status).toBe(200);
    });
  });

  describe('schedule and facility reservation', () => {
    it('creates, opens, updates and deletes a reservation', async () => {
      const c = await client();
      const created = await c.post('/schedule/create', { title: '打ち合わせ', date: '2026-12-01', start: '15:00', end: '16:00', note: 'メモ', facility: '' });
      expect(created.status).toBe(303);
      const view = await c.get(created.location!);
      expect(textOf(view.text)).toContain('打ち合わせ');
      const rid = Number(created.location!.match(/id=(\d+)/)![1]);
      const server = created.location!.match(/server=(\w+)/)![1]!;
      expect(textOf((await c.get('/schedule/list?date=2026-11-30')).text)).toContain('打ち合わせ');
      const edit = await c.get(`/schedule/edit?id=${rid}&server=${server}`);
      expect(edit.text).toContain('value="打ち合わせ"');
      const upd = await c.post('/schedule/update', { id: String(rid), server, title: '打ち合わせ(変更)', date: '2026-12-01', start: '16:00', end: '17:00', note: '', facility: '' });
      expect(upd.status).toBe(303);
      expect(store('alice').calendar.get(rid)).toMatchObject({ title: '打ち合わせ(変更)', start: '2026-12-01T16:00' });
      expect((await c.post('/schedule/update', { id: String(rid), server, title: 'x', date: '2026-12-01', start: '17:00', end: '16:00', facility: '' })).status).toBe(400);
      expect((await c.post('/schedule/delete', { id: String(rid), server })).status).toBe(303);
      expect(store('alice').calendar.get(rid)).toBeNull();
      expect((await c.get('/schedule/list?date=2026-13-45')).status).toBe(400);
      // A day the calendar does not have is refused, not rolled over into March.
      expect((await c.get('/schedule/list?date=2026-02-31')).status).toBe(400);
      const before = store('alice').calendar.list('alice').length;
      const feb30 = await c.post('/schedule/create', { title: '存在しない日', date: '2026-02-30', start: '10:00', end: '11:00', facility: '' });
      expect(feb30.status).toBe(400);
      expect(feb30.text).toContain('日付は 2026-11-26 の形式で入力してください。');
      expect(store('alice').calendar.list('alice').length).toBe(before);
    });

    it('reserves a facility (設備予約): permitted, refused when not permitted or already taken', async () => {
      const shared = emu.site.sharedServer.store.calendar;
      const projector = shared.facilities().find((f) => f.name === 'プロジェクタ')!;
      const alice = await client();
      const list = await alice.get('/facility/list?date=2026-12-02');
      expect(textOf(list.text)).toContain('第一会議室');
      expect((await alice.get(`/facility/reserve?id=${projector.id}&date=2026-12-02`)).text).toContain('<option value="' + projector.id + '" selected>');
      const ok = await alice.post('/schedule/create', { title: '発表', date: '2026-12-02', start: '10:00', end: '11:00', facility: String(projector.id) });
      expect(ok.status).toBe(303);
      expect(shared.forFacility(projector.id).some((r) => r.title === '発表')).toBe(true);
      expect(textOf((await alice.get('/facility/list?date=2026-12-02')).text)).toContain('10:00-11:00 alice');
      const clash = await alice.post('/schedule/create', { title: '重複', date: '2026-12-02', start: '10:30', end: '11:30', facility: String(projector.id) });
      expect(clash.status).toBe(409);
      const bob = await client('bob');
      const refused = await bob.post('/schedule/create', { title: '無許可', date: '2026-12-02', start: '13:00', end: '14:00', facility: String(projector.id) });
      expect(refused.status).toBe(403);
      expect(refused.text).toContain('利用は許可されていません');
    });
  });

  describe('forum', () => {
    it('lists, refreshes (最新の情報に変更), reads and posts', async () => {
      const c = await client('bob');
      const list = await c.get('/forum/list');
      expect(list.text).toContain('最新の情報に変更');
      expect(textOf(list.text)).toContain('お知らせ');
      expect((await c.get('/forum/list?refresh=1')).status).toBe(200);
      const fid = Number(list.text.match(/href="\/forum\/read\?id=(\d+)">お知らせ/)![1]);
      expect(textOf((await c.get(`/forum/read?id=${fid}`)).text)).toContain('オンラインバックアップのお知らせ');
      const posted = await c.post('/forum/create', { forum: String(fid), title: '<script>alert(1)</script>', body: '本文' });
      expect(posted.status).toBe(303);
      const post = await c.get(posted.location!);
      expect(post.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(post.text).not.toContain('<script>');
      expect((await c.get('/forum/read?id=99999')).status).toBe(404);
      expect((await c.post('/forum/create', { forum: String(fid), title: ' ', body: 'x' })).status).toBe(400);
    });
  });

  describe('memos and shared bookmarks', () => {
    it('creates, edits and deletes a memo; a memo with <script> renders as text', async () => {
      const c = await client();
      const created = await c.post('/memo/create', { title: '<script>alert("x")</script>', body: '<img src=x onerror=alert(1)>\n"quoted" & \'single\'' });
      expect(created.status).toBe(303);
      const view = await c.get(created.location!);
      expect(view.text).not.toContain('<script>alert');
      expect(view.text).not.toContain('<img src=x');
      expect(view.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
      expect(view.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect((await c.get('/memo/list')).text).toContain('&lt;script&gt;');
      const mid = Number(created.location!.match(/id=(\d+)/)![1]);
      expect((await c.get(`/memo/edit?id=${mid}`)).text).toContain('value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"');
      expect((await c.post('/memo/update', { id: String(mid), title: '更新', body: '本文' })).status).toBe(303);
      expect(store('alice').webdata.memo('alice', mid)).toMatchObject({ title: '更新', body: '本文' });
      expect((await c.post('/memo/update', { id: String(mid), title: '', body: '' })).status).toBe(400);
      expect((await c.post('/memo/delete', { id: String(mid) })).status).toBe(303);
      expect(store('alice').webdata.memo('alice', mid)).toBeNull();
    });

    it('adds a shared bookmark; only its creator or ADMIN deletes it; javascript: URLs are refused', async () => {
      const alice = await client();
      expect((await alice.post('/bookmark/create', { title: 'Example', url: 'https://example.com/?a=1&b=<2>' })).status).toBe(400);
      expect((await alice.post('/bookmark/create', { title: 'JS', url: 'javascript:alert(1)' })).status).toBe(400);
      expect((await alice.post('/bookmark/create', { title: 'Example', url: 'https://example.com/?a=1&b=2' })).status).toBe(303);
      const bm = emu.site.directoryServer.store.webdata.bookmarks().find((b) => b.title === 'Example')!;
      expect((await alice.get('/bookmark/list')).text).toContain('href="https://example.com/?a=1&amp;b=2"');
      const bob = await client('bob');
      expect((await bob.post('/bookmark/delete', { id: String(bm.id) })).status).toBe(403);
      const admin = await client('ADMIN');
      expect(textOf((await admin.get('/admin/bookmarks')).text)).toContain('Example');
      expect((await admin.post('/bookmark/delete', { id: String(bm.id), from: 'admin' })).location).toBe('/admin/bookmarks');
      expect(emu.site.directoryServer.store.webdata.bookmarks().some((b) => b.id === bm.id)).toBe(false);
    });
  });

  describe('security', () => {
    it('refuses a change without, or with a wrong, CSRF token and changes nothing', async () => {
      const c = await client();
      const before = store('alice').webdata.memos('alice').length;
      const none = await c.post('/memo/create', { title: 'csrf', body: '' }, { csrf: null });
      expect(none.status).toBe(403);
      expect(none.text).toContain('CSRF');
      expect((await c.post('/memo/create', { title: 'csrf', body: '' }, { csrf: 'forged' })).status).toBe(403);
      const other = await client('bob');
      expect((await c.post('/memo/create', { title: 'csrf', body: '' }, { csrf: other.csrf })).status).toBe(403);
      expect(store('alice').webdata.memos('alice').length).toBe(before);
      const mails = store('bob').mail.count('bob', 'INBOX');
      expect((await c.post('/mail/send', { to: 'bob', subject: 'x', body: '' }, { csrf: null })).status).toBe(403);
      expect(store('bob').mail.count('bob', 'INBOX')).toBe(mails);
      // A login form posted from another site is refused.
      const cross = await new WebClient(base).post('/login', { user: 'alice', password: 'teamware' }, { headers: { origin: 'http://evil.example' } });
      expect(cross.status).toBe(403);
      // A malformed Origin is refused the same way (not an internal error).
      const garbled = await new WebClient(base).post('/login', { user: 'alice', password: 'teamware' }, { headers: { origin: 'not a url' } });
      expect(garbled.status).toBe(403);
      expect(garbled.text).toContain('(origin)');
      expect(garbled.location).toBeNull();
    });

    it("refuses another user's memo, reservation and mail by id", async () => {
      const aliceMemo = store('alice').webdata.createMemo('alice', { title: 'alice secret', body: 'ひみつ' });
      const aliceRes = store('alice').calendar.create('alice', { title: 'alice private', start: '2026-12-03T10:00', end: '2026-12-03T11:00' });
      const home = emu.site.homeServer('alice').name;
      const bob = await client('bob');
      for (const path of [`/memo/view?id=${aliceMemo.id}`, `/memo/edit?id=${aliceMemo.id}`, `/schedule/view?id=${aliceRes.id}&server=${home}`, `/schedule/edit?id=${aliceRes.id}&server=${home}`]) {
        const r = await bob.get(path);
        expect(r.status, path).toBe(404);
        expect(r.text).not.toContain('alice secret');
        expect(r.text).not.toContain('alice private');
      }
      expect((await bob.post('/memo/delete', { id: String(aliceMemo.id) })).status).toBe(404);
      expect((await bob.post('/memo/update', { id: String(aliceMemo.id), title: 'pwned', body: '' })).status).toBe(404);
      expect((await bob.post('/schedule/delete', { id: String(aliceRes.id), server: home })).status).toBe(404);
      expect(store('alice').webdata.memo('alice', aliceMemo.id)!.title).toBe('alice secret');
      expect(store('alice').calendar.get(aliceRes.id)).not.toBeNull();
      // Mail UIDs are per user and folder: a UID only ever opens the session user's own mail.
      const { uid } = emu.site.deliver('alice', 'From: x@teamware.example\r\nSubject: only-for-alice\r\n\r\nsecret body\r\n');
      const r = await bob.get(`/mail/read?folder=INBOX&uid=${uid}`);
      expect(r.text).not.toContain('only-for-alice');
      expect((await bob.post('/mail/delete', { folder: 'INBOX', uid: [String(uid)] })).status).toBe(303);
      expect(store('alice').mail.raw('alice', 'INBOX', uid)).not.toBeNull();
    });

    it('answers garbage with 4xx and no stack trace, and keeps serving', async () => {
      const c = await client();
      const junk = await fetch(`${base}/memo/create`, { method: 'POST', headers: { cookie: c.cookie, 'content-type': 'application/json' }, body: '{not json' });
      expect(junk.status).toBe(400);
      expect(await junk.text()).not.toMatch(/SyntaxError|at .*:\d+:\d+/);
      const huge = await fetch(`${base}/memo/create`, { method: 'POST', headers: { cookie: c.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${c.csrf}&title=x&body=${'y'.repeat(30_000)}` });
      expect(huge.status).toBe(400);
      expect((await c.get('/no/such/page')).status).toBe(404);
      expect((await c.get('/memo/view?id=abc')).status).toBe(400);
      expect((await c.get('/busy/nope/0')).status).toBe(404);
      expect((await c.get('/dept/facility/cancel?from=x')).status).toBe(403); // alice is not an administrator
      const page = await c.get('/memo/list');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'none'");
    });
  });

  describe('department administrator menu (部門管理者メニュー)', () => {
    it('permits use (利用許可), adds (追加) and searches (検索) facility calendars; Cancel returns to the menu', async () => {
      const admin = await client('ADMIN');
      const dept = await admin.get('/dept');
      expect(textOf(dept.text)).toContain('設備カレンダーの管理');
      const shared = emu.site.sharedServer.store.calendar;
      const projector = shared.facilities().find((f) => f.name === 'プロジェクタ')!;
      const permit = await admin.get(`/dept/facility/permit?id=${projector.id}`);
      expect(permit.text).toContain('キャンセル');
      expect((await admin.post('/dept/facility/permit', { id: String(projector.id), user: ['alice', 'bob'] })).location).toBe('/dept');
      expect(shared.facility(projector.id)!.permitted.sort()).toEqual(['alice', 'bob']);
      expect((await admin.post('/dept/facility/permit', { id: String(projector.id), user: ['ghost'] })).status).toBe(400);
      expect((await admin.get('/dept/facility/add')).text).toContain('キャンセル');
      expect((await admin.post('/dept/facility/add', { name: '第二会議室', department: '総務部' })).location).toBe('/dept');
      expect((await admin.post('/dept/facility/add', { name: '第二会議室', department: '総務部' })).status).toBe(409);
      const search = await admin.get(`/dept/facility/search?q=${encodeURIComponent('会議室')}`);
      expect(textOf(search.text)).toContain('第二会議室');
      expect(search.text).toContain('キャンセル');
      for (const from of ['permit', 'add', 'search']) {
        const cancel = await admin.get(`/dept/facility/cancel?from=${from}`);
        expect(cancel.status).toBe(303);
        expect(cancel.location).toBe('/dept');
      }
    });
  });

  describe('while the server is suspended', () => {
    it('[behaviour:web.busy] shows the busy message in the frame of the operation, with 戻る where the page has one; after resume the pages work', async () => {
      const c = await client();
      const events = collectEvents(emu);
      await emu.command('to tran suspend');
      try {
        const list = await c.get('/mail/list');
        expect(list.status).toBe(200);
        expect(list.headers.get('x-twemu-behaviour')).toBe('web.busy');
        expect(textOf(list.text)).toContain(BUSY);
        expect(list.text).not.toContain('戻る'); // a list frame has no 戻る: the browser's back button
        const read = await c.get('/mail/read?folder=INBOX&uid=1');
        expect(textOf(read.text)).toContain(BUSY);
        expect(read.text).toContain('<form method="get" action="/mail/list"><input type="hidden" name="folder" value="INBOX"><button type="submit" name="back" value="1">戻る</button></form>');
        // A change refused while suspended loses nothing: the busy message above the form, filled in as it was posted.
        const memos = store('alice').webdata.memos('alice').length;
        const post = await c.post('/memo/create', { title: '保留', body: '下書き' });
        expect(textOf(post.text)).toContain(BUSY);
        expect(post.text).toContain('action="/memo/create"');
        expect(post.text).toContain('name="title" size="50" maxlength="200" value="保留"');
        expect(post.text).toContain('<textarea name="body" rows="10" cols="70">\n下書き</textarea>');
        expect(store('alice').webdata.memos('alice').length).toBe(memos);
        expect(events.fired('web.busy').length).toBeGreaterThanOrEqual(3);
        expect(events.fired('web.busy')[0]).toMatchObject({ client: 'web', user: 'alice', operation: 'GET /mail/list', messages: [BUSY] });
        // Static pages (the menu) do not touch the store.
        expect((await c.get('/menu')).status).toBe(200);
        const login = await new WebClient(base).post('/login', { user: 'bob', password: 'teamware' });
        expect(textOf(login.text)).toContain(BUSY);
      } finally {
        await emu.command('to tran resume');
        events.off();
      }
      // Sending the kept form again after the resume saves it.
      const again = await c.post('/memo/create', { title: '保留', body: '下書き' });
      expect(again.status).toBe(303);
      expect(store('alice').webdata.memos('alice').map((m) => m.body)).toContain('下書き');
      expect(textOf((await c.get('/mail/list?folder=INBOX&back=1')).text)).toContain('週次報告のお願い');
    });

    it('[behaviour:web.busy] policy never: the operation proceeds normally while suspended', async () => {
      const c = await client();
      await emu.command('to tran suspend');
      emu.setPolicy('web.busy', 'never');
      try {
        const list = await c.get('/mail/list');
        expect(textOf(list.text)).toContain('週次報告のお願い');
        expect(list.text).not.toContain(BUSY);
      } finally {
        emu.setPolicy('web.busy', 'always');
        await emu.command('to tran resume');
      }
    });

    it('[behaviour:web.top-blank-frames] returning to the top page shows the mail and schedule frames blank; never: normal frames', async () => {
      const c = await client();
      await emu.command('to tran suspend');
      try {
        const home = await c.get('/home');
        expect(home.headers.get('x-twemu-behaviour')).toBe('web.top-blank-frames');
        expect(home.text).toContain('<frame name="mail" src="/blank"');
        expect(home.text).toContain('<frame name="schedule" src="/blank"');
        expect((await c.get('/blank')).text).toContain('<body class="blank">');
        emu.setPolicy('web.top-blank-frames', 'never');
        const normal = await c.get('/home');
        expect(normal.text).toContain('<frame name="mail" src="/mail/list"');
      } finally {
        emu.setPolicy('web.top-blank-frames', 'always');
        await emu.command('to tran resume');
      }
      expect((await c.get('/home')).text).toContain('<frame name="schedule" src="/schedule/today"');
    });

    it('[behaviour:web.admin-menu-duplicate] switching to the administrator menu shows the busy message twice; never: once', async () => {
      const admin = await client('ADMIN');
      const bob = await client('bob');
      await emu.command('to tran suspend');
      try {
        const frames = await admin.get('/admin');
        expect(frames.headers.get('x-twemu-behaviour')).toBe('web.admin-menu-duplicate');
        const srcs = [...frames.text.matchAll(/<frame name="\w+" src="([^"]+)"/g)].map((m) => m[1]!);
        expect(srcs).toHaveLength(2);
        const texts = await Promise.all(srcs.map(async (s) => textOf((await admin.get(s)).text)));
        for (const t of texts) expect(t).toContain(BUSY);
        // Another user cannot open the frames.
        expect((await bob.get(srcs[0]!)).status).toBe(404);
        emu.setPolicy('web.admin-menu-duplicate', 'never');
        const once = await admin.get('/admin');
        expect(once.text.split(BUSY)).toHaveLength(2);
        expect(once.headers.get('x-twemu-behaviour')).toBe('web.busy');
      } finally {
        emu.setPolicy('web.admin-menu-duplicate', 'always');
        await emu.command('to tran resume');
      }
      expect((await admin.get('/admin')).text).toContain('src="/admin/menu"');
    });

    it('[behaviour:web.facility-cancel] Cancel in permit / add / search answers 500 Internal Server Error; never: back to the menu', async () => {
      const admin = await client('ADMIN');
      await emu.command('to tran suspend');
      try {
        for (const from of ['permit', 'add', 'search']) {
          const r = await admin.get(`/dept/facility/cancel?from=${from}`);
          expect(r.status).toBe(500);
          expect(textOf(r.text).trim()).toBe('500 Internal Server Error 500 Internal Server Error');
        }
        emu.setPolicy('web.facility-cancel', 'never');
        expect((await admin.get('/dept/facility/cancel?from=add')).location).toBe('/dept');
      } finally {
        emu.setPolicy('web.facility-cancel', 'always');
        await emu.command('to tran resume');
      }
    });

    it('in backup mode with the service available, every change through the pages lands in the staging area', async () => {
      const c = await client();
      const admin = await client('ADMIN');
      await emu.command('to tran suspend');
      await emu.command('to backup on');
      await emu.command('tobkweb arc');
      await emu.command('to tran resume');
      try {
        const forum = emu.site.sharedServer.store.forum.forums()[0]!;
        const rid = store('alice').calendar.list('alice')[0]!;
        const mid = store('alice').webdata.memos('alice')[0]!;
        const steps: Array<[string, Record<string, string | string[]>]> = [
          ['/mail/send', { to: 'bob', subject: 'staged', body: 'x' }],
          ['/mail/delete', { folder: 'INBOX', uid: [String(store('alice').mail.messages('alice', 'INBOX')[0]!.uid)] }],
          ['/mail/signature', { body: 'staged signature' }],
          ['/memo/create', { title: 'staged memo', body: '' }],
          ['/memo/update', { id: String(mid.id), title: 'staged update', body: '' }],
          ['/schedule/create', { title: 'staged', date: '2026-12-04', start: '09:00', end: '10:00', facility: '' }],
          ['/schedule/update', { id: String(rid.id), server: emu.site.homeServer('alice').name, title: 'staged update', date: '2026-12-04', start: '11:00', end: '12:00', facility: '' }],
          ['/forum/create', { forum: String(forum.id), title: 'staged post', body: '' }],
          ['/bookmark/create', { title: 'staged', url: 'http://staged.example/' }],
        ];
        for (const [path, form] of steps) expect((await c.post(path, form)).status, path).toBe(303 - (path === '/mail/send' ? 103 : 0));
        expect((await admin.post('/dept/facility/add', { name: 'staged room', department: '' })).status).toBe(303);
        const staging = await api(emu, 'GET', `/api/servers/${emu.site.servers[0]!.name}/staging?limit=1000`);
        const ops = (staging.body.changes as Array<{ service: string; operation: string }>).map((x) => `${x.service}:${x.operation}`);
        for (const op of ['mail:append', 'mail:move', 'web:signature-set', 'web:memo-create', 'web:memo-update', 'calendar:reservation-create', 'calendar:reservation-update', 'forum:post-create', 'web:bookmark-create', 'calendar:facility-create']) {
          expect(ops, op).toContain(op);
        }
      } finally {
        await emu.command('tobkweb rm', { lenient: true });
        await emu.command('to backup off', { lenient: true });
      }
      expect(emu.status()[0]!.backupMode).toBe('off');
    });
  });
});
