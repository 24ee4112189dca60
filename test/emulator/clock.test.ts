// The site's clock: tests (and users, with config `clock: {start}` or TWEMU_NOW) set the time the
// site lives in; the demo data, the calendars' "today", web sessions, events and stored rows follow it.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type Emulator } from '../../emulator/index.js';
import { api, runCli, startTestSite, tempDir } from '../helpers.js';
import { WebClient, textOf } from '../protocols/web/webclient.js';

let emu: Emulator | null = null;
afterEach(async () => {
  await emu?.stop();
  emu = null;
});

describe('the site clock', () => {
  it('a year\'s end: demo reservations, the web schedule\'s today, events and the backup-on time follow the clock', async () => {
    // 12:00 UTC on 31 December: the same date from UTC-11 to UTC+11, so the test holds in any of those time zones.
    const clock = new ManualClock(Date.parse('2027-12-31T12:00:00Z'));
    emu = await startTestSite({ clock });
    const web = new WebClient(emu.endpoints.servers[0]!.web!);
    expect((await web.login('alice')).status).toBe(303);
    const today = textOf((await web.get('/schedule/today')).text);
    expect(today).toContain('2027年12月31日');
    expect(today).toContain('定例会議');
    expect(textOf((await web.get('/schedule/list?date=2028-01-01')).text)).toContain('出張'); // the demo's "tomorrow", in the next year

    expect((await api(emu, 'POST', '/api/commands', { command: 'to tran suspend' })).status).toBe(200);
    expect((await api(emu, 'POST', '/api/commands', { command: 'to backup on' })).status).toBe(200);
    const status = (await api(emu, 'GET', '/api/status')).body.servers[0];
    expect(status.backupMode).toBe('on');
    const events = emu.site.events.since(0);
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.time).toBe('2027-12-31T12:00:00.000Z');
    expect(emu.site.servers[0]!.state.backupOnAt).toBe('2027-12-31T12:00:00.000Z');
  });

  it('a backup job\'s start and end times are the site clock\'s, as its manifest\'s', async () => {
    const clock = new ManualClock(Date.parse('2027-12-31T12:00:00Z'));
    emu = await startTestSite({ clock });
    const dest = tempDir();
    try {
      for (const command of ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume']) expect((await api(emu, 'POST', '/api/commands', { command })).status).toBe(200);
      const r = await api(emu, 'POST', '/api/backups?wait=true', { level: 0, dest: dest.path });
      expect(r.status).toBe(200);
      expect(r.body.manifests[0].time).toBe('2027-12-31T12:00:00.000Z');
      expect(r.body.job).toMatchObject({ startedAt: '2027-12-31T12:00:00.000Z', finishedAt: '2027-12-31T12:00:00.000Z' });
    } finally {
      dest.remove();
    }
  });

  it('web sessions end after 30 idle minutes of the site clock', async () => {
    const clock = new ManualClock(Date.parse('2026-06-15T12:00:00Z'));
    emu = await startTestSite({ clock });
    const web = new WebClient(emu.endpoints.servers[0]!.web!);
    expect((await web.login('alice')).status).toBe(303);
    clock.advance(29 * 60_000);
    expect((await web.get('/memo/list')).status).toBe(200);
    clock.advance(29 * 60_000); // idle time counts from the last request
    expect((await web.get('/memo/list')).status).toBe(200);
    clock.advance(31 * 60_000);
    expect((await web.get('/memo/list')).status).toBe(401);
  });

  it('a bad clock setting is one clear error: TWEMU_NOW for `twemu serve`, clock in the options', async () => {
    const dir = tempDir();
    try {
      const r = await runCli(['serve', '--data', dir.path, '--port-base', '0'], { env: { TWEMU_NOW: 'yesterday' } });
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe('twemu: TWEMU_NOW must be an ISO 8601 date-time, not "yesterday"; e.g. TWEMU_NOW=2027-12-31T23:59:30+09:00');
    } finally {
      dir.remove();
    }
    await expect(startTestSite({ clock: { start: 'soon' } })).rejects.toThrow('clock must be {start: <ISO 8601 date-time>}');
  });
});
