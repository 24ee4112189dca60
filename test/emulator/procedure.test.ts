import { afterEach, describe, expect, it } from 'vitest';
import { api, runCli, sseEvents, startTestSite } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';

const cmd = (emu: Emulator, command: string, server?: string, lenient?: boolean) =>
  api(emu, 'POST', '/api/commands', { command, ...(server ? { server } : {}), ...(lenient !== undefined ? { lenient } : {}) });

describe('procedure commands on a single-server site (HTTP API)', () => {
  let emu: Emulator;
  afterEach(async () => emu?.stop());

  // Every command in every state of the documented sequence: allowed or refused with its code.
  const steps = ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume', 'BACKUP', 'tobkweb rm', 'to backup off'] as const;
  const commands = ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume', 'tobkweb rm', 'to backup off'] as const;
  // expected[k][command]: answer after the first k steps were done ('ok' or the refusal code).
  const expected: Array<Record<(typeof commands)[number], string>> = [
    { 'to tran suspend': 'ok', 'to backup on': 'E_NOT_SUSPENDED', 'tobkweb arc': 'E_NOT_BACKUP_ON', 'to tran resume': 'E_NOT_SUSPENDED', 'tobkweb rm': 'E_NO_ARCHIVE', 'to backup off': 'E_NOT_BACKUP_ON' },
    { 'to tran suspend': 'E_ALREADY_SUSPENDED', 'to backup on': 'ok', 'tobkweb arc': 'E_NOT_BACKUP_ON', 'to tran resume': 'ok', 'tobkweb rm': 'E_NO_ARCHIVE', 'to backup off': 'E_NOT_BACKUP_ON' },
    { 'to tran suspend': 'E_ALREADY_SUSPENDED', 'to backup on': 'E_ALREADY_BACKUP_ON', 'tobkweb arc': 'ok', 'to tran resume': 'E_ARC_BEFORE_RESUME', 'tobkweb rm': 'E_NO_ARCHIVE', 'to backup off': 'E_BACKUP_NOT_DONE' },
    { 'to tran suspend': 'E_ALREADY_SUSPENDED', 'to backup on': 'E_ALREADY_BACKUP_ON', 'tobkweb arc': 'E_ALREADY_ARCHIVED', 'to tran resume': 'ok', 'tobkweb rm': 'E_NOT_BACKED_UP', 'to backup off': 'E_BACKUP_NOT_DONE' },
    { 'to tran suspend': 'E_CYCLE_IN_PROGRESS', 'to backup on': 'E_ALREADY_BACKUP_ON', 'tobkweb arc': 'E_ALREADY_ARCHIVED', 'to tran resume': 'E_NOT_SUSPENDED', 'tobkweb rm': 'E_NOT_BACKED_UP', 'to backup off': 'E_BACKUP_NOT_DONE' },
    { 'to tran suspend': 'E_CYCLE_IN_PROGRESS', 'to backup on': 'E_ALREADY_BACKUP_ON', 'tobkweb arc': 'E_ALREADY_ARCHIVED', 'to tran resume': 'E_NOT_SUSPENDED', 'tobkweb rm': 'ok', 'to backup off': 'E_ARCHIVE_NOT_REMOVED' },
    { 'to tran suspend': 'E_CYCLE_IN_PROGRESS', 'to backup on': 'E_ALREADY_BACKUP_ON', 'tobkweb arc': 'E_NOT_SUSPENDED', 'to tran resume': 'E_NOT_SUSPENDED', 'tobkweb rm': 'E_NO_ARCHIVE', 'to backup off': 'ok' },
    { 'to tran suspend': 'ok', 'to backup on': 'E_NOT_SUSPENDED', 'tobkweb arc': 'E_NOT_BACKUP_ON', 'to tran resume': 'E_NOT_SUSPENDED', 'tobkweb rm': 'E_NO_ARCHIVE', 'to backup off': 'E_NOT_BACKUP_ON' },
  ];

  for (let k = 0; k < expected.length; k++) {
    it(`after ${k} step(s) of the procedure, every command answers as documented`, async () => {
      for (const command of commands) {
        emu = await startTestSite({ demo: false });
        const dest = `${emu.dataDir}/backups`;
        for (const step of steps.slice(0, k)) {
          const r = step === 'BACKUP' ? await api(emu, 'POST', '/api/backups?wait=true', { level: 0, dest }) : await cmd(emu, step);
          expect(r.status, `${step}: ${JSON.stringify(r.body)}`).toBe(200);
        }
        const r = await cmd(emu, command, 'twsv01');
        const got = r.status === 200 ? 'ok' : r.body.error;
        expect(got, `${command} after ${steps.slice(0, k).join(', ') || 'nothing'}: ${JSON.stringify(r.body)}`).toBe(expected[k]![command]);
        if (r.status !== 200) {
          expect(r.status).toBe(409);
          expect(r.body.message).toMatch(/\S/);
          expect(r.body.hint).toMatch(/\S/);
          // Every refusal names its rule and (but at the very end of a cycle) the next allowed command.
          expect(r.body.rule).toMatch(/^[a-z0-9-]+$/);
          if (r.body.next) expect(r.body.hint).toContain(r.body.next);
        }
        await emu.stop();
      }
    });
  }

  it('an unknown command is refused with 400 and the list of commands', async () => {
    emu = await startTestSite({ demo: false });
    const r = await cmd(emu, 'to tran pause');
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('E_UNKNOWN_COMMAND');
    expect(r.body.hint).toContain('to tran suspend');
  });

  it('a wrong or missing token gets 401 and changes nothing', async () => {
    emu = await startTestSite({ demo: false });
    for (const token of [null, 'wrong-token']) {
      const r = await api(emu, 'POST', '/api/commands', { command: 'to tran suspend' }, { token });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('E_UNAUTHORIZED');
    }
    expect((await api(emu, 'GET', '/api/status', undefined, { token: null })).status).toBe(401);
    expect((await api(emu, 'GET', '/api/events?format=json', undefined, { token: null })).status).toBe(401);
    expect(emu.status()[0]!.service).toBe('available');
    expect((await api(emu, 'GET', '/health', undefined, { token: null })).status).toBe(200);
  });
});

describe('multi-server ordering rules (2 application servers)', () => {
  let emu: Emulator | undefined;
  afterEach(async () => {
    await emu?.stop();
    emu = undefined;
  });
  // Every test starts on a fresh site: the backup cycle (which step ran where) is part of the site's state.
  const reset = async () => {
    await emu?.stop();
    emu = await startTestSite({ topology: 'multi', appServers: 2, demo: false });
  };

  it('names the servers twdir01, twap01, twap02 with their roles and services', async () => {
    await reset();
    expect(emu.endpoints.servers.map((s) => [s.name, s.role])).toEqual([['twdir01', 'directory'], ['twap01', 'application'], ['twap02', 'application']]);
    expect(emu.endpoints.servers[0]!.pop3).toBeUndefined();
    expect(emu.endpoints.servers[1]!.pop3).toBeGreaterThan(0);
  });

  it('strict: suspending the directory server while an application server is available is refused', async () => {
    await reset();
    await cmd(emu, 'to tran suspend', 'twap01');
    const r = await cmd(emu, 'to tran suspend', 'twdir01');
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ error: 'E_SUSPEND_ORDER' });
    expect(r.body.message).toContain('twap02');
    expect(r.body.hint).toContain('twap02');
    expect(emu.site.server('twdir01').suspended).toBe(false);
  });

  it('strict: resuming an application server while the directory server is suspended is refused', async () => {
    await reset();
    expect((await cmd(emu, 'to tran suspend')).status).toBe(200);
    const r = await cmd(emu, 'to tran resume', 'twap01');
    expect(r.status).toBe(409);
    expect(r.body.error).toBe('E_RESUME_ORDER');
  });

  it('strict: tobkweb arc on the directory server before the application servers is refused', async () => {
    await reset();
    await cmd(emu, 'to tran suspend');
    await cmd(emu, 'to backup on');
    const r = await cmd(emu, 'tobkweb arc', 'twdir01');
    expect(r.status).toBe(409);
    expect(r.body.error).toBe('E_ARC_ORDER');
  });

  it('strict: to backup off before every server\'s backup has run is refused', async () => {
    await reset();
    await cmd(emu, 'to tran suspend');
    await cmd(emu, 'to backup on');
    await cmd(emu, 'tobkweb arc');
    await cmd(emu, 'to tran resume');
    expect((await api(emu, 'POST', '/api/backups?wait=true', { level: 0, dest: `${emu.dataDir}/bk`, server: 'twap01' })).status).toBe(200);
    const r = await cmd(emu, 'to backup off', 'twap01');
    expect(r.status).toBe(409);
    expect(r.body.error).toBe('E_BACKUP_NOT_DONE');
    expect(r.body.message).toContain('twdir01');
    expect(r.body.message).toContain('twap02');
  });

  it('lenient: the wrong order succeeds and a warning event names the rule (SSE)', async () => {
    await reset();
    const sse = await sseEvents(emu);
    try {
      await cmd(emu, 'to tran suspend', 'twap01');
      const r = await cmd(emu, 'to tran suspend', 'twdir01', true);
      expect(r.status).toBe(200);
      expect(r.body.results[0].warnings).toEqual(['suspend-order']);
      expect(r.body.results[0].warnings).not.toContain('cycle-in-progress');
      const warning = await sse.waitFor((e) => e.type === 'warning');
      expect(warning).toMatchObject({ server: 'twdir01', rule: 'suspend-order', code: 'E_SUSPEND_ORDER' });
      const r2 = await cmd(emu, 'to tran resume', 'twap01', true);
      expect(r2.status).toBe(200);
      expect((await sse.waitFor((e) => e.type === 'warning' && e.rule === 'resume-order')).server).toBe('twap01');
    } finally {
      sse.close();
    }
  });

  it('--server all applies the documented order (CLI)', async () => {
    await reset();
    const data = ['--data', emu.dataDir, '--json'];
    const run = async (...words: string[]) => {
      const r = await runCli([...words, ...data]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).results.map((x: { server: string }) => x.server);
    };
    expect(await run('to', 'tran', 'suspend')).toEqual(['twap01', 'twap02', 'twdir01']);
    expect(await run('to', 'backup', 'on')).toEqual(['twdir01', 'twap01', 'twap02']);
    expect(await run('tobkweb', 'arc')).toEqual(['twap01', 'twap02', 'twdir01']);
    expect(await run('to', 'tran', 'resume')).toEqual(['twdir01', 'twap01', 'twap02']);
    const backup = await runCli(['backup', '--level', '0', '--dest', `${emu.dataDir}/bk-all`, '--data', emu.dataDir]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    expect(await run('tobkweb', 'rm')).toEqual(['twdir01', 'twap01', 'twap02']);
    expect(await run('to', 'backup', 'off')).toEqual(['twdir01', 'twap01', 'twap02']);
    const again = await runCli(['to', 'backup', 'off', '--data', emu.dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toContain('not in backup mode');
  }, 120_000);
});
