// The X.400 and Fax gateways through the control API: restart loops started by
// a suspension and stopped by the resume (restart events counted over bounded
// waits, small configured intervals), the non-delivery notice in the sender's
// INBOX (IMAP), the exact fax.* lines, and fax.receive following the directory
// server (not the gateway's own) on a site with two application servers.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { api, runCli, sseEvents, startTestSite, tempDir } from '../../helpers.js';
import type { Emulator, TwEvent } from '../../../emulator/index.js';
import { command, eventsSince, firedSince, imap, lastSeq, pop3Stat, setPolicy, waitForEvents } from './util.js';

const INTERVAL = 20;
const gatewayLog = (operation: string, client?: string) => (e: TwEvent) => e.type === 'gateway-log' && e.operation === operation && (!client || e.client === client);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function inboxSubjects(emu: Emulator, user: string): Promise<string[]> {
  const c = await imap(emu, user);
  try {
    await c.mailboxOpen('INBOX');
    const out: string[] = [];
    for await (const m of c.fetch('1:*', { envelope: true })) out.push(m.envelope?.subject ?? '');
    return out;
  } finally {
    await c.logout();
  }
}

describe('X.400 and Fax gateways on a single-server site', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ services: { x400: { restartIntervalMs: INTERVAL }, fax: { retryIntervalMs: INTERVAL }, pop3: { failedLoginDelayMs: 0 } } });
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

  it('are visible in the status (control API and `twemu status`) on the gateway server', async () => {
    const r = await api(emu, 'GET', '/api/gateways');
    expect(r.body).toMatchObject({ server: 'twsv01', x400: { state: 'running' }, fax: { state: 'running', directoryName: 'twsv01' } });
    const cli = await runCli(['status', '--json', '--data', emu.dataDir]);
    expect(cli.code, cli.stderr).toBe(0);
    const status = JSON.parse(cli.stdout) as { servers: Array<Record<string, any>> };
    expect(status.servers[0]).toMatchObject({ name: 'twsv01', x400: { state: 'running' }, fax: { state: 'running' }, searchpro: { state: 'idle', indexing: false } });
    const text = await runCli(['status', '--data', emu.dataDir]);
    expect(text.stdout).toMatch(/x400=running fax=running heldDeliveries=0 searchpro=idle/);
  });

  it('[behaviour:x400.reload] suspended: an error is logged and the gateway restarts again and again until the resume', async () => {
    expect((await api(emu, 'POST', '/api/gateways/x400/reload')).body).toEqual({ ok: true, logged: ['X.400 gateway: environment reloaded'], state: 'running' });
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    const sse = await sseEvents(emu);
    const r = await api(emu, 'POST', '/api/gateways/x400/reload');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: false, behaviour: 'x400.reload', state: 'restarting',
      logged: ['X.400 gateway: reloading the environment failed: the TeamWARE Office service is suspended'] });
    expect(await firedSince(emu, since, 'x400.reload')).toHaveLength(1);
    // The live stream (a real SSE client) carries the behaviour and the restart lines too.
    try {
      expect(await sse.behaviour('x400.reload')).toMatchObject({ server: 'twsv01', operation: 'reload', client: 'X.400 gateway' });
      expect((await sse.waitFor((e) => e.type === 'gateway-log' && e.operation === 'restart')).message).toMatch(/^X\.400 gateway: restart \d+ failed/);
    } finally {
      sse.close();
    }
    // A restart every INTERVAL ms while suspended: wait (bounded) for three of them.
    const restarts = await waitForEvents(emu, since, gatewayLog('restart'), 3);
    expect(restarts[0]).toMatchObject({ server: 'twsv01', client: 'X.400 gateway', data: { gateway: 'x400', text: 'emulator default', cause: 'x400.reload' } });
    expect(restarts[0]!.message).toMatch(/^X\.400 gateway: restart \d+ failed: the TeamWARE Office service is suspended$/);
    const cli = JSON.parse((await runCli(['status', '--json', '--data', emu.dataDir])).stdout) as { servers: Array<Record<string, any>> };
    expect(cli.servers[0]!.x400.state).toBe('restarting');
    expect(cli.servers[0]!.x400.restarts).toBeGreaterThanOrEqual(3);
    await command(emu, 'to tran resume');
    const resumed = await lastSeq(emu);
    const started = await waitForEvents(emu, since, gatewayLog('started'), 1);
    expect(started[0]!.message).toMatch(/^X\.400 gateway: started after \d+ failed restart\(s\)$/);
    // The loop has stopped: over ten more intervals no restart comes.
    await sleep(INTERVAL * 10);
    expect((await eventsSince(emu, Math.max(resumed, started[0]!.seq), 'gateway-log')).filter(gatewayLog('restart'))).toEqual([]);
    expect((await api(emu, 'GET', '/api/gateways')).body.x400.state).toBe('running');
    // Policy never: the reload succeeds while suspended, no loop.
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'x400.reload', { mode: 'never' });
    const quiet = await lastSeq(emu);
    expect((await api(emu, 'POST', '/api/gateways/x400/reload')).body).toMatchObject({ ok: true, state: 'running' });
    await sleep(INTERVAL * 5);
    expect((await eventsSince(emu, quiet, 'gateway-log')).filter(gatewayLog('restart'))).toEqual([]);
  });

  it('[behaviour:x400.change-details] suspended: the gateway restarts until the resume; the new details apply when it starts', async () => {
    expect((await api(emu, 'POST', '/api/gateways/x400/change-details', { details: { mta: 'MTA01' } })).body).toMatchObject({ ok: true, details: { mta: 'MTA01' } });
    expect((await api(emu, 'POST', '/api/gateways/x400/change-details', { details: 'mta' })).status).toBe(400);
    expect((await api(emu, 'POST', '/api/gateways/x400/change-details', {})).status).toBe(400);
    expect((await api(emu, 'POST', '/api/gateways/x400/change-details', { details: { '': 'x' } })).status).toBe(400);
    // At most 50 detail names in all: new names call after call do not grow them without end.
    const batch = (n: number) => Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${n}-${i}`, 'v']));
    expect((await api(emu, 'POST', '/api/gateways/x400/change-details', { details: batch(1) })).status).toBe(200);
    const tooMany = await api(emu, 'POST', '/api/gateways/x400/change-details', { details: batch(2) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/at most 50 detail names/);
    expect(Object.keys((await api(emu, 'POST', '/api/gateways/x400/change-details', { details: { mta: 'MTA01' } })).body.details)).toHaveLength(26);
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    const r = await api(emu, 'POST', '/api/gateways/x400/change-details', { details: { mta: 'MTA02' } });
    expect(r.body).toMatchObject({ ok: false, behaviour: 'x400.change-details', state: 'restarting', details: { mta: 'MTA01' }, pendingDetails: { mta: 'MTA02' } });
    expect(await firedSince(emu, since, 'x400.change-details')).toHaveLength(1);
    expect((await waitForEvents(emu, since, gatewayLog('restart'), 3)).length).toBeGreaterThanOrEqual(3);
    expect((await api(emu, 'GET', '/api/gateways')).body.x400).toMatchObject({ state: 'restarting', detailsPending: true });
    await command(emu, 'to tran resume');
    const started = (await waitForEvents(emu, since, gatewayLog('started'), 1))[0]!;
    await sleep(INTERVAL * 10);
    expect((await eventsSince(emu, started.seq, 'gateway-log')).filter(gatewayLog('restart'))).toEqual([]);
    const g = (await api(emu, 'GET', '/api/gateways')).body.x400;
    expect(g.state).toBe('running');
    expect(g.detailsPending).toBeUndefined();
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'x400.change-details', { mode: 'never' });
    expect((await api(emu, 'POST', '/api/gateways/x400/change-details', { details: { mta: 'MTA03' } })).body).toMatchObject({ ok: true, details: { mta: 'MTA03' } });
    // A change that goes through while a loop still holds an earlier pending change: the later one wins.
    await setPolicy(emu, 'x400.change-details', { mode: 'always' });
    expect((await api(emu, 'POST', '/api/gateways/x400/change-details', { details: { mta: 'MTA04' } })).body).toMatchObject({ ok: false, pendingDetails: { mta: 'MTA04' } });
    await setPolicy(emu, 'x400.change-details', { mode: 'never' });
    expect((await api(emu, 'POST', '/api/gateways/x400/change-details', { details: { mta: 'MTA05' } })).body).toMatchObject({ ok: true, state: 'running', details: { mta: 'MTA05' } });
    expect((await api(emu, 'GET', '/api/gateways')).body.x400).toMatchObject({ state: 'running' });
  });

  it('[behaviour:x400.receive] suspended: an error is logged and the sender finds a non-delivery notice in INBOX (IMAP); after the resume, delivered', async () => {
    const aliceBefore = (await inboxSubjects(emu, 'alice')).length;
    const bobBefore = (await inboxSubjects(emu, 'bob')).length;
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob', to: 'alice', subject: 'before', body: 'x' })).body)
      .toMatchObject({ ok: true, logged: ['X.400 gateway: message from bob delivered to alice'], delivered: { user: 'alice' } });
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    const r = await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob@teamware.example', to: 'alice', subject: '見積書', body: 'please see' });
    // The notice is for bob, whose server is suspended too: held until the resume (gateways.delivery-held).
    expect(r.body).toMatchObject({ ok: false, behaviour: 'x400.receive', nonDeliveryNotice: { held: { user: 'bob', server: 'twsv01' } } });
    expect(r.body.logged).toEqual(['X.400 gateway: message from bob@teamware.example to alice could not be delivered: the TeamWARE Office service is suspended; non-delivery notice sent to the sender',
      'X.400 gateway: non-delivery notice for bob held: twsv01 is suspended; delivered when it is resumed']);
    // A sender outside the site: the notice goes back over X.400.
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'C=JP;O=Other;S=Sato', to: 'alice' })).body)
      .toMatchObject({ ok: false, nonDeliveryNotice: { returnedTo: 'C=JP;O=Other;S=Sato', via: 'x400' } });
    expect(await firedSince(emu, since, 'x400.receive')).toHaveLength(2);
    expect((await eventsSince(emu, since, 'gateway-log')).filter(gatewayLog('receive-error'))).toHaveLength(2);
    await command(emu, 'to tran resume');
    // The sender's INBOX holds the notice; the recipient got nothing while suspended.
    const bob = await inboxSubjects(emu, 'bob');
    expect(bob).toHaveLength(bobBefore + 1);
    expect(bob.at(-1)).toBe('Non-delivery notice: 見積書');
    expect(await inboxSubjects(emu, 'alice')).toHaveLength(aliceBefore + 1);
    // After the resume, inbound messages are delivered normally.
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob', to: 'alice', subject: 'after' })).body).toMatchObject({ ok: true });
    expect((await inboxSubjects(emu, 'alice')).at(-1)).toBe('after');
    // A sender outside the site by X.400 O/R address: shown as the display name of the gateway's address.
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'C=JP;O=Other;S=Sato', to: 'alice', subject: 'or-address' })).body).toMatchObject({ ok: true });
    const c = await imap(emu, 'alice');
    try {
      await c.mailboxOpen('INBOX');
      const last = await c.fetchOne('*', { envelope: true });
      expect(last && last.envelope?.from?.[0]).toMatchObject({ name: 'C=JP;O=Other;S=Sato', address: 'x400-gateway@teamware.example' });
    } finally {
      await c.logout();
    }
    // Policy never: delivered while suspended.
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'x400.receive', { mode: 'never' });
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob', to: 'alice', subject: 'never' })).body).toMatchObject({ ok: true });
    await command(emu, 'to tran resume');
    expect((await inboxSubjects(emu, 'alice')).at(-1)).toBe('never');
    // Bad input: 4xx, and the gateway keeps serving.
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob', to: 'nobody' })).status).toBe(404);
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob\r\nBcc: x', to: 'alice' })).status).toBe(400);
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { to: 'alice' })).status).toBe(400);
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob', to: 'alice' }, { token: null })).status).toBe(401);
  });

  it('[behaviour:fax.reload] suspended: Startup: Failed to get the service object from directory is logged', async () => {
    expect((await api(emu, 'POST', '/api/gateways/fax/reload')).body).toEqual({ ok: true, logged: ['FAXGW-J: environment reloaded'], state: 'running' });
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    expect((await api(emu, 'POST', '/api/gateways/fax/reload')).body)
      .toEqual({ ok: false, behaviour: 'fax.reload', logged: ['Startup: Failed to get the service object from directory'], state: 'startup-failed' });
    const logs = (await eventsSince(emu, since, 'gateway-log')).filter(gatewayLog('reload-error'));
    expect(logs).toMatchObject([{ message: 'Startup: Failed to get the service object from directory', client: 'Fax gateway', data: { text: 'seed' } }]);
    expect(await firedSince(emu, since, 'fax.reload')).toMatchObject([{ messages: ['Startup: Failed to get the service object from directory'] }]);
    await setPolicy(emu, 'fax.reload', { mode: 'never' });
    expect((await api(emu, 'POST', '/api/gateways/fax/reload')).body).toMatchObject({ ok: true, state: 'running' });
  });

  it('[behaviour:fax.report] suspended: Fetching INTERNET recipient " ユーザ名" from the Directoryfailed. with the user\'s name (derived)', async () => {
    expect((await api(emu, 'POST', '/api/gateways/fax/report', { user: 'alice' })).body)
      .toMatchObject({ ok: true, logged: ['FAXGW-J: report issued for recipient "alice"'], delivered: { user: 'alice' } });
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    const r = await api(emu, 'POST', '/api/gateways/fax/report', { user: 'alice' });
    expect(r.body).toEqual({ ok: false, behaviour: 'fax.report', logged: ['Fetching INTERNET recipient " alice" from the Directoryfailed. '] });
    expect((await eventsSince(emu, since, 'gateway-log')).map((e) => e.message)).toContain('Fetching INTERNET recipient " alice" from the Directoryfailed. ');
    expect(await firedSince(emu, since, 'fax.report')).toMatchObject([{ messages: ['Fetching INTERNET recipient " alice" from the Directoryfailed. '] }]);
    expect((await api(emu, 'POST', '/api/gateways/fax/report', { user: 'a"b' })).status).toBe(400);
    await setPolicy(emu, 'fax.report', { mode: 'never' });
    expect((await api(emu, 'POST', '/api/gateways/fax/report', { user: 'bob' })).body).toMatchObject({ ok: true });
  });

  it('[behaviour:fax.receive] single server: logged again and again (with the directory server\'s name) until the resume, then delivered (POP3)', async () => {
    const before = Number((await pop3Stat(emu, 'bob')).split(' ')[0]);
    await command(emu, 'to tran suspend');
    const since = await lastSeq(emu);
    const r = await api(emu, 'POST', '/api/gateways/fax/receive', { from: '+81-3-1234-5678', to: 'bob', pages: 2 });
    const line = 'FAXGW-J: 22605 No delivery-user(faxmastor) has been registered on the Directory(twsv01) ';
    expect(r.body).toMatchObject({ ok: false, behaviour: 'fax.receive', logged: [line], queued: true, directoryServer: 'twsv01' });
    const logs = await waitForEvents(emu, since, gatewayLog('receive-error'), 3);
    expect(logs.length).toBeGreaterThanOrEqual(3);
    expect(new Set(logs.map((e) => e.message))).toEqual(new Set([line]));
    expect((await api(emu, 'GET', '/api/gateways')).body.fax.pending).toBe(1);
    await command(emu, 'to tran resume');
    const delivered = await waitForEvents(emu, since, gatewayLog('receive', 'Fax gateway'), 1);
    expect(delivered[0]!.message).toBe('FAXGW-J: fax from +81-3-1234-5678 delivered to bob');
    const after = await lastSeq(emu);
    await sleep(INTERVAL * 5);
    expect((await eventsSince(emu, after, 'gateway-log')).filter(gatewayLog('receive-error'))).toEqual([]);
    expect((await api(emu, 'GET', '/api/gateways')).body.fax.pending).toBe(0);
    expect(Number((await pop3Stat(emu, 'bob')).split(' ')[0])).toBe(before + 1);
    await command(emu, 'to tran suspend');
    await setPolicy(emu, 'fax.receive', { mode: 'never' });
    expect((await api(emu, 'POST', '/api/gateways/fax/receive', { from: '03-0000', to: 'bob' })).body).toMatchObject({ ok: true });
    expect((await api(emu, 'POST', '/api/gateways/fax/receive', { from: '03-0000', to: 'bob', pages: 0 })).status).toBe(400);
  });
});

describe('fax.receive on a site with two application servers', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ topology: 'multi', appServers: 2, services: { x400: { restartIntervalMs: INTERVAL }, fax: { retryIntervalMs: INTERVAL, directoryName: 'YESISU01' } } });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('[behaviour:fax.receive] depends on the directory server\'s suspension, not the gateway server\'s; the name is the configured one; [behaviour:gateways.delivery-held] deliveries to a suspended server wait for its resume', async () => {
    expect(emu.site.gatewayServer.name).toBe('twap01');
    const since = await lastSeq(emu);
    // Only the gateway's own server suspended: the fax goes through; X.400 (which follows its own server) does not.
    await command(emu, 'to tran suspend', 'twap01');
    expect((await api(emu, 'POST', '/api/gateways/fax/receive', { from: '0120-1', to: 'alice' })).body).toMatchObject({ ok: true });
    expect((await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob', to: 'alice' })).body).toMatchObject({ ok: false, behaviour: 'x400.receive' });
    expect(await firedSince(emu, since, 'fax.receive')).toEqual([]);
    // The directory server suspended, the gateway's server available again (lenient: out of the documented order).
    await command(emu, 'to tran suspend', 'twap02');
    await command(emu, 'to tran suspend', 'twdir01');
    await command(emu, 'to tran resume', 'twap01', true);
    const mid = await lastSeq(emu);
    const r = await api(emu, 'POST', '/api/gateways/fax/receive', { from: '0120-2', to: 'alice', pages: 3 });
    const line = 'FAXGW-J: 22605 No delivery-user(faxmastor) has been registered on the Directory(YESISU01) ';
    expect(r.body).toMatchObject({ ok: false, behaviour: 'fax.receive', logged: [line], directoryServer: 'twdir01' });
    const fired = await waitForEvents(emu, mid, (e) => e.type === 'behaviour' && e.behaviour === 'fax.receive', 3);
    expect(fired[0]).toMatchObject({ server: 'twap01', messages: [line] });
    // alice lives on twap02, still suspended: the gateways hold what is for her until it is resumed (gateways.delivery-held).
    expect(emu.site.homeServer('alice').name).toBe('twap02');
    const x400 = (await api(emu, 'POST', '/api/gateways/x400/receive', { from: 'bob', to: 'alice', subject: 'held x400' })).body;
    expect(x400).toMatchObject({ ok: true, held: { user: 'alice', server: 'twap02' }, logged: ['X.400 gateway: X.400 message for alice held: twap02 is suspended; delivered when it is resumed'] });
    await command(emu, 'to tran resume', 'twdir01');
    const held = await waitForEvents(emu, mid, gatewayLog('delivery-held', 'Fax gateway'), 1);
    expect(held[0]!.message).toBe('FAXGW-J: fax for alice held: twap02 is suspended; delivered when it is resumed');
    expect((await api(emu, 'GET', '/api/gateways')).body.heldDeliveries).toMatchObject({ state: 2, deliveries: [{ what: 'X.400 message', user: 'alice', server: 'twap02' }, { what: 'fax', user: 'alice', server: 'twap02' }] });
    await command(emu, 'to tran resume', 'twap02');
    const released = await waitForEvents(emu, mid, (e) => e.type === 'gateway-log' && e.operation === 'delivery-released', 2);
    expect(released.map((e) => e.message).sort()).toEqual(['FAXGW-J: held fax for alice delivered after twap02 was resumed', 'X.400 gateway: held X.400 message for alice delivered after twap02 was resumed']);
    const subjects = await inboxSubjects(emu, 'alice');
    expect(subjects).toContain('FAX from 0120-2 (3 page(s))');
    expect(subjects).toContain('FAX from 0120-1 (1 page(s))');
    expect(subjects).toContain('held x400');
  });
});

describe('the gateway server is the configured one', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ topology: 'multi', appServers: 2, gatewayServer: 'twap02', services: { x400: { restartIntervalMs: INTERVAL } } });
  });
  afterAll(async () => {
    await emu?.stop();
  });

  it('[behaviour:x400.reload] runs on twap02 (config gatewayServer): its suspension counts, not twap01\'s', async () => {
    const status = (await api(emu, 'GET', '/api/status')).body as { servers: Array<Record<string, any>> };
    expect(status.servers.filter((s) => s.x400).map((s) => s.name)).toEqual(['twap02']);
    expect(status.servers.find((s) => s.name === 'twap02')!.searchpro).toMatchObject({ state: 'idle' });
    expect((await api(emu, 'GET', '/api/gateways')).body.server).toBe('twap02');
    await command(emu, 'to tran suspend', 'twap01');
    expect((await api(emu, 'POST', '/api/gateways/x400/reload')).body).toMatchObject({ ok: true });
    await command(emu, 'to tran suspend', 'twap02');
    const since = await lastSeq(emu);
    expect((await api(emu, 'POST', '/api/gateways/x400/reload')).body).toMatchObject({ ok: false, behaviour: 'x400.reload' });
    expect((await waitForEvents(emu, since, gatewayLog('restart'), 2))[0]).toMatchObject({ server: 'twap02' });
    await command(emu, 'to tran resume', 'twap02');
    await waitForEvents(emu, since, gatewayLog('started'), 1);
    await command(emu, 'to tran resume', 'twap01');
  });
});

describe('the gateways across a restart of the site', () => {
  const dir = tempDir('twemu-gw-restart-');
  let emu: Emulator | null = null;
  afterAll(async () => {
    await emu?.stop();
    dir.remove();
  });

  it('[behaviour:x400.change-details] a restart while suspended keeps looping, keeps the queued fax and the pending details; the resume ends both', async () => {
    const options = { dataDir: dir.path, services: { x400: { restartIntervalMs: INTERVAL }, fax: { retryIntervalMs: INTERVAL } } };
    emu = await startTestSite(options);
    await command(emu, 'to tran suspend');
    expect((await api(emu, 'POST', '/api/gateways/x400/change-details', { details: { mta: 'MTA09' } })).body).toMatchObject({ ok: false, behaviour: 'x400.change-details' });
    expect((await api(emu, 'POST', '/api/gateways/fax/receive', { from: '03-9', to: 'bob' })).body).toMatchObject({ ok: false, queued: true });
    await emu.stop();
    emu = await startTestSite(options);
    const since = 0;
    expect((await api(emu, 'GET', '/api/gateways')).body).toMatchObject({ x400: { state: 'restarting', detailsPending: true }, fax: { pending: 1 } });
    await waitForEvents(emu, since, gatewayLog('restart'), 2);
    await waitForEvents(emu, since, gatewayLog('receive-error', 'Fax gateway'), 2);
    await command(emu, 'to tran resume');
    await waitForEvents(emu, since, gatewayLog('started'), 1);
    await waitForEvents(emu, since, gatewayLog('receive', 'Fax gateway'), 1);
    expect((await api(emu, 'GET', '/api/gateways')).body).toMatchObject({ x400: { state: 'running' }, fax: { pending: 0 } });
    expect((await api(emu, 'POST', '/api/gateways/x400/change-details', { details: { other: 'x' } })).body.details).toEqual({ mta: 'MTA09', other: 'x' });
  });
});

describe('gateway and SearchPro options', () => {
  it('a bad interval in the config is one clear error at start, not a crash later', async () => {
    await expect(startTestSite({ services: { x400: { restartIntervalMs: 'fast' } } })).rejects.toThrow('services.x400.restartIntervalMs must be an integer from 5 to 600000, not "fast"');
    await expect(startTestSite({ services: { fax: { retryIntervalMs: 0 } } })).rejects.toThrow(/services\.fax\.retryIntervalMs/);
    await expect(startTestSite({ services: { fax: { directoryName: 'a\nb' } } })).rejects.toThrow(/services\.fax\.directoryName/);
    await expect(startTestSite({ services: { searchpro: { tickMs: -1 } } })).rejects.toThrow(/services\.searchpro\.tickMs/);
  });
});
