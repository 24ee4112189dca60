// Outage windows on the site's timeline: a scenario's `window:` step and
// `twemu schedule` against a running site. The site suspends at the start and
// resumes at the end by itself, while clients keep working.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, runCli, startTestSite, tempDir } from '../helpers.js';

const dir = tempDir('twemu-window-');
afterAll(() => dir.remove());

describe('outage windows', { timeout: 90_000 }, () => {
  it('a `window: suspend` step suspends the site now and resumes it by itself while the next steps run: a login in the window meets pop3.login, one after it works', async () => {
    const f = join(dir.path, 'window.yaml');
    writeFileSync(f, [
      'name: window',
      'steps:',
      '  - window: suspend',
      '    for: 1500ms',
      '    expect: {status: 201, json: {state: pending, server: all}}',
      '  - until: server twsv01 suspended',
      '    timeout: 5s',
      '  - pop3: in-window',
      '    login: {user: bob, password: teamware}',
      '    expect: {ok: false, behaviour: pop3.login}',
      '  - until: server twsv01 available',
      '    timeout: 10s',
      '  - pop3: after-window',
      '    login: {user: bob, password: teamware}',
      '',
    ].join('\n'));
    const r = await runCli(['scenario', 'run', f]);
    expect(r.stdout.trim().split('\n').at(-1), r.stdout).toBe('1 passed, 0 failed');
    const badFile = join(dir.path, 'bad.yaml');
    writeFileSync(badFile, 'steps:\n  - window: suspend\n    at: 1s\n');
    const bad = await runCli(['scenario', 'validate', badFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad.yaml:2:5: window needs `for` (how long the outage lasts, e.g. `for: 2s`)');
  });

  it('`twemu schedule suspend at +1s for 1s` on a running site: pending, then suspended, then available again; list and cancel; usage mistakes are one line', async () => {
    const data = tempDir('twemu-schedule-');
    const emu = await startTestSite({ dataDir: data.path });
    try {
      const r = await runCli(['schedule', 'suspend', 'at', '+1s', 'for', '1s', '--data', data.path]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^window 1: suspend all from \S+ to \S+: pending$/m);
      const states: string[] = [];
      for (let i = 0; i < 100 && !(states.includes('suspended') && states.at(-1) === 'available'); i++) {
        const s = (await api(emu, 'GET', '/api/status')).body.servers[0].service as string;
        if (states.at(-1) !== s) states.push(s);
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(states).toEqual(['available', 'suspended', 'available']);
      const list = await runCli(['schedule', 'list', '--data', data.path]);
      expect(list.stdout).toMatch(/^window 1: suspend all .*: done$/m);
      await runCli(['schedule', 'suspend', 'at', '+1h', 'for', '1m', '--data', data.path]);
      const cancel = await runCli(['schedule', 'cancel', '2', '--data', data.path]);
      expect(cancel.stdout).toMatch(/^window 2: .*: cancelled$/m);
      const usage = await runCli(['schedule', 'suspend', 'at', '+30s', '--data', data.path]);
      expect(usage.code).toBe(2);
      expect(usage.stderr.trim()).toMatch(/^twemu: schedule suspend needs `for DURATION` \(how long the outage lasts\); usage: twemu schedule suspend/);
    } finally {
      await emu.stop();
      data.remove();
    }
  });
});
