// The typed TypeScript client (`import { AmeClient } from 'twemu'`): every
// function through it, normal results, and what it answers while suspended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sseEvents, startTestSite } from '../../helpers.js';
import { AmeClient, type AmeReply, type Emulator, type TwEvent } from '../../../emulator/index.js';
import { resume, setPolicy, suspend } from './util.js';

let emu: Emulator;
let alice: AmeClient;
let bob: AmeClient;

beforeAll(async () => {
  emu = await startTestSite();
  const baseUrl = emu.endpoints.servers[0]!.ame!;
  alice = new AmeClient({ baseUrl, user: 'alice', password: 'teamware' });
  bob = new AmeClient({ baseUrl: `${baseUrl}/`, user: 'bob', password: 'teamware' });
});
afterAll(() => emu.stop());

/** Narrows a reply to its success (fails the test with the reply otherwise). */
function ok<T>(reply: AmeReply<T>): T & { rc: 0 } {
  if (reply.rc !== 0) throw new Error(`expected rc 0, got ${JSON.stringify(reply)}`);
  return reply;
}

describe('AmeClient, server available', () => {
  it('functions() matches the methods', async () => {
    const list = await alice.functions();
    expect(list).toHaveLength(22);
    for (const f of list) {
      const method = f.name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
      expect(typeof (alice as unknown as Record<string, unknown>)[method], f.name).toBe('function');
    }
  });

  it('mail: list, read, send, move, delete', async () => {
    const list = ok(await alice.mailList());
    expect(list.total).toBe(3);
    const read = ok(await alice.mailRead({ uid: list.messages[1]!.uid }));
    expect(read.raw).toContain('Quarterly figures');
    const sent = ok(await alice.mailSend({ to: 'bob', cc: ['ADMIN'], subject: 'from the client', body: 'hi' }));
    expect(sent.delivered.map((d) => d.user)).toEqual(['bob', 'ADMIN']);
    const bobList = ok(await bob.mailList({ limit: 1000 }));
    expect(bobList.messages.at(-1)!.subject).toBe('from the client');
    const moved = ok(await bob.mailMove({ uids: [bobList.messages.at(-1)!.uid], to: 'WasteBox' }));
    expect(moved.moved).toHaveLength(1);
    const deleted = ok(await bob.mailDelete({ folder: 'WasteBox', uids: [moved.moved[0]!.newUid] }));
    expect(deleted.permanently).toBe(true);
    const missing = await alice.mailRead({ uid: 4242 });
    expect(missing.rc).toBe(-3);
    if (missing.rc !== 0) expect(missing.error).toBe('E_NOT_FOUND');
  });

  it('calendar: list, create, update, delete', async () => {
    expect(ok(await alice.calendarList()).reservations.length).toBeGreaterThanOrEqual(3);
    const { reservation } = ok(await alice.calendarCreate({ title: 'client', start: '2026-12-03T09:00', end: '2026-12-03T10:00' }));
    expect(ok(await alice.calendarUpdate({ id: reservation.id, note: 'updated' })).reservation.note).toBe('updated');
    expect((await bob.calendarDelete({ id: reservation.id })).rc).toBe(-5);
    expect(ok(await alice.calendarDelete({ id: reservation.id })).id).toBe(reservation.id);
  });

  it('forum: list, read, post', async () => {
    const forum = ok(await alice.forumList()).forums[0]!;
    const post = ok(await alice.forumPost({ forumId: forum.id, title: 'client post', body: 'body' })).post;
    const read = ok(await bob.forumRead({ forumId: forum.id }));
    expect(read.posts.map((p) => p.id)).toContain(post.id);
  });

  it('directory: lookup, list', async () => {
    expect(ok(await alice.directoryLookup({ name: 'ADMIN' })).user.isAdmin).toBe(true);
    expect(ok(await alice.directoryList({ department: '営業部' })).users).toHaveLength(2);
  });

  it('library: list, lock, unlock', async () => {
    const doc = ok(await alice.libraryList()).documents[1]!;
    expect(ok(await bob.libraryLock({ id: doc.id })).document.lockedBy).toBe('bob');
    expect((await alice.libraryLock({ id: doc.id })).rc).toBe(-5);
    expect(ok(await bob.libraryUnlock({ id: doc.id })).document.lockedBy).toBeNull();
  });

  it('local: version, date parse and format, mail address, folder name', async () => {
    expect(ok(await alice.ameVersion()).version).toBe('2.0');
    expect(ok(await alice.dateParse({ text: '2026-11-26' })).weekday).toBe(4);
    expect(ok(await alice.dateFormat({ date: '2026-11-26T08:00', format: 'MM/DD' })).text).toBe('11/26');
    expect(ok(await alice.mailAddressBuild({ user: 'bob', domain: 'example.jp' })).address).toBe('bob@example.jp');
    expect(ok(await alice.folderNameValidate({ name: 'a{b' })).valid).toBe(false);
  });

  it('answers rc -4 for wrong credentials and -2 for bad arguments, never throws for an rc', async () => {
    const wrong = new AmeClient({ baseUrl: emu.endpoints.servers[0]!.ame!, user: 'alice', password: 'nope' });
    expect(await wrong.mailList()).toMatchObject({ rc: -4, error: 'E_AUTH' });
    expect(await alice.call('mail_read', { uid: -1 })).toMatchObject({ rc: -2, error: 'E_ARGUMENT' });
    expect(() => new AmeClient({ baseUrl: 'ftp://x', user: 'a', password: 'b' })).toThrow(/baseUrl/);
  });
});

describe('AmeClient while suspended', () => {
  it('[behaviour:ame.server-call] every method that touches the server answers -9 (library lock/unlock -1), through the client', async () => {
    await suspend(emu);
    try {
      const replies: Array<[string, AmeReply<unknown>]> = [
        ['mailList', await alice.mailList()],
        ['mailRead', await alice.mailRead({ uid: 1 })],
        ['mailSend', await alice.mailSend({ to: 'bob', subject: 's', body: 'b' })],
        ['mailDelete', await alice.mailDelete({ uids: [1] })],
        ['mailMove', await alice.mailMove({ uids: [1], to: 'WasteBox' })],
        ['calendarList', await alice.calendarList()],
        ['calendarCreate', await alice.calendarCreate({ title: 't', start: '2026-12-01T10:00', end: '2026-12-01T11:00' })],
        ['calendarUpdate', await alice.calendarUpdate({ id: 1, title: 't' })],
        ['calendarDelete', await alice.calendarDelete({ id: 1 })],
        ['forumList', await alice.forumList()],
        ['forumRead', await alice.forumRead({ forumId: 1 })],
        ['forumPost', await alice.forumPost({ forumId: 1, title: 't', body: 'b' })],
        ['directoryLookup', await alice.directoryLookup({ name: 'bob' })],
        ['directoryList', await alice.directoryList()],
        ['libraryList', await alice.libraryList()],
      ];
      for (const [method, reply] of replies) expect(reply, method).toMatchObject({ rc: -9, error: 'E_SUSPENDED' });
      expect(await alice.libraryLock({ id: 1 })).toMatchObject({ rc: -1, error: 'E_SERVER' });
      expect(await alice.libraryUnlock({ id: 1 })).toMatchObject({ rc: -1, error: 'E_SERVER' });
      await setPolicy(emu, 'ame.server-call', { mode: 'always', variant: 1 });
      expect((await alice.forumList()).rc).toBe(-10);
      expect((await alice.libraryLock({ id: 1 })).rc).toBe(-10);
    } finally {
      await setPolicy(emu, 'ame.server-call', { mode: 'always' });
      await resume(emu);
    }
  });

  it('[behaviour:ame.local-call] local methods answer rc 0 while suspended, through the client', async () => {
    await suspend(emu);
    try {
      expect(ok(await alice.ameVersion()).emulated).toBe(true);
      expect(ok(await alice.dateParse({ text: '2026年1月2日' })).iso).toBe('2026-01-02T00:00:00');
      expect(ok(await alice.dateFormat({ date: '2026-01-02' })).text).toBe('2026/01/02 00:00');
      expect(ok(await alice.mailAddressBuild({ user: 'alice' })).addrSpec).toBe('alice@teamware.example');
      expect(ok(await alice.folderNameValidate({ name: 'OUTBOX' })).reserved).toBe(true);
    } finally {
      await resume(emu);
    }
  });

  it('[behaviour:ame.call-cut] a client call in progress when the suspension starts answers -10', async () => {
    const sse = await sseEvents(emu);
    try {
      const mark = emu.site.events.lastSeq;
      const pending = alice.calendarList({ holdMs: 10_000 });
      await sse.waitFor((e: TwEvent) => e.seq > mark && e.type === 'client' && e.operation === 'calendar_list');
      await suspend(emu);
      expect(await pending).toMatchObject({ rc: -10, error: 'E_CUT' });
    } finally {
      sse.close();
      await resume(emu);
    }
  });
});
