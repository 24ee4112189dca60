// The console's controls over HTTP (the routes its page calls): the site-wide
// next step, the staging count per write, reset to the demo state, the
// timeline, and a scenario run step by step against the site itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';

const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 50 });

describe('console controls (multi-server site)', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ topology: 'multi', appServers: 2, timeZone: 'Asia/Tokyo' });
  });
  afterAll(() => emu.stop());

  const state = async () => (await api(emu, 'GET', '/console/state')).body;

  it('names the next step of the whole site, with every user and home server, in the site time zone', async () => {
    const s = await state();
    expect(s.timeZone).toBe('Asia/Tokyo');
    expect(s.next).toMatchObject({ step: { step: 1, command: 'to tran suspend' }, servers: ['twap01', 'twap02'] });
    expect(s.users).toEqual(expect.arrayContaining([{ name: 'alice', homeServer: 'twap02', isAdmin: false }, { name: 'bob', homeServer: expect.any(String), isAdmin: false }]));
  });

  it('walks the 7 steps by always running the next step on every server; each write in backup mode shows as a staging event', async () => {
    const walked: number[] = [];
    for (let i = 0; i < 7; i++) {
      const next = (await state()).next;
      expect(next.step, JSON.stringify(next)).toBeDefined();
      walked.push(next.step.step);
      if (next.step.procedure === 'backup') {
        // Step 5 is done when the backup job has ended (while it runs the next step waits for it).
        expect((await api(emu, 'POST', '/api/backups?wait=true', { server: 'all', level: 0, dest: `${emu.dataDir}/console-backups` })).status).toBe(200);
      } else {
        expect((await api(emu, 'POST', '/api/commands', { command: next.step.procedure, server: 'all' })).status).toBe(200);
      }
      if (next.step.step === 4) {
        // Backup mode, service available: two writes, each seen on the event stream with the running count.
        for (const n of [1, 2]) {
          const seq = emu.site.events.lastSeq;
          await api(emu, 'POST', '/api/mail', { to: 'alice', raw: `Subject: staged ${n}\r\n\r\nbody\r\n` });
          await poll(() => emu.site.events.since(seq).find((e) => e.type === 'staging' && e.operation === 'write' && e.server === 'twap02')?.data?.writes).toBe(n);
        }
      }
    }
    expect(walked).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await state()).next.step.step).toBe(1);
  });

  it('exports the timeline: suspended and backup-mode windows and the steps, per server', async () => {
    const r = await fetch(`${emu.endpoints.control}/console/timeline?download=1`, { headers: { authorization: `Bearer ${emu.token}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toContain('twemu-timeline.json');
    const t = await r.json() as { timeZone: string; lanes: Array<{ server: string; windows: Array<{ kind: string; to: string | null }>; marks: Array<{ kind: string; operation: string }> }> };
    expect(t.timeZone).toBe('Asia/Tokyo');
    expect(t.lanes.map((l) => l.server)).toEqual(['twdir01', 'twap01', 'twap02']);
    for (const lane of t.lanes) {
      expect(lane.windows.filter((w) => w.kind === 'suspended')).toHaveLength(1);
      expect(lane.windows.filter((w) => w.kind === 'backup-mode')).toHaveLength(1);
      expect(lane.windows.every((w) => w.to !== null)).toBe(true);
      expect(lane.marks.filter((m) => m.kind === 'command').map((m) => m.operation)).toEqual(['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume', 'tobkweb rm', 'to backup off']);
    }
  });

  it('the web-page client opens a deep page as a logged-in user (it logs in first)', async () => {
    const r = await api(emu, 'POST', '/console/demo/web-page', { server: 'twap02', user: 'alice', password: 'teamware', path: '/mail/list' });
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    expect(r.body.summary).toMatch(/^HTTP 200: /);
    expect(r.body.lines.map((l: { text: string }) => l.text).join('\n')).toContain('週次報告のお願い');
  });

  it('resets the site to its demo state: servers at the start, demo mail back, policies as configured', async () => {
    await api(emu, 'POST', '/api/commands', { command: 'to tran suspend', server: 'all' });
    await api(emu, 'POST', '/api/commands', { command: 'to backup on', server: 'all' });
    await api(emu, 'POST', '/api/mail', { to: 'alice', raw: 'Subject: extra\r\n\r\nx\r\n' });
    expect((await api(emu, 'PUT', '/api/catalog/pop3.login/policy', { mode: 'never' })).status).toBe(200);
    const r = await api(emu, 'POST', '/console/reset', {});
    expect(r.status).toBe(200);
    for (const s of r.body.status) expect(s, s.name).toMatchObject({ service: 'available', backupMode: 'off', webArchive: 'absent' });
    expect((await api(emu, 'GET', '/api/users/alice/folders')).body.folders.find((f: { name: string }) => f.name === 'INBOX').messages).toBe(3);
    expect(emu.site.catalog.policy('pop3.login').mode).toBe('always');
    expect((await state()).next.step.step).toBe(1);
  });
});

describe('console: a scenario run step by step against the site', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite();
  });
  afterAll(() => emu.stop());

  it('lists the bundled scenarios, runs one paused before each step, and puts expectation and outcome on the feed', async () => {
    const list = await api(emu, 'GET', '/console/scenarios');
    expect(list.status).toBe(200);
    expect(list.body.scenarios.map((s: { file: string }) => s.file)).toContain('pop3.login.yaml');
    const started = await api(emu, 'POST', '/console/scenarios/run', { file: 'pop3.login.yaml', mode: 'step' });
    expect(started.status).toBe(202);
    const id = started.body.id as string;
    const view = async () => (await api(emu, 'GET', `/console/scenarios/runs/${id}`)).body;
    await poll(async () => (await view()).state).toBe('paused');
    expect((await view()).current).toBe('1 operator to tran suspend');
    expect(emu.site.server('twsv01').suspended).toBe(false);
    // One step: the suspension, then paused again.
    await api(emu, 'POST', `/console/scenarios/runs/${id}/step`, {});
    await poll(async () => (await view()).steps.length).toBe(1);
    await poll(async () => (await view()).state).toBe('paused');
    expect(emu.site.server('twsv01').suspended).toBe(true);
    // The rest straight through.
    await api(emu, 'POST', `/console/scenarios/runs/${id}/resume`, {});
    await poll(async () => (await view()).state).toBe('passed');
    const done = await view();
    expect(done.steps.every((s: { ok: boolean }) => s.ok)).toBe(true);
    const pass = done.steps.find((s: { label: string }) => s.label.includes('PASS teamware'));
    expect(pass.expect).toContain('-ERR unable to lock maildrop');
    const feed = emu.site.events.since(0, (e) => e.type === 'scenario' && e.data?.run === id);
    expect(feed.filter((e) => e.data?.phase === 'expect')).toHaveLength(done.steps.length);
    expect(feed.filter((e) => e.data?.phase === 'outcome' && e.data?.ok === true)).toHaveLength(done.steps.length);
    expect(feed.at(-1)?.message).toContain('PASSED');
  });

  it('refuses an uploaded file that does not validate, with file:line:column, and runs none of it', async () => {
    const r = await api(emu, 'POST', '/console/scenarios/run', { yaml: 'name: bad\nsteps:\n  - operatr: to tran suspend\n', name: 'bad.yaml', mode: 'run' });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/^bad\.yaml:3:\d+: /);
    expect(emu.site.server('twsv01').suspended).toBe(false);
  });

  it('stops a paused run', async () => {
    const started = await api(emu, 'POST', '/console/scenarios/run', { file: 'pop3.login.yaml', mode: 'step' });
    const id = started.body.id as string;
    await poll(async () => (await api(emu, 'GET', `/console/scenarios/runs/${id}`)).body.state).toBe('paused');
    expect((await api(emu, 'POST', '/console/scenarios/run', { file: 'pop3.login.yaml', mode: 'run' })).status).toBe(409);
    await api(emu, 'POST', `/console/scenarios/runs/${id}/stop`, {});
    await poll(async () => (await api(emu, 'GET', `/console/scenarios/runs/${id}`)).body.state).toBe('stopped');
    expect(emu.site.server('twsv01').suspended).toBe(false);
  });
});
