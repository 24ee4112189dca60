// Every AME function through HTTP+JSON while the server is available: its
// normal result, its documented error codes, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { api, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { ameHttp, LOCAL_CALLS, SERVER_CALLS } from './util.js';

let emu: Emulator;
let base: string;
const call = (fn: string, body?: unknown, opts?: Parameters<typeof ameHttp>[3]) => ameHttp(base, fn, body, opts);

beforeAll(async () => {
  emu = await startTestSite({ services: { access: { failedLoginDelayMs: 0 } } }); // the delay itself: test/protocols/login.test.ts
  base = emu.endpoints.servers[0]!.ame!;
});
afterAll(() => emu.stop());

describe('discovery', () => {
  it('GET /functions lists every function with its arguments and whether it touches the server', async () => {
    const res = await fetch(`${base}/functions`);
    expect(res.status).toBe(200);
    const list = (await res.json()) as Array<{ name: string; touchesServer: boolean; arguments: Array<{ name: string; required: boolean }>; codes: number[] }>;
    expect(list.map((f) => f.name).sort()).toEqual([...Object.keys(SERVER_CALLS), ...Object.keys(LOCAL_CALLS)].sort());
    for (const f of list) {
      expect(f.touchesServer, f.name).toBe(f.name in SERVER_CALLS);
      if (f.touchesServer) expect(f.codes, f.name).toEqual(expect.arrayContaining([0, -9, -10, -1]));
      else expect(f.codes, f.name).not.toContain(-9);
    }
    expect(list.find((f) => f.name === 'mail_read')!.arguments.find((a) => a.name === 'uid')!.required).toBe(true);
  });

  it('GET /codes documents every rc; the OpenAPI page documents every function and says the names are the emulator\'s', async () => {
    const codes = (await (await fetch(`${base}/codes`)).json()) as Array<{ rc: number }>;
    expect(codes.map((c) => c.rc)).toEqual([0, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10]);
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { info: { description: string }; paths: Record<string, { post?: { description: string; requestBody?: unknown } }> };
    expect(doc.info.description).toContain('are the emulator\'s');
    for (const fn of [...Object.keys(SERVER_CALLS), ...Object.keys(LOCAL_CALLS)]) {
      const path = doc.paths[`/ame/${fn}`]?.post;
      expect(path, fn).toBeDefined();
      expect(path!.description).toContain('Return codes:');
    }
    const page = await fetch(`${base}/docs`);
    expect(page.status).toBe(200);
    // Swagger UI's page names its assets under the AME's prefix, and each is served.
    const assets = [...(await page.text()).matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(3);
    for (const a of assets) {
      const r = await fetch(new URL(a, `${base}/docs`));
      await r.arrayBuffer();
      expect(r.status, a).toBe(200);
    }
    // A path under /docs that the docs do not have is an unknown function, as any other.
    const missing = await fetch(`${base}/docs/static/nope.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ rc: -7, error: 'E_NO_FUNCTION' });
  });
});

describe('mail', () => {
  it('mail_list lists INBOX, paged', async () => {
    const r = await call('mail_list', {});
    expect(r.status).toBe(200);
    expect(r.body.rc).toBe(0);
    expect(r.body.total).toBe(3);
    expect(r.body.messages.map((m: { subject: string }) => m.subject)).toContain('Quarterly figures');
    const page = await call('mail_list', { offset: 1, limit: 1 });
    expect(page.body.messages.map((m: { uid: number }) => m.uid)).toEqual([2]);
    expect((await call('mail_list', { folder: 'NoSuchFolder' })).body.rc).toBe(-3);
  });

  it('mail_read answers the raw message and marks it \\Seen (peek does not)', async () => {
    const peek = await call('mail_read', { uid: 1, peek: true });
    expect(peek.body.rc).toBe(0);
    expect(peek.body.flags).not.toContain('\\Seen');
    const r = await call('mail_read', { uid: 2 });
    expect(r.body.rc).toBe(0);
    expect(r.body.raw).toContain('Subject: Quarterly figures');
    expect(Buffer.from(r.body.rawBase64, 'base64').toString('utf8')).toBe(r.body.raw);
    expect(r.body.flags).toContain('\\Seen');
    const list = await call('mail_list', {});
    expect(list.body.messages.find((m: { uid: number }) => m.uid === 2).flags).toContain('\\Seen');
    expect((await call('mail_read', { uid: 999 })).body).toMatchObject({ rc: -3, error: 'E_NOT_FOUND' });
  });

  it('mail_send delivers to the recipient\'s INBOX and keeps a copy in OUTBOX; an unknown recipient sends nothing', async () => {
    const before = (await call('mail_list', {}, { user: 'bob' })).body.total as number;
    const r = await call('mail_send', { to: ['bob@teamware.example'], subject: '会議の件', body: '明日10時から\nよろしく' });
    expect(r.body.rc).toBe(0);
    expect(r.body.delivered).toEqual([{ user: 'bob', uid: expect.any(Number) }]);
    const inbox = await call('mail_read', { uid: r.body.delivered[0].uid }, { user: 'bob' });
    expect(inbox.body.raw).toContain(`Subject: =?UTF-8?B?${Buffer.from('会議の件').toString('base64')}?=`);
    expect(inbox.body.raw).toContain('明日10時から\r\nよろしく');
    expect(inbox.body.raw).toContain(`Message-ID: ${r.body.messageId}`);
    const outbox = await call('mail_read', { folder: 'OUTBOX', uid: r.body.outboxUid, peek: true });
    expect(outbox.body.raw).toContain(r.body.messageId);
    const bad = await call('mail_send', { to: ['bob', 'nobody'], subject: 'x', body: 'y' });
    expect(bad.body).toMatchObject({ rc: -3, error: 'E_NOT_FOUND' });
    expect((await call('mail_list', {}, { user: 'bob' })).body.total).toBe(before + 1);
  });

  it('mail_delete moves to WasteBox, and from WasteBox removes for good', async () => {
    const r = await call('mail_delete', { uids: [3, 77] }, { user: 'bob' });
    expect(r.body).toMatchObject({ rc: 0, deleted: [3], missing: [77], permanently: false });
    const waste = await call('mail_list', { folder: 'WasteBox' }, { user: 'bob' });
    expect(waste.body.total).toBe(1);
    const wuid = waste.body.messages[0].uid;
    const gone = await call('mail_delete', { folder: 'WasteBox', uids: [wuid] }, { user: 'bob' });
    expect(gone.body).toMatchObject({ rc: 0, deleted: [wuid], permanently: true });
    expect((await call('mail_list', { folder: 'WasteBox' }, { user: 'bob' })).body.total).toBe(0);
    expect((await call('mail_delete', { uids: [3] }, { user: 'bob' })).body.rc).toBe(-3);
  });

  it('mail_move moves to another folder and answers the new UIDs', async () => {
    const r = await call('mail_move', { uids: [1], to: 'WasteBox' }, { user: 'bob' });
    expect(r.body).toMatchObject({ rc: 0, folder: 'INBOX', to: 'WasteBox', moved: [{ uid: 1, newUid: expect.any(Number) }] });
    expect((await call('mail_read', { folder: 'WasteBox', uid: r.body.moved[0].newUid, peek: true }, { user: 'bob' })).body.rc).toBe(0);
    expect((await call('mail_read', { uid: 1 }, { user: 'bob' })).body.rc).toBe(-3);
    expect((await call('mail_move', { uids: [2], to: 'Nowhere' }, { user: 'bob' })).body.rc).toBe(-3);
    expect((await call('mail_move', { uids: [2], to: 'INBOX' }, { user: 'bob' })).body.rc).toBe(-2);
  });
});

describe('calendar', () => {
  it('calendar_list, calendar_create, calendar_update, calendar_delete on the caller\'s schedule', async () => {
    const list = await call('calendar_list', {});
    expect(list.body.rc).toBe(0);
    expect(list.body.reservations.map((r: { title: string }) => r.title)).toContain('定例会議');
    const created = await call('calendar_create', { title: 'AME テスト', start: '2026-12-01T10:00', end: '2026-12-01T11:00', note: 'n' });
    expect(created.body).toMatchObject({ rc: 0, reservation: { title: 'AME テスト', owner: 'alice', start: '2026-12-01T10:00' } });
    const id = created.body.reservation.id as number;
    const ranged = await call('calendar_list', { from: '2026-12-01T00:00', to: '2026-12-02T00:00' });
    expect(ranged.body.reservations.map((r: { id: number }) => r.id)).toEqual([id]);
    const updated = await call('calendar_update', { id, title: '変更後', end: '2026-12-01T12:00' });
    expect(updated.body).toMatchObject({ rc: 0, reservation: { id, title: '変更後', end: '2026-12-01T12:00', note: 'n' } });
    expect((await call('calendar_update', { id, title: 'x' }, { user: 'bob' })).body).toMatchObject({ rc: -5, error: 'E_REFUSED' });
    expect((await call('calendar_update', { id, start: '2026-12-02T10:00', end: '2026-12-01T10:00' })).body.rc).toBe(-2);
    // Date-times the calendar does not have.
    expect((await call('calendar_update', { id, end: '2026-12-01T25:00' })).body.rc).toBe(-2);
    expect((await call('calendar_create', { title: 'x', start: '2026-02-30T10:00', end: '2026-02-30T11:00' })).body).toMatchObject({ rc: -2, error: 'E_ARGUMENT' });
    expect((await call('calendar_delete', { id }, { user: 'bob' })).body.rc).toBe(-5);
    expect((await call('calendar_delete', { id })).body).toEqual({ rc: 0, id });
    expect((await call('calendar_delete', { id })).body.rc).toBe(-3);
    expect((await call('calendar_create', { title: 'x', start: '2026-12-01T10:00', end: '2026-12-01T11:00', facilityId: 9999 })).body.rc).toBe(-3);
    // A facility only for the users it is permitted to (the department administrator's 利用許可), as on the web pages.
    const projector = emu.site.sharedServer.store.calendar.facilities().find((f) => f.name === 'プロジェクタ')!;
    expect(projector.permitted).not.toContain('bob');
    const before = emu.site.sharedServer.store.calendar.forFacility(projector.id).length;
    const refused = await call('calendar_create', { title: 'x', start: '2026-12-04T10:00', end: '2026-12-04T11:00', facilityId: projector.id }, { user: 'bob' });
    expect(refused.body).toMatchObject({ rc: -5, error: 'E_REFUSED', message: expect.stringContaining('not permitted') });
    expect(emu.site.homeStore('bob').calendar.list('bob', { from: '2026-12-04T00:00', to: '2026-12-05T00:00' })).toEqual([]);
    const allowed = await call('calendar_create', { title: 'y', start: '2026-12-04T10:00', end: '2026-12-04T11:00', facilityId: projector.id });
    expect(allowed.body).toMatchObject({ rc: 0, reservation: { facilityId: projector.id } });
    expect(emu.site.sharedServer.store.calendar.forFacility(projector.id).length).toBe(before + 1);
  });
});

describe('forum', () => {
  it('forum_list, forum_read, forum_post', async () => {
    const list = await call('forum_list', {});
    const forum = list.body.forums.find((f: { name: string }) => f.name === 'お知らせ');
    expect(forum).toMatchObject({ posts: 2 });
    const read = await call('forum_read', { forumId: forum.id });
    expect(read.body.rc).toBe(0);
    expect(read.body.posts.map((p: { title: string }) => p.title)).toContain('オンラインバックアップのお知らせ');
    const posted = await call('forum_post', { forumId: forum.id, title: 'AMEから', body: '投稿です' });
    expect(posted.body).toMatchObject({ rc: 0, post: { author: 'alice', title: 'AMEから', forumId: forum.id } });
    const one = await call('forum_read', { forumId: forum.id, postId: posted.body.post.id });
    expect(one.body.posts).toHaveLength(1);
    expect((await call('forum_list', {})).body.forums.find((f: { id: number }) => f.id === forum.id).posts).toBe(3);
    expect((await call('forum_read', { forumId: 9999 })).body.rc).toBe(-3);
    expect((await call('forum_post', { forumId: 9999, title: 't', body: 'b' })).body.rc).toBe(-3);
  });
});

describe('directory', () => {
  it('directory_lookup and directory_list (never a password)', async () => {
    const r = await call('directory_lookup', { name: 'bob' });
    expect(r.body).toMatchObject({ rc: 0, user: { name: 'bob', displayName: '鈴木 文雄', department: '営業部' } });
    expect(JSON.stringify(r.body)).not.toContain('password');
    expect((await call('directory_lookup', { name: 'nobody' })).body.rc).toBe(-3);
    const all = await call('directory_list', {});
    expect(all.body.users.map((u: { name: string }) => u.name)).toEqual(expect.arrayContaining(['ADMIN', 'alice', 'bob']));
    expect(JSON.stringify(all.body)).not.toContain('teamware"');
    const dept = await call('directory_list', { department: '営業部' });
    expect(dept.body.users.map((u: { name: string }) => u.name).sort()).toEqual(['alice', 'bob']);
  });
});

describe('library', () => {
  it('library_list, library_lock, library_unlock with another user\'s lock refused', async () => {
    const list = await call('library_list', {});
    const doc = list.body.documents.find((d: { title: string }) => d.title === '業務マニュアル');
    expect(doc).toMatchObject({ lockedBy: null });
    expect((await call('library_lock', { id: doc.id })).body).toMatchObject({ rc: 0, document: { id: doc.id, lockedBy: 'alice' } });
    expect((await call('library_lock', { id: doc.id }, { user: 'bob' })).body).toMatchObject({ rc: -5, error: 'E_REFUSED' });
    expect((await call('library_unlock', { id: doc.id }, { user: 'bob' })).body.rc).toBe(-5);
    expect((await call('library_list', {})).body.documents.find((d: { id: number }) => d.id === doc.id).lockedBy).toBe('alice');
    expect((await call('library_unlock', { id: doc.id })).body).toMatchObject({ rc: 0, document: { lockedBy: null } });
    expect((await call('library_lock', { id: 9999 })).body.rc).toBe(-3);
  });
});

describe('local functions', () => {
  it('ame_version', async () => {
    expect((await call('ame_version')).body).toMatchObject({ rc: 0, version: '2.0', emulated: true });
  });

  it('date_parse reads the documented forms and refuses impossible dates', async () => {
    expect((await call('date_parse', { text: '2026年11月26日 10時30分' })).body).toEqual({ rc: 0, year: 2026, month: 11, day: 26, hour: 10, minute: 30, second: 0, weekday: 4, iso: '2026-11-26T10:30:00' });
    expect((await call('date_parse', { text: '2026/1/5' })).body).toMatchObject({ rc: 0, iso: '2026-01-05T00:00:00', weekday: 1 });
    expect((await call('date_parse', { text: '2026-11-26T10:30:15' })).body).toMatchObject({ rc: 0, second: 15 });
    const bad = await call('date_parse', { text: '2026-02-30' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ rc: -2, error: 'E_ARGUMENT' });
    expect((await call('date_parse', { text: 'tomorrow' })).body.rc).toBe(-2);
  });

  it('date_format', async () => {
    expect((await call('date_format', LOCAL_CALLS.date_format)).body).toEqual({ rc: 0, text: '2026年11月26日(木) 10:30' });
    expect((await call('date_format', { date: '2026/11/26 9:05' })).body).toEqual({ rc: 0, text: '2026/11/26 09:05' });
    expect((await call('date_format', { date: '2026-13-01' })).body.rc).toBe(-2);
  });

  it('mail_address_build', async () => {
    expect((await call('mail_address_build', LOCAL_CALLS.mail_address_build)).body).toEqual({
      rc: 0, addrSpec: 'alice@teamware.example', address: `=?UTF-8?B?${Buffer.from('佐藤 亜里沙').toString('base64')}?= <alice@teamware.example>`,
    });
    expect((await call('mail_address_build', { user: 'bob', domain: 'example.co.jp', displayName: 'Bob "B" Suzuki' })).body.address).toBe('"Bob \\"B\\" Suzuki" <bob@example.co.jp>');
    expect((await call('mail_address_build', { user: 'a b' })).body.rc).toBe(-2);
    expect((await call('mail_address_build', { user: 'bob', domain: 'bad..domain' })).body.rc).toBe(-2);
  });

  it('folder_name_validate', async () => {
    expect((await call('folder_name_validate', { name: '報告書' })).body).toEqual({ rc: 0, valid: true, reserved: false });
    expect((await call('folder_name_validate', { name: 'inbox' })).body).toEqual({ rc: 0, valid: true, reserved: true });
    const bad = await call('folder_name_validate', { name: 'a(b)' });
    expect(bad.body).toMatchObject({ rc: 0, valid: false });
    expect(bad.body.reason).toContain('must not contain');
    expect((await call('folder_name_validate', { name: 'x'.repeat(65) })).body.valid).toBe(false);
    expect((await call('folder_name_validate', { name: '' })).body.valid).toBe(false);
  });
});

describe('bad input', () => {
  it('no or wrong credentials: 401, WWW-Authenticate: Basic, rc -4 (local functions too)', async () => {
    for (const r of [await call('mail_list', {}, { auth: null }), await call('mail_list', {}, { password: 'wrong' }), await call('ame_version', {}, { user: 'nobody' }), await call('mail_list', {}, { auth: 'Basic !!!' })]) {
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(r.body).toMatchObject({ rc: -4, error: 'E_AUTH' });
    }
  });

  it('malformed JSON, a wrong type, a missing or unknown argument: 400 and rc -2; unknown function: 404 and rc -7; the server keeps serving', async () => {
    const cases = [
      await call('mail_read', '{"uid": 1'),
      await call('mail_read', '[1, 2]'),
      await call('mail_read', 'null'),
      await call('mail_read', { uid: 'one' }),
      await call('mail_read', {}),
      await call('mail_list', { folder: 'INBOX', colour: 'red' }),
      await call('date_parse', { text: 7 }),
      await call('mail_list', { holdMs: 999_999 }),
    ];
    for (const r of cases) {
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ rc: -2, error: 'E_ARGUMENT', message: expect.any(String) });
      expect(JSON.stringify(r.body)).not.toMatch(/ at .*\.(ts|js):\d+/);
    }
    expect(cases[5]!.body.message).toContain('colour');
    const none = await call('mail_purge', {});
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ rc: -7, error: 'E_NO_FUNCTION' });
    expect((await call('mail_list')).body.rc).toBe(0);
  });

  it('an account without the service gets rc -6', async () => {
    const created = await api(emu, 'POST', '/api/users', { name: 'carol', password: 'pw', services: { mail: false, library: false } });
    expect(created.status).toBe(201);
    expect((await call('mail_list', {}, { user: 'carol', password: 'pw' })).body).toMatchObject({ rc: -6, error: 'E_SERVICE_NOT_PERMITTED' });
    expect((await call('library_list', {}, { user: 'carol', password: 'pw' })).body.rc).toBe(-6);
    expect((await call('calendar_list', {}, { user: 'carol', password: 'pw' })).body.rc).toBe(0);
  });
});

describe('stopping the site', () => {
  it('does not wait for a client that never reads a large answer (Swagger UI\'s bundle on a keep-alive socket)', async () => {
    const site = await startTestSite();
    const url = new URL(`${site.endpoints.servers[0]!.ame!}/docs/static/swagger-ui-bundle.js`);
    const socket = connect(Number(url.port), url.hostname);
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.once('data', (d: Buffer) => {
        received += d.length;
        socket.pause(); // never reads the rest: the server's writes back up
        resolve();
      });
      socket.write(`GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n\r\n`);
    });
    expect(received).toBeGreaterThan(0);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    try {
      await site.stop(); // before, this waited for the client (an afterAll hook timed out)
    } finally {
      socket.resume(); // now it reads: what was sent, then the server's end
    }
    await closed;
  }, 20_000);
});
