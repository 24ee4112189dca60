import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, runCli, startTestSite, tempDir } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';

// The site-wide order of the 7 steps per backup cycle (administrator guide
// 19.3.1): the three ways out of order an audit found (issue 15), refused in
// strict mode with the rule and the next allowed command, allowed with one
// warning per broken rule in lenient mode, on both topologies.

type Topo = 'single' | 'multi';
function tempDirPath(): string {
  const d = tempDir();
  dirs.push(d);
  return d.path;
}
function writeConfig(config: unknown): string {
  const file = join(tempDirPath(), 'twemu.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}
const open: Emulator[] = [];
const dirs: Array<{ remove(): void }> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.stop();
  while (dirs.length) dirs.pop()!.remove();
});

async function site(topology: Topo, opts: { dataDir?: string } = {}): Promise<Emulator> {
  const emu = await startTestSite({ topology, ...(topology === 'multi' ? { appServers: 2 } : {}), demo: false, ...opts });
  open.push(emu);
  return emu;
}

const cmd = (emu: Emulator, command: string, server = 'all', extra: Record<string, unknown> = {}) =>
  api(emu, 'POST', '/api/commands', { command, server, ...extra });
const backup = (emu: Emulator, server = 'all', extra: Record<string, unknown> = {}) =>
  api(emu, 'POST', '/api/backups?wait=true', { level: 0, dest: `${emu.dataDir}/bk`, server, ...extra });
const ok = (r: { status: number; body: any }, what: string) => expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(200);
/** Warnings of a command's results (or of a backup's manifests). */
const warned = (r: { body: any }) => [...new Set<string>((r.body.results ?? r.body.manifests).flatMap((x: { warnings: string[] }) => x.warnings))].sort();

function refused(r: { status: number; body: any }, code: string, rule: string, next: string | RegExp) {
  expect(r.status, JSON.stringify(r.body)).toBe(409);
  expect(r.body.error).toBe(code);
  expect(r.body.rule).toBe(rule);
  if (typeof next === 'string') expect(r.body.next).toBe(next);
  else expect(r.body.next).toMatch(next);
  expect(r.body.hint).toContain(`next allowed: \`${r.body.next}\``);
}

describe('issue 15 path 1: a partial multi-server cycle', () => {
  it('strict: `to backup on` on twap01 while twdir01 and twap02 are not suspended is refused (step 2 after step 1 on every server)', async () => {
    const emu = await site('multi');
    ok(await cmd(emu, 'to tran suspend', 'twap01'), 'suspend twap01');
    const r = await cmd(emu, 'to backup on', 'twap01');
    refused(r, 'E_NOT_SUSPENDED', 'suspend-first', 'to tran suspend --server twap02');
    expect(r.body.message).toContain('twdir01');
    expect(r.body.message).toContain('twap02');
    expect(emu.site.server('twap01').state.backupMode).toBe('off');
    // The console's checklist says the same: step 2 is not next for twap01; the site's next step is suspending twap02.
    const state = (await api(emu, 'GET', '/console/state')).body;
    const twap01 = state.servers.find((s: { name: string }) => s.name === 'twap01');
    expect(twap01.checklist.next).toBeNull();
    expect(twap01.checklist.waiting).toContain('step 2');
    expect(twap01.checklist.waiting).toContain('next allowed: to tran suspend --server twap02');
    expect(state.procedure.next).toMatchObject({ step: 1, server: 'twap02', command: 'to tran suspend --server twap02' });
    expect(state.servers.find((s: { name: string }) => s.name === 'twap02').checklist.next).toBe(1);
    expect(state.servers.find((s: { name: string }) => s.name === 'twdir01').checklist.next).toBeNull();
  });

  it('lenient: the partial cycle runs on twap01 with a warning per broken rule, and backup/backup off for twap01 alone warn too', async () => {
    const emu = await site('multi');
    ok(await cmd(emu, 'to tran suspend', 'twap01'), 'suspend');
    const on = await cmd(emu, 'to backup on', 'twap01', { lenient: true });
    ok(on, 'backup on');
    expect(warned(on)).toEqual(['suspend-first']);
    const arc = await cmd(emu, 'tobkweb arc', 'twap01', { lenient: true });
    ok(arc, 'arc');
    expect(warned(arc)).toEqual(['backup-on-first']);
    const resume = await cmd(emu, 'to tran resume', 'twap01', { lenient: true });
    ok(resume, 'resume');
    expect(warned(resume)).toEqual(['arc-before-resume']);
    const b = await backup(emu, 'twap01', { lenient: true });
    ok(b, 'backup');
    expect(warned(b)).toEqual(['resume-before-backup']);
    const rm = await cmd(emu, 'tobkweb rm', 'twap01', { lenient: true });
    ok(rm, 'rm');
    expect(warned(rm)).toEqual(['backup-before-rm']);
    const off = await cmd(emu, 'to backup off', 'twap01', { lenient: true });
    ok(off, 'off');
    expect(warned(off)).toEqual(['all-backups-done']);
    const events = (await api(emu, 'GET', '/api/events?format=json&type=warning')).body;
    const rules = (Array.isArray(events) ? events : events.events).map((e: { rule: string }) => e.rule);
    expect(rules).toEqual(['suspend-first', 'backup-on-first', 'arc-before-resume', 'resume-before-backup', 'backup-before-rm', 'all-backups-done']);
  });

  it('strict (CLI): the refusal is one line naming the rule and the next allowed command', async () => {
    const emu = await site('multi');
    ok(await cmd(emu, 'to tran suspend', 'twap01'), 'suspend');
    const r = await runCli(['to', 'backup', 'on', '--server', 'twap01', '--data', emu.dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('(rule suspend-first)');
    expect(r.stderr).toContain('next allowed: `to tran suspend --server twap02`');
    const lenient = await runCli(['to', 'backup', 'on', '--server', 'twap01', '--lenient', '--data', emu.dataDir]);
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(lenient.stdout).toContain('twap01: to backup on done (lenient: rule(s) broken: suspend-first)');
  }, 60_000);
});

for (const topology of ['single', 'multi'] as const) {
  describe(`issue 15 paths 2 and 3 on a ${topology}-server site`, () => {
    it('path 2, strict: the backup while still suspended is refused (step 5 after step 4), naming the next step', async () => {
      const emu = await site(topology);
      ok(await cmd(emu, 'to tran suspend'), 'suspend');
      ok(await cmd(emu, 'to backup on'), 'backup on');
      const first = topology === 'single' ? 'twsv01' : 'twap01';
      const r = await backup(emu, first);
      refused(r, 'E_NOT_RESUMED', 'resume-before-backup', `tobkweb arc --server ${first}`);
      expect(emu.site.server(first).state.backupDone).toBe(false);
    });

    it('path 2, lenient: backup before the archive warns, and so does tobkweb rm of an archive the backup does not hold', async () => {
      const emu = await site(topology);
      ok(await cmd(emu, 'to tran suspend'), 'suspend');
      ok(await cmd(emu, 'to backup on'), 'backup on');
      const b = await backup(emu, 'all', { lenient: true });
      ok(b, 'backup');
      expect(warned(b)).toEqual(['arc-before-backup', 'resume-before-backup']);
      ok(await cmd(emu, 'tobkweb arc'), 'arc');
      ok(await cmd(emu, 'to tran resume'), 'resume');
      const strictRm = await cmd(emu, 'tobkweb rm');
      expect(strictRm.status).toBe(409);
      expect(strictRm.body.rule).toBe('backup-before-rm');
      expect(strictRm.body.message).toContain('holds no web-service archive');
      const rm = await cmd(emu, 'tobkweb rm', 'all', { lenient: true });
      ok(rm, 'rm');
      expect(warned(rm)).toEqual(['backup-before-rm']);
    });

    it('path 3, strict: `to backup off` while suspended and without a backup is refused; lenient warns', async () => {
      const emu = await site(topology);
      ok(await cmd(emu, 'to tran suspend'), 'suspend');
      ok(await cmd(emu, 'to backup on'), 'backup on');
      const first = topology === 'single' ? 'twsv01' : 'twap01';
      const r = await cmd(emu, 'to backup off', first);
      refused(r, 'E_BACKUP_NOT_DONE', 'all-backups-done', `tobkweb arc --server ${first}`);
      expect(r.body.hint).toContain('to backup off --abort');
      expect(emu.site.server(first).state.backupMode).toBe('on');
      const l = await cmd(emu, 'to backup off', 'all', { lenient: true });
      ok(l, 'lenient off');
      expect(warned(l)).toEqual(['all-backups-done']);
    });

    it('`to backup off --abort` ends the cycle early and says what the backup lacks (19.3.4)', async () => {
      const emu = await site(topology);
      ok(await cmd(emu, 'to tran suspend'), 'suspend');
      ok(await cmd(emu, 'to backup on'), 'backup on');
      const r = await runCli(['to', 'backup', 'off', '--abort', '--data', emu.dataDir]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('backup cycle aborted (19.3.4); the backup lacks:');
      for (const s of emu.site.servers) {
        expect(r.stdout).toContain(`${s.name}: no differential backup in this cycle`);
        expect(r.stdout).toContain(`${s.name}: still suspended (run \`to tran resume --server ${s.name}\`)`);
        expect(s.state.backupMode).toBe('off');
      }
      // The aborted cycle no longer holds the resume to steps 2-3; the cycle ends when the service is back.
      ok(await cmd(emu, 'to tran resume'), 'resume after abort');
      const status = (await api(emu, 'GET', '/api/status')).body;
      expect(status.procedure.cycle.current).toBeNull();
      expect(status.procedure.cycle.last).toMatchObject({ outcome: 'aborted' });
      expect(status.procedure.next.step).toBe(1);
    }, 60_000);

    it('the documented order passes in strict mode without a warning, step by step as `next` says', async () => {
      const emu = await site(topology);
      const dest = `${emu.dataDir}/bk`;
      for (let i = 0; i < 40; i++) {
        const { next, cycle } = (await api(emu, 'GET', '/api/status')).body.procedure;
        if (!next || (i > 0 && !cycle.current)) break; // the cycle completed: the next one would start
        const r = next.name === 'backup'
          ? await api(emu, 'POST', '/api/backups?wait=true', { level: 0, dest, server: next.server })
          : await cmd(emu, next.name, next.server);
        ok(r, next.command);
        expect(warned(r)).toEqual([]);
      }
      const status = (await api(emu, 'GET', '/api/status')).body;
      expect(status.procedure.cycle.last).toMatchObject({ outcome: 'completed' });
      expect(status.servers.every((s: { backupMode: string; service: string }) => s.backupMode === 'off' && s.service === 'available')).toBe(true);
    }, 60_000);
  });
}

describe('the backup cycle survives a restart', () => {
  it('a backup taken before tobkweb arc (lenient) still blocks tobkweb rm in strict mode after the site restarts', async () => {
    const dir = tempDir();
    dirs.push(dir);
    let emu = await site('single', { dataDir: dir.path });
    ok(await cmd(emu, 'to tran suspend'), 'suspend');
    ok(await cmd(emu, 'to backup on'), 'backup on');
    ok(await backup(emu, 'all', { lenient: true }), 'backup');
    ok(await cmd(emu, 'tobkweb arc'), 'arc');
    ok(await cmd(emu, 'to tran resume'), 'resume');
    await open.pop()!.stop();
    emu = await site('single', { dataDir: dir.path });
    const r = await cmd(emu, 'tobkweb rm');
    expect(r.status).toBe(409);
    expect(r.body.rule).toBe('backup-before-rm');
    expect(r.body.message).toContain('holds no web-service archive');
    expect((await cmd(emu, 'to tran suspend')).body.rule).toBe('cycle-in-progress');
  }, 60_000);
});

describe('a server without the web service (19.3.1: "Webサービスがインストールされている場合")', () => {
  it('has no web or AME endpoint, skips steps 3 and 6, and the documented order passes without them', async () => {
    const emu = await startTestSite({ topology: 'multi', appServers: 2, demo: false, servers: { twap02: { web: false } } });
    open.push(emu);
    const ep = emu.endpoints.servers.find((s) => s.name === 'twap02')!;
    expect(ep.web).toBeUndefined();
    expect(ep.ame).toBeUndefined();
    expect(ep.pop3).toBeGreaterThan(0);
    expect(emu.endpoints.servers.find((s) => s.name === 'twap01')!.web).toMatch(/^http:/);
    ok(await cmd(emu, 'to tran suspend'), 'suspend');
    ok(await cmd(emu, 'to backup on'), 'backup on');
    const arc = await cmd(emu, 'tobkweb arc', 'twap02');
    expect(arc.status).toBe(409);
    expect(arc.body).toMatchObject({ error: 'E_NO_WEB_SERVICE', rule: 'no-web-service' });
    // `--server all` archives the servers with the web service, in the documented order.
    const all = await cmd(emu, 'tobkweb arc');
    ok(all, 'arc all');
    expect(all.body.results.map((r: { server: string }) => r.server)).toEqual(['twap01', 'twdir01']);
    // Step 4 does not wait for an archive twap02 cannot make; the checklist says steps 3 and 6 do not apply to it.
    const state = (await api(emu, 'GET', '/console/state')).body;
    const steps = state.servers.find((s: { name: string }) => s.name === 'twap02').checklist.steps;
    expect(steps.filter((x: { applies: boolean }) => !x.applies).map((x: { step: number }) => x.step)).toEqual([3, 6]);
    for (let i = 0; i < 30; i++) {
      const { next, cycle } = (await api(emu, 'GET', '/api/status')).body.procedure;
      if (!next || !cycle.current) break;
      expect(next.server === 'twap02' && [3, 6].includes(next.step)).toBe(false);
      const r = next.name === 'backup' ? await backup(emu, next.server) : await cmd(emu, next.name, next.server);
      ok(r, next.command);
      expect(warned(r)).toEqual([]);
    }
    expect((await api(emu, 'GET', '/api/status')).body.procedure.cycle.last).toMatchObject({ outcome: 'completed' });
  }, 60_000);

  it('a server name the site does not have is one clear config error', async () => {
    const r = await runCli(['serve', '--data', tempDirPath(), '--port-base', '0', '--config', writeConfig({ servers: { twap09: { web: false } } })]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('servers.twap09: the site has no server named twap09');
  }, 30_000);
});
