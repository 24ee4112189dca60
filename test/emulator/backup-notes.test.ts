import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, runCli, startTestSite } from '../helpers.js';
import { client } from './services/util.js';
import type { Emulator } from '../../emulator/index.js';

// The seed's notes on the online backup (19.3.1) beyond the catalog:
// "オンラインバックアップ中はユーザ管理情報の操作は行わないでください" (a warning event) and
// "バックアップ作業中も…クライアントの利用は必要最低限としてください" (client activity in the status).

const NOTE = 'オンラインバックアップ中はユーザ管理情報の操作は行わないでください。';
const events = async (emu: Emulator) => (await api(emu, 'GET', '/api/events?format=json')).body.events as Array<Record<string, any>>;
const cmd = async (emu: Emulator, command: string) => {
  const r = await api(emu, 'POST', '/api/commands', { command });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};

describe('user management during the backup cycle', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestSite({ topology: 'multi', appServers: 2 });
  });
  afterAll(async () => emu?.stop());

  it('outside a cycle, a Directory operation raises no warning; during the cycle (even before the suspension reaches the directory server) it does, naming the seed\'s note', async () => {
    expect((await client(emu, 'ADMIN', 'directory/account-update', { name: 'bob', displayName: 'Bob 1' })).status).toBe(200);
    expect((await events(emu)).filter((e) => e.rule === 'no-user-management-during-backup')).toEqual([]);
    // The cycle starts with the first `to tran suspend` (an application server): the directory still answers normally...
    const r = await api(emu, 'POST', '/api/commands', { command: 'to tran suspend', server: 'twap01' });
    expect(r.status).toBe(200);
    const update = await client(emu, 'ADMIN', 'directory/account-update', { name: 'bob', displayName: 'Bob 2' });
    expect(update.status).toBe(200);
    expect(update.body).toMatchObject({ ok: true });
    // ...and the operation is on the stream as a warning naming the note.
    const warning = (await events(emu)).filter((e) => e.type === 'warning' && e.rule === 'no-user-management-during-backup');
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatchObject({ server: 'twdir01', user: 'ADMIN', operation: 'directory/account-update', data: { note: NOTE, source: 'seed' } });
    expect(warning[0]!.message).toContain(`「${NOTE}」`);
    // Once the directory server is suspended the catalog's behaviour answers, and the warning is still raised.
    await cmd(emu, 'to tran suspend');
    const busy = await client(emu, 'ADMIN', 'directory/account-update', { name: 'bob', displayName: 'Bob 3' });
    expect(busy.body).toMatchObject({ ok: false, behaviours: expect.arrayContaining(['directory.busy']) });
    expect((await events(emu)).filter((e) => e.rule === 'no-user-management-during-backup')).toHaveLength(2);
    await cmd(emu, 'to tran resume');
  });
});

describe('client activity during the backup cycle', () => {
  let emu: Emulator;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    emu = await startTestSite();
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await emu?.stop();
  });

  it('the status (API, `twemu status`) and the console show the sessions open and the writes into the staging area', async () => {
    expect((await api(emu, 'GET', '/api/status')).body.procedure.activity).toBeNull();
    // A POP3 client connects (a real socket, greeting read).
    const pop3 = connect(emu.endpoints.servers[0]!.pop3!, '127.0.0.1');
    sockets.push(pop3);
    await new Promise<void>((resolve) => pop3.once('data', () => resolve()));
    await cmd(emu, 'to tran suspend');
    await cmd(emu, 'to backup on');
    await cmd(emu, 'tobkweb arc');
    await cmd(emu, 'to tran resume');
    // A client writes during backup mode: into the staging area.
    expect((await api(emu, 'POST', '/api/mail', { to: 'alice', raw: 'Subject: during the backup\r\n\r\nhello\r\n' })).status).toBe(201);
    const status = (await api(emu, 'GET', '/api/status')).body;
    expect(status.servers[0].sessions).toMatchObject({ pop3: 1, imap: 0 });
    expect(status.procedure.activity).toMatchObject({ sessions: { pop3: 1, imap: 0 }, note: expect.stringContaining('必要最低限') });
    expect(status.procedure.activity.stagedWrites).toBeGreaterThanOrEqual(1);
    const cli = await runCli(['status', '--data', emu.dataDir]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/clients during the cycle: 1 POP3, 0 IMAP, \d+ web session\(s\) open, \d+ write\(s\) in the staging areas/);
    expect(cli.stdout).toContain('pop3 1 imap 0 web');
    const state = (await api(emu, 'GET', '/console/state')).body;
    expect(state.procedure.activity.sessions.pop3).toBe(1);
    expect(state.servers[0].sessions.pop3).toBe(1);
    pop3.destroy();
    for (let i = 0; i < 50 && (await api(emu, 'GET', '/api/status')).body.servers[0].sessions.pop3 !== 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await api(emu, 'GET', '/api/status')).body.servers[0].sessions.pop3).toBe(0);
  });
});
