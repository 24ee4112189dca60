// SearchPro through the control API and the CLI: an index build with progress
// events, the online backup's start (step 1, `to tran suspend` of the gateway
// server) refused while it runs (searchpro.backup-blocked), and
// a build in flight failing under suspension with 096116 (searchpro.index-error).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, runCli, startTestSite } from '../../helpers.js';
import type { Emulator, TwEvent } from '../../../emulator/index.js';
import { command, eventsSince, firedSince, lastSeq, setPolicy, waitForEvents } from './util.js';

const ERROR_096116 = '096116 An internal error occurred in the SearchPro service';
const log = (operation: string) => (e: TwEvent) => e.type === 'gateway-log' && e.client === 'SearchPro' && e.operation === operation;

describe('SearchPro index builds', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ services: { searchpro: { tickMs: 10, durationMs: 100 } } });
  });
  afterAll(async () => {
    await emu?.stop();
  });
  beforeEach(async () => {
    expect((await api(emu, 'POST', '/api/catalog/reset', {})).status).toBe(200);
  });
  afterEach(async () => {
    if (emu.site.servers[0]!.suspended) await command(emu, 'to tran resume');
  });

  it('builds the library index with progress events; search finds the documents', async () => {
    const since = await lastSeq(emu);
    const r = await api(emu, 'POST', '/api/searchpro/index', {});
    expect(r.body).toMatchObject({ ok: true, logged: ['SearchPro: index build started (2 document(s))'], searchpro: { state: 'indexing', indexing: true } });
    expect((await api(emu, 'POST', '/api/searchpro/index', {})).status).toBe(409);
    const done = await waitForEvents(emu, since, log('index-complete'), 1);
    expect(done[0]!.message).toBe('SearchPro: index build completed (2 document(s))');
    const progress = (await eventsSince(emu, since, 'gateway-log')).filter(log('index-progress')).map((e) => e.data!.progress as number);
    expect(progress.length).toBe(10);
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect((await api(emu, 'GET', '/api/searchpro')).body).toMatchObject({ server: 'twsv01', state: 'completed', indexing: false, indexedDocuments: 2, lastBuild: { result: 'completed' } });
    expect((await api(emu, 'GET', `/api/searchpro/search?q=${encodeURIComponent('マニュアル')}`)).body).toMatchObject({ indexed: true, hits: [{ title: '業務マニュアル' }] });
    expect((await api(emu, 'GET', '/api/searchpro/search?q=')).status).toBe(400);
    expect((await api(emu, 'POST', '/api/searchpro/index', { durationMs: -1 })).status).toBe(400);
    expect((await api(emu, 'POST', '/api/searchpro/index', { speed: 1 })).status).toBe(400);
  });

  it('[behaviour:searchpro.index-error] a build in flight when the server is suspended fails with 096116 and must be started again', async () => {
    const since = await lastSeq(emu);
    expect((await api(emu, 'POST', '/api/searchpro/index', { durationMs: 60_000 })).body).toMatchObject({ ok: true });
    await waitForEvents(emu, since, log('index-progress'), 2);
    // The online backup may start during a build only where searchpro.backup-blocked lets it (policy never).
    await setPolicy(emu, 'searchpro.backup-blocked', { mode: 'never' });
    await command(emu, 'to tran suspend');
    const failed = await waitForEvents(emu, since, log('index-error'), 1);
    expect(failed[0]).toMatchObject({ message: ERROR_096116, server: 'twsv01', data: { text: 'seed', behaviour: 'searchpro.index-error' } });
    expect(await firedSince(emu, since, 'searchpro.index-error')).toMatchObject([{ messages: [ERROR_096116] }]);
    const status = (await api(emu, 'GET', '/api/searchpro')).body;
    expect(status).toMatchObject({ state: 'failed', indexing: false, lastError: ERROR_096116, lastBuild: { result: 'failed' } });
    expect(status.progress).toBeLessThan(100);
    // Started again while still suspended: it fails again at its first step.
    const again = await lastSeq(emu);
    await api(emu, 'POST', '/api/searchpro/index', { durationMs: 60_000 });
    await waitForEvents(emu, again, log('index-error'), 1);
    // After the resume, the build has to be started again, and then completes.
    await command(emu, 'to tran resume');
    const redo = await lastSeq(emu);
    expect((await api(emu, 'POST', '/api/searchpro/index', { durationMs: 50 })).body).toMatchObject({ ok: true });
    await waitForEvents(emu, redo, log('index-complete'), 1);
    expect((await api(emu, 'GET', '/api/searchpro')).body).toMatchObject({ state: 'completed' });
    // Policy never: a build survives the suspension.
    await setPolicy(emu, 'searchpro.index-error', { mode: 'never' });
    await setPolicy(emu, 'searchpro.backup-blocked', { mode: 'never' });
    const quiet = await lastSeq(emu);
    await api(emu, 'POST', '/api/searchpro/index', { durationMs: 200 });
    await command(emu, 'to tran suspend');
    await waitForEvents(emu, quiet, log('index-complete'), 1);
    expect((await eventsSince(emu, quiet, 'gateway-log')).filter(log('index-error'))).toEqual([]);
    expect((await firedSince(emu, quiet, 'searchpro.index-error', 'behaviour-suppressed')).length).toBeGreaterThan(0);
  });
});

describe('SearchPro and the start of the online backup', () => {
  let emu: Emulator;
  afterEach(async () => {
    await emu?.stop();
  });

  for (const topology of ['single', 'multi'] as const) {
    it(`[behaviour:searchpro.backup-blocked] ${topology}: while an index build runs, step 1 (\`to tran suspend\` of the gateway server) is refused (API and CLI); policy never: it goes ahead`, async () => {
      // Long steps: the build is still in flight when the procedure starts.
      emu = await startTestSite({ topology, services: { searchpro: { tickMs: 60_000, durationMs: 600_000 } } });
      const gw = emu.site.gatewayServer.name;
      expect((await api(emu, 'POST', '/api/searchpro/index', {})).body).toMatchObject({ ok: true, searchpro: { indexing: true } });
      const status = JSON.parse((await runCli(['status', '--json', '--data', emu.dataDir])).stdout) as { servers: Array<Record<string, any>> };
      expect(status.servers.find((s) => s.name === gw)!.searchpro).toMatchObject({ state: 'indexing', indexing: true, progress: 0 });
      const since = await lastSeq(emu);
      // In the documented order: `to tran suspend` on every server (application servers first).
      const refused = await api(emu, 'POST', '/api/commands', { command: 'to tran suspend' });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: 'E_SEARCHPRO_INDEXING', rule: 'searchpro-indexing' });
      expect(refused.body.message).toContain(`${gw}: the online backup cannot start while SearchPro is building an index on it`);
      expect(await firedSince(emu, since, 'searchpro.backup-blocked')).toHaveLength(1);
      expect(emu.site.gatewayServer.suspended).toBe(false);
      expect(emu.site.directoryServer.suspended).toBe(false);
      const cli = await runCli(['to', 'tran', 'suspend', '--server', gw, '--data', emu.dataDir]);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/^twemu: .*SearchPro is building an index.*; wait until the index build has finished/m);
      expect(emu.site.gatewayServer.suspended).toBe(false);
      await setPolicy(emu, 'searchpro.backup-blocked', { mode: 'never' });
      const go = await api(emu, 'POST', '/api/commands', { command: 'to tran suspend' });
      expect(go.status, JSON.stringify(go.body)).toBe(200);
      expect(emu.site.servers.every((s) => s.suspended)).toBe(true);
      expect(await firedSince(emu, since, 'searchpro.backup-blocked', 'behaviour-suppressed')).toHaveLength(1);
      expect((await api(emu, 'POST', '/api/commands', { command: 'to backup on' })).status).toBe(200);
    }, 60_000);
  }
});
