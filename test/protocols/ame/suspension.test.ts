// The seed's behaviours (administrator guide 19.3.1) through HTTP: while the
// server is suspended, functions that touch it return -9 or -10 (some another
// error), functions that do not touch it succeed; each on the event stream and
// switchable by policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, sseEvents, startTestSite } from '../../helpers.js';
import type { Emulator, TwEvent } from '../../../emulator/index.js';
import { ameHttp, LOCAL_CALLS, resume, SERVER_CALLS, setPolicy, suspend } from './util.js';

type Sse = Awaited<ReturnType<typeof sseEvents>>;

const OTHER_ERROR_DEFAULT = ['library_lock', 'library_unlock'];

/** A matcher for an event emitted after now (seq from the in-process log; the event itself is read from SSE). */
function after(emu: Emulator, match: (e: TwEvent) => boolean): (e: TwEvent) => boolean {
  const mark = emu.site.events.lastSeq;
  return (e) => e.seq > mark && match(e);
}

describe('single server', () => {
  let emu: Emulator;
  let base: string;
  let sse: Sse;
  const call = (fn: string, body?: unknown, opts?: Parameters<typeof ameHttp>[3]) => ameHttp(base, fn, body, opts);
  const localExpected: Record<string, unknown> = {};

  beforeAll(async () => {
    emu = await startTestSite();
    base = emu.endpoints.servers[0]!.ame!;
    sse = await sseEvents(emu);
    for (const [fn, args] of Object.entries(LOCAL_CALLS)) localExpected[fn] = (await call(fn, args)).body;
  });
  afterAll(async () => {
    sse?.close();
    await emu?.stop();
  });

  it('[behaviour:ame.server-call] every function that touches the server returns -9 while suspended (default policy), and changes nothing', async () => {
    const bobBefore = (await call('mail_list', {}, { user: 'bob' })).body.total;
    const postsBefore = (await call('forum_read', { forumId: 1 })).body.posts.length;
    expect((await suspend(emu)).status).toBe(200);
    for (const [fn, args] of Object.entries(SERVER_CALLS)) {
      const expected = OTHER_ERROR_DEFAULT.includes(fn) ? { rc: -1, error: 'E_SERVER', variant: 'other-error' } : { rc: -9, error: 'E_SUSPENDED', variant: 'rc-9' };
      const match = after(emu, (e) => e.type === 'behaviour' && e.behaviour === 'ame.server-call' && e.operation === fn && e.client === 'ame' && e.user === 'alice');
      const r = await call(fn, args);
      expect(r.status, fn).toBe(200);
      expect(r.body, fn).toMatchObject({ rc: expected.rc, error: expected.error, message: expect.stringContaining('twsv01') });
      expect((await sse.waitFor(match)).variant, fn).toBe(expected.variant);
    }
    expect((await resume(emu)).status).toBe(200);
    expect((await call('mail_list', {}, { user: 'bob' })).body.total).toBe(bobBefore);
    expect((await call('mail_read', { uid: 1, peek: true })).body.rc).toBe(0);
    expect((await call('forum_read', { forumId: 1 })).body.posts.length).toBe(postsBefore);
    expect((await call('calendar_list', {})).body.reservations.map((r: { id: number; title: string }) => r.id)).toContain(1);
    expect((await call('library_list', {})).body.documents.every((d: { lockedBy: string | null }) => d.lockedBy === null)).toBe(true);
  });

  it('[behaviour:ame.server-call] policy variant 1 gives -10 for every function that touches the server', async () => {
    expect((await setPolicy(emu, 'ame.server-call', { mode: 'always', variant: 1 })).status).toBe(200);
    await suspend(emu);
    try {
      for (const [fn, args] of Object.entries(SERVER_CALLS)) {
        const match = after(emu, (e) => e.type === 'behaviour' && e.behaviour === 'ame.server-call' && e.operation === fn);
        const r = await call(fn, args);
        expect(r.body, fn).toMatchObject({ rc: -10, error: 'E_CUT' });
        expect((await sse.waitFor(match)).variant, fn).toBe('rc-10');
      }
      await setPolicy(emu, 'ame.server-call', { mode: 'always', variant: 0 });
      expect((await call('library_lock', { id: 1 })).body.rc).toBe(-9);
    } finally {
      await setPolicy(emu, 'ame.server-call', { mode: 'always' });
      await resume(emu);
    }
  });

  it('[behaviour:ame.server-call] policy never: every function proceeds normally while suspended (behaviour-suppressed on the stream)', async () => {
    await setPolicy(emu, 'ame.server-call', { mode: 'never' });
    await suspend(emu);
    try {
      const calls = { ...SERVER_CALLS, mail_move: { uids: [2], to: 'WasteBox' } };
      for (const [fn, args] of Object.entries(calls)) {
        const match = after(emu, (e) => e.type === 'behaviour-suppressed' && e.behaviour === 'ame.server-call' && e.operation === fn);
        const r = await call(fn, args);
        expect(r.body.rc, `${fn}: ${JSON.stringify(r.body)}`).toBe(0);
        await sse.waitFor(match);
      }
      expect((await call('mail_list', { folder: 'WasteBox' })).body.total).toBe(2);
    } finally {
      await setPolicy(emu, 'ame.server-call', { mode: 'always' });
      await resume(emu);
    }
  });

  it('[behaviour:ame.server-call] probability with a seed: the same seed draws the same rcs', async () => {
    await suspend(emu);
    try {
      const draw = async () => {
        expect((await setPolicy(emu, 'ame.server-call', { mode: 'probability', probability: 0.6, seed: 7 })).status).toBe(200);
        const rcs: number[] = [];
        for (let i = 0; i < 16; i++) rcs.push((await call('forum_list', {})).body.rc);
        return rcs;
      };
      const first = await draw();
      const second = await draw();
      expect(second).toEqual(first);
      expect(first).toContain(0);
      expect(first.some((rc) => rc !== 0)).toBe(true);
      for (const rc of first) expect([0, -9, -10, -1]).toContain(rc);
    } finally {
      await setPolicy(emu, 'ame.server-call', { mode: 'always' });
      await resume(emu);
    }
  });

  it('[behaviour:ame.local-call] functions that do not touch the server succeed normally while suspended, on the event stream; policy never changes only the event kind', async () => {
    await suspend(emu);
    try {
      for (const [fn, args] of Object.entries(LOCAL_CALLS)) {
        const match = after(emu, (e) => e.type === 'behaviour' && e.behaviour === 'ame.local-call' && e.operation === fn && e.user === 'alice');
        const r = await call(fn, args);
        expect(r.status, fn).toBe(200);
        expect(r.body, fn).toEqual(localExpected[fn]);
        expect((r.body as { rc: number }).rc).toBe(0);
        await sse.waitFor(match);
      }
      await setPolicy(emu, 'ame.local-call', { mode: 'never' });
      const match = after(emu, (e) => e.type === 'behaviour-suppressed' && e.behaviour === 'ame.local-call' && e.operation === 'date_parse');
      expect((await call('date_parse', LOCAL_CALLS.date_parse)).body).toEqual(localExpected.date_parse);
      await sse.waitFor(match);
    } finally {
      await setPolicy(emu, 'ame.local-call', { mode: 'always' });
      await resume(emu);
    }
  });

  it('[behaviour:ame.call-cut] a call in progress when the suspension starts returns -10 (emulator default)', async () => {
    const started = after(emu, (e) => e.type === 'client' && e.client === 'ame' && e.operation === 'mail_list');
    const cut = after(emu, (e) => e.type === 'behaviour' && e.behaviour === 'ame.call-cut' && e.operation === 'mail_list');
    const pending = call('mail_list', { holdMs: 10_000 });
    await sse.waitFor(started);
    await suspend(emu);
    try {
      const r = await pending;
      expect(r.body).toMatchObject({ rc: -10, error: 'E_CUT', message: expect.stringContaining('suspended during the call') });
      expect((await sse.waitFor(cut)).variant).toBe('rc-10');
    } finally {
      await resume(emu);
    }
  });

  it('[behaviour:ame.call-cut] a listed function is cut with -1; policy never lets the cut call complete; a hold without a suspension completes', async () => {
    const started = after(emu, (e) => e.type === 'client' && e.operation === 'library_lock');
    const pending = call('library_lock', { id: 2, holdMs: 10_000 });
    await sse.waitFor(started);
    await suspend(emu);
    expect((await pending).body).toMatchObject({ rc: -1, error: 'E_SERVER' });
    await resume(emu);

    await setPolicy(emu, 'ame.call-cut', { mode: 'never' });
    try {
      const started2 = after(emu, (e) => e.type === 'client' && e.operation === 'mail_list');
      const suppressed = after(emu, (e) => e.type === 'behaviour-suppressed' && e.behaviour === 'ame.call-cut');
      const pending2 = call('mail_list', { holdMs: 10_000 });
      await sse.waitFor(started2);
      await suspend(emu);
      const r = await pending2;
      expect(r.body).toMatchObject({ rc: 0, folder: 'INBOX' });
      await sse.waitFor(suppressed);
    } finally {
      await setPolicy(emu, 'ame.call-cut', { mode: 'always' });
      await resume(emu);
    }
    expect((await call('directory_list', { holdMs: 5 })).body.rc).toBe(0);
  });
});

describe('configured otherErrorFunctions', () => {
  let emu: Emulator;
  afterAll(() => emu?.stop());

  it('[behaviour:ame.server-call] services.ame.otherErrorFunctions picks the functions that return -1', async () => {
    emu = await startTestSite({ services: { ame: { otherErrorFunctions: ['mail_list', 'forum_post'] } } });
    const base = emu.endpoints.servers[0]!.ame!;
    await suspend(emu);
    expect((await ameHttp(base, 'mail_list', {})).body).toMatchObject({ rc: -1, error: 'E_SERVER' });
    expect((await ameHttp(base, 'forum_post', SERVER_CALLS.forum_post)).body.rc).toBe(-1);
    expect((await ameHttp(base, 'library_lock', { id: 1 })).body.rc).toBe(-9);
    expect((await ameHttp(base, 'forum_list', {})).body.rc).toBe(-9);
  });

  it('a bad services.ame setting is one clear error at start', async () => {
    await expect(startTestSite({ services: { ame: { otherErrorFunctions: ['no_such_function'] } } })).rejects.toThrow(/otherErrorFunctions must be a list of AME function names/);
  });
});

describe('multi-server site', () => {
  let emu: Emulator;
  let sse: Sse;
  afterAll(async () => {
    sse?.close();
    await emu?.stop();
  });

  it('[behaviour:ame.server-call] a call fails on the server it touches: the user\'s home, the shared server, the directory server, or the endpoint\'s own', async () => {
    emu = await startTestSite({ topology: 'multi', appServers: 2 });
    sse = await sseEvents(emu);
    const apps = emu.endpoints.servers.filter((s) => s.role === 'application');
    const dir = emu.endpoints.servers.find((s) => s.role === 'directory')!;
    const homeOf = async (user: string) => (await ameHttp(dir.ame!, 'directory_lookup', { name: user })).body.user.homeServer as string;
    const aliceHome = await homeOf('alice');
    const bobHome = await homeOf('bob');
    expect(aliceHome).not.toBe(bobHome);
    const suspended = apps.find((s) => s.name === aliceHome)!;
    const other = apps.find((s) => s.name !== aliceHome)!;
    expect((await suspend(emu, aliceHome)).status).toBe(200);

    const match = after(emu, (e) => e.type === 'behaviour' && e.behaviour === 'ame.server-call' && e.server === aliceHome && e.operation === 'mail_list');
    expect((await ameHttp(other.ame!, 'mail_list', {}, { user: 'alice' })).body).toMatchObject({ rc: -9, message: expect.stringContaining(aliceHome) });
    await sse.waitFor(match);
    expect((await ameHttp(other.ame!, 'mail_list', {}, { user: 'bob' })).body.rc).toBe(0);
    expect((await ameHttp(other.ame!, 'directory_lookup', { name: 'alice' })).body.rc).toBe(0);
    expect((await ameHttp(dir.ame!, 'calendar_list', {}, { user: 'bob' })).body.rc).toBe(0);
    // The endpoint's own server is always touched.
    expect((await ameHttp(suspended.ame!, 'directory_lookup', { name: 'bob' }, { user: 'bob' })).body.rc).toBe(-9);
    expect((await ameHttp(suspended.ame!, 'ame_version', {})).body.rc).toBe(0);
    // Mail to a user whose home is suspended fails and delivers nothing.
    const bobTotal = (await ameHttp(other.ame!, 'mail_list', {}, { user: 'bob' })).body.total;
    expect((await ameHttp(other.ame!, 'mail_send', { to: 'alice', subject: 's', body: 'b' }, { user: 'bob' })).body.rc).toBe(-9);
    expect((await ameHttp(other.ame!, 'mail_list', { folder: 'OUTBOX' }, { user: 'bob' })).body.total).toBe(0);
    expect((await ameHttp(other.ame!, 'mail_list', {}, { user: 'bob' })).body.total).toBe(bobTotal);
    // Only the directory server suspended (out of the documented order: lenient, as a trainer would).
    expect((await resume(emu, aliceHome)).status).toBe(200);
    expect((await api(emu, 'POST', '/api/commands', { command: 'to tran suspend', server: dir.name, lenient: true })).status).toBe(200);
    expect((await ameHttp(other.ame!, 'directory_list', {}, { user: 'bob' })).body.rc).toBe(-9);
    expect((await ameHttp(other.ame!, 'mail_list', {}, { user: 'bob' })).body.rc).toBe(0);
    expect((await ameHttp(other.ame!, 'mail_send', { to: 'alice', subject: 's', body: 'b' }, { user: 'bob' })).body.rc).toBe(-9);
    expect((await ameHttp(dir.ame!, 'ame_version', {}, { user: 'bob' })).body.rc).toBe(0);
  });
});
