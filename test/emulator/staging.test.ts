import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, runCli, servedSite, startServeProcess, startTestSite, stopProcess, tempDir } from '../helpers.js';
import { startEmulator, type Emulator } from '../../emulator/index.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const raw = (subject: string) => `From: qa@teamware.example\r\nTo: alice@teamware.example\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`;

async function inboxSubjects(emu: Emulator, user = 'alice'): Promise<string[]> {
  const r = await api(emu, 'GET', `/api/users/${user}/folders/INBOX/messages`);
  expect(r.status).toBe(200);
  return r.body.messages.map((m: { subject: string }) => m.subject);
}

async function cli(data: string, ...args: string[]) {
  const r = await runCli([...args, '--data', data]);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('the staging area: the database does not change by a byte in backup mode', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  for (const topology of ['single', 'multi'] as const) {
    it(`whole procedure through the CLI on a ${topology}-server site, with writes during backup mode`, async () => {
      const emu = await startTestSite(topology === 'multi' ? { topology, appServers: 2 } : {});
      cleanups.push(() => emu.stop());
      const data = emu.dataDir;
      const dest = join(data, 'backups');
      const dbFiles = emu.site.servers.map((s) => join(s.dir, 'twoffice.db'));
      const before = await inboxSubjects(emu);

      await cli(data, 'to', 'tran', 'suspend');
      await cli(data, 'to', 'backup', 'on');
      const pinned = dbFiles.map(sha);
      await cli(data, 'tobkweb', 'arc');
      for (const s of emu.site.servers) expect(readdirSync(join(s.dir, 'tobkweb')).sort()).toEqual(['bookmarks.json', 'memos.json', 'signatures.json']);
      await cli(data, 'to', 'tran', 'resume');

      // Client writes while backup mode is on (the service is available again).
      for (let i = 0; i < 5; i++) expect((await api(emu, 'POST', '/api/mail', { to: i % 2 ? 'alice' : 'bob', raw: raw(`staged ${i}`) })).status).toBe(201);
      expect((await api(emu, 'POST', '/api/users', { name: 'carol', password: 'pw' })).status).toBe(201);
      expect(dbFiles.map(sha)).toEqual(pinned);
      // Read your writes meanwhile.
      expect(await inboxSubjects(emu)).toEqual([...before, 'staged 1', 'staged 3']);
      const staging = await api(emu, 'GET', `/api/servers/${emu.site.homeServer('alice').name}/staging?limit=2`);
      expect(staging.body.writes).toBeGreaterThanOrEqual(2);
      expect(staging.body.bytes).toBeGreaterThan(0);
      expect(staging.body.changes).toHaveLength(2);
      expect(staging.body.changes[0]).toMatchObject({ service: 'mail', operation: 'append' });
      const status = JSON.parse(await cli(data, 'status', '--json'));
      expect(status.servers.every((s: { backupMode: string; staging: unknown }) => s.backupMode === 'on' && s.staging)).toBe(true);

      await cli(data, 'backup', '--level', '0', '--dest', dest);
      expect(dbFiles.map(sha)).toEqual(pinned);
      await cli(data, 'tobkweb', 'rm');
      for (const s of emu.site.servers) expect(existsSync(join(s.dir, 'tobkweb'))).toBe(false);
      await cli(data, 'to', 'backup', 'off');
      // The merge wrote the staged writes into the database files.
      expect(dbFiles.map(sha)).not.toEqual(pinned);
      expect(await inboxSubjects(emu)).toEqual([...before, 'staged 1', 'staged 3']);

      // The backup, restored into a fresh data directory, holds exactly the state at `to backup on`.
      const restored = tempDir();
      cleanups.push(() => restored.remove());
      const r = await runCli(['restore', '--from', dest, '--data', restored.path]);
      expect(r.code, r.stderr).toBe(0);
      const copy = await startEmulator({ dataDir: restored.path, portBase: 0 });
      cleanups.push(() => copy.stop());
      expect(await inboxSubjects(copy)).toEqual(before);
      expect(copy.site.account('carol')).toBeNull();
      expect(copy.status().every((s) => s.needsLevel0)).toBe(true);
    }, 120_000);
  }
});

describe('crashes (kill -9) lose no acknowledged write', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function serve(data: string, env: Record<string, string> = {}) {
    const old = { ...process.env };
    Object.assign(process.env, env);
    try {
      const p = await startServeProcess(['--data', data, '--port-base', '0', '--log-level', 'silent']);
      cleanups.push(() => stopProcess(p.child, 'SIGKILL'));
      return p;
    } finally {
      process.env = old;
    }
  }
  const control = (data: string) => servedSite(data).call;
  const waitExit = (child: import('node:child_process').ChildProcess) => new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));

  it('during backup mode with writes staged, during the merge of `to backup off`, and during a backup copy', async () => {
    const dir = tempDir();
    cleanups.push(() => dir.remove());
    const data = dir.path;
    const db = join(data, 'twsv01', 'twoffice.db');

    // 1. Crash with writes staged.
    let p = await serve(data);
    let call = control(data);
    for (const c of ['to tran suspend', 'to backup on']) expect((await call('POST', '/api/commands', { command: c })).status).toBe(200);
    const pinned = sha(db);
    for (let i = 0; i < 20; i++) expect((await call('POST', '/api/mail', { to: 'alice', raw: raw(`crash ${i}`) })).status).toBe(201);
    p.child.kill('SIGKILL');
    await waitExit(p.child);
    expect(sha(db)).toBe(pinned);
    p = await serve(data);
    call = control(data);
    let st = (await call('GET', '/api/status')).body.servers[0];
    expect(st).toMatchObject({ service: 'suspended', backupMode: 'on' });
    expect(st.staging.writes).toBe(20);
    let msgs = (await call('GET', '/api/users/alice/folders/INBOX/messages')).body.messages;
    expect(msgs.filter((m: { subject: string }) => m.subject.startsWith('crash '))).toHaveLength(20);
    expect(sha(db)).toBe(pinned);

    // 2. Crash during a backup copy: no complete backup is left behind, the state says not done.
    for (const c of ['tobkweb arc', 'to tran resume']) expect((await call('POST', '/api/commands', { command: c })).status).toBe(200);
    await stopProcess(p.child, 'SIGKILL');
    p = await serve(data, { TWEMU_FAULT: 'backup-copy' });
    call = control(data);
    await call('POST', '/api/backups?wait=true', { level: 0, dest: join(data, 'bk') }).catch(() => undefined);
    await waitExit(p.child);
    expect(readdirSync(join(data, 'bk', 'twsv01')).filter((n) => !n.endsWith('.partial'))).toEqual([]);
    p = await serve(data);
    call = control(data);
    st = (await call('GET', '/api/status')).body.servers[0];
    expect(st).toMatchObject({ service: 'available', backupMode: 'on', webArchive: 'present', backupDone: false });
    expect((await call('POST', '/api/backups?wait=true', { level: 0, dest: join(data, 'bk') })).status).toBe(200);
    expect((await call('POST', '/api/commands', { command: 'tobkweb rm' })).status).toBe(200);
    expect(sha(db)).toBe(pinned);

    // 3. Crash in the middle of `to backup off`: the next start finishes the merge.
    await stopProcess(p.child, 'SIGKILL');
    p = await serve(data, { TWEMU_FAULT: 'merge' });
    call = control(data);
    await call('POST', '/api/commands', { command: 'to backup off' }).catch(() => undefined);
    await waitExit(p.child);
    expect(JSON.parse(readFileSync(join(data, 'twsv01', 'state.json'), 'utf8')).backupMode).toBe('merging');
    p = await serve(data);
    call = control(data);
    st = (await call('GET', '/api/status')).body.servers[0];
    expect(st).toMatchObject({ service: 'available', backupMode: 'off', staging: null });
    msgs = (await call('GET', '/api/users/alice/folders/INBOX/messages')).body.messages;
    expect(msgs.filter((m: { subject: string }) => m.subject.startsWith('crash '))).toHaveLength(20);
    expect(sha(db)).not.toBe(pinned);
    // And a graceful stop in backup mode does not merge either.
    for (const c of ['to tran suspend', 'to backup on']) expect((await call('POST', '/api/commands', { command: c })).status).toBe(200);
    const pinned2 = sha(db);
    expect((await call('POST', '/api/mail', { to: 'bob', raw: raw('graceful') })).status).toBe(201);
    await stopProcess(p.child, 'SIGTERM');
    expect(sha(db)).toBe(pinned2);
    p = await serve(data);
    call = control(data);
    expect((await call('GET', '/api/status')).body.servers[0].staging.writes).toBe(1);
  }, 120_000);
});

describe('restore', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function backupCycle(emu: Emulator, dest: string, level: number, subject: string) {
    for (const c of ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume']) expect((await api(emu, 'POST', '/api/commands', { command: c })).status, c).toBe(200);
    const b = await api(emu, 'POST', '/api/backups?wait=true', { level, dest });
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    await api(emu, 'POST', '/api/mail', { to: 'alice', raw: raw(subject) });
    for (const c of ['tobkweb rm', 'to backup off']) expect((await api(emu, 'POST', '/api/commands', { command: c })).status, c).toBe(200);
    return b.body.manifests[0];
  }

  it('a level 0 + 1 + 2 chain restores the latest state; a tampered file is refused; level 1 after a restore is refused', async () => {
    const emu = await startTestSite();
    cleanups.push(() => emu.stop());
    const dest = join(emu.dataDir, 'bk');
    const m0 = await backupCycle(emu, dest, 0, 'after L0');
    const m1 = await backupCycle(emu, dest, 1, 'after L1');
    const m2 = await backupCycle(emu, dest, 2, 'after L2');
    expect([m0.level, m1.level, m2.level]).toEqual([0, 1, 2]);
    expect(m1.basedOn).toBe(m0.id);
    expect(m2.basedOn).toBe(m1.id);
    // A level 1 without a level 0 in another folder is refused.
    for (const c of ['to tran suspend', 'to backup on']) await api(emu, 'POST', '/api/commands', { command: c });
    const orphan = await api(emu, 'POST', '/api/backups?wait=true', { level: 1, dest: join(emu.dataDir, 'empty') });
    expect(orphan.status).toBe(409);
    expect(orphan.body.error).toBe('E_NO_BASE');

    const target = tempDir();
    cleanups.push(() => target.remove());
    const r = await runCli(['restore', '--from', dest, '--data', target.path, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).servers[0].chain).toEqual([m0.id, m1.id, m2.id]);
    const copy = await startEmulator({ dataDir: target.path, portBase: 0 });
    cleanups.push(() => copy.stop());
    const subjects = await inboxSubjects(copy);
    expect(subjects).toContain('after L0');
    expect(subjects).toContain('after L1');
    expect(subjects).not.toContain('after L2');
    // After a restore the next backup must be level 0.
    for (const c of ['to tran suspend', 'to backup on']) expect((await api(copy, 'POST', '/api/commands', { command: c })).status).toBe(200);
    const l1 = await api(copy, 'POST', '/api/backups?wait=true', { level: 1, dest });
    expect(l1.status).toBe(409);
    expect(l1.body.error).toBe('E_LEVEL0_REQUIRED');
    // Step 5 comes after steps 3 and 4.
    for (const c of ['tobkweb arc', 'to tran resume']) expect((await api(copy, 'POST', '/api/commands', { command: c })).status).toBe(200);
    expect((await api(copy, 'POST', '/api/backups?wait=true', { level: 0, dest: join(target.path, 'bk') })).status).toBe(200);

    // Tamper with a file of the chain: refused, and nothing is restored.
    const tampered = join(dest, 'twsv01', m0.id, 'ini', 'twoffice.ini');
    appendFileSync(tampered, 'x');
    const fresh = tempDir();
    cleanups.push(() => fresh.remove());
    const bad = await runCli(['restore', '--from', dest, '--data', fresh.path]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('corrupted');
    expect(readdirSync(fresh.path)).toEqual([]);
    writeFileSync(tampered, readFileSync(tampered, 'utf8').slice(0, -1));
  }, 60_000);
});
