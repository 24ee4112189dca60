// The other domain rules on an in-memory store: library locks, shared
// bookmarks, the Directory's administration, forum posts, and mail's
// WasteBox and sending.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memorySite } from './memory.js';

let m: ReturnType<typeof memorySite>;
const account = (name: string) => m.site.directory.get(name)!;

beforeEach(() => {
  m = memorySite();
  m.site.directory.create({ name: 'alice', password: 'pw', homeServer: 'twap02', department: '営業部' });
  m.site.directory.create({ name: 'bob', password: 'pw', homeServer: 'twap01', department: '営業部' });
  m.site.directory.create({ name: 'ADMIN', password: 'pw', homeServer: 'twap01', isAdmin: true });
});
afterEach(() => m.site.close());

describe('library', () => {
  it('a lock is the holder\'s; only the holder or an administrator unlocks it', () => {
    const doc = m.servers[0]!.store.library.create({ title: '就業規則' });
    expect(m.domain.library.lock(doc.id, 'alice')).toMatchObject({ ok: true, value: { lockedBy: 'alice' } });
    expect(m.domain.library.lock(doc.id, 'alice')).toMatchObject({ ok: true });
    expect(m.domain.library.lock(doc.id, 'bob')).toMatchObject({ ok: false, refused: 'not-permitted', message: 'document 1 is locked by alice' });
    expect(m.domain.library.unlock(doc.id, account('bob'))).toMatchObject({ refused: 'not-permitted' });
    expect(m.domain.library.unlock(doc.id, account('ADMIN'))).toMatchObject({ ok: true, value: { lockedBy: null } });
    expect(m.domain.library.lock(99, 'alice')).toMatchObject({ refused: 'not-found' });
    m.domain.library.lock(doc.id, 'bob');
    expect(m.domain.library.unlockAllOf('bob')).toEqual([doc.id]);
  });
});

describe('shared bookmarks', () => {
  it('are deleted by their creator or an administrator', () => {
    const b = m.domain.webdata.addBookmark('alice', { title: 'portal', url: 'http://portal.example/' });
    expect(m.servers[0]!.store.webdata.bookmarks()).toHaveLength(1); // on the directory server
    expect(m.domain.webdata.deleteBookmark(account('bob'), b.id)).toMatchObject({ refused: 'not-permitted' });
    expect(m.domain.webdata.deleteBookmark(account('ADMIN'), b.id)).toMatchObject({ ok: true });
    expect(m.domain.webdata.deleteBookmark(account('alice'), b.id)).toMatchObject({ refused: 'not-found' });
  });

  it('memos are their owner\'s: another user\'s id is not found', () => {
    const memo = m.domain.webdata.createMemo('alice', { title: 'x', body: '' });
    expect(m.domain.webdata.memo('bob', memo.id)).toMatchObject({ refused: 'not-found' });
    expect(m.domain.webdata.deleteMemo('bob', memo.id)).toMatchObject({ refused: 'not-found' });
    expect(m.domain.webdata.memos('alice')).toHaveLength(1);
  });
});

describe('directory administration', () => {
  it('lists without passwords, refuses a taken name or a missing template, and an administrator deleting themself', () => {
    expect(m.domain.directory.accounts().every((a) => !('password' in a))).toBe(true);
    expect(m.domain.directory.list('営業部').map((a) => a.name)).toEqual(['alice', 'bob']);
    expect(m.domain.directory.mayCreateAccount({ name: 'ALICE' })).toMatchObject({ refused: 'exists' });
    expect(m.domain.directory.mayCreateAccount({ name: 'carol', template: 'none' })).toMatchObject({ refused: 'not-found' });
    expect(m.domain.directory.deleteAccount(account('ADMIN'), 'admin')).toMatchObject({ refused: 'not-permitted' });
    expect(m.domain.directory.deleteAccount(account('ADMIN'), 'bob')).toMatchObject({ ok: true });
    expect(m.domain.directory.lookup('bob')).toMatchObject({ refused: 'not-found' });
    expect(m.domain.directory.createTemplate({ name: 'std' })).toMatchObject({ ok: true });
    expect(m.domain.directory.createTemplate({ name: 'std' })).toMatchObject({ refused: 'exists' });
    expect(m.domain.directory.recipients(['alice', 'Alice <alice@teamware.example>', 'nobody'])).toMatchObject({ refused: 'not-found', message: 'no user "nobody"' });
    expect(m.domain.directory.recipients(['alice', 'Alice <alice@teamware.example>'])).toMatchObject({ ok: true, value: [{ name: 'alice' }] });
  });
});

describe('forum', () => {
  it('posts only to a forum that exists, with a title', () => {
    const forum = m.servers[0]!.store.forum.createForum('お知らせ');
    expect(m.domain.forum.post(forum.id, 'alice', { title: '', body: 'x' })).toMatchObject({ refused: 'bad-input' });
    expect(m.domain.forum.post(99, 'alice', { title: 't', body: 'x' })).toMatchObject({ refused: 'not-found' });
    const p = m.domain.forum.post(forum.id, 'alice', { title: 't', body: 'x' });
    expect(p).toMatchObject({ ok: true, value: { author: 'alice' } });
    expect(m.domain.forum.posts(forum.id, 99)).toMatchObject({ refused: 'not-found' });
  });
});

describe('mail', () => {
  it('delete moves to WasteBox, and in WasteBox removes for good; send delivers at each home and files a copy in OUTBOX', () => {
    const sent = m.domain.mail.send(account('bob'), [account('alice')], 'Subject: hi\r\n\r\nhello\r\n');
    expect(sent.delivered).toEqual([{ user: 'alice', server: 'twap02', uid: 1 }]);
    expect(m.servers[0]!.store.mail.count('bob', 'OUTBOX')).toBe(1);
    const alice = account('alice');
    expect(m.domain.mail.delete(alice, 'inbox', [1])).toMatchObject({ ok: true, value: { folder: 'INBOX', permanently: false, moved: [[1, 1]] } });
    expect(m.domain.mail.delete(alice, 'WasteBox', [1])).toMatchObject({ ok: true, value: { permanently: true, removed: [1] } });
    expect(m.servers[1]!.store.mail.count('alice', 'WasteBox')).toBe(0);
    expect(m.domain.mail.delete(alice, 'Nowhere', [1])).toMatchObject({ refused: 'not-found' });
    expect(m.domain.mail.deliver('nobody', 'x')).toMatchObject({ refused: 'not-found' });
  });
});
