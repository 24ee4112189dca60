import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, runCli, startServeProcess, startTestSite, stopProcess, tempDir } from '../helpers.js';
import type { Emulator } from '../../emulator/index.js';

// Issue 12: restore never destroys, never rolls back in silence, never writes
// outside its target; `twemu backup verify`; one owner per data folder; modes.

const raw = (subject: string) => `From: qa@teamware.example\r\nTo: alice@teamware.example\r\nSubject: ${subject}\r\n\r\nbody of ${subject}\r\n`;

/** Every file under `dir` with its SHA-256 (to prove a folder was not touched). */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`);
      else out[`${rel}${name}`] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

/** Seals a manifest as the emulator does (SHA-256 of every byte before the checksum's value): what someone who edits a backup can do too. */
function seal(m: Record<string, unknown>): string {
  const { manifestChecksum: _c, ...rest } = m;
  const body = JSON.stringify(rest, null, 2);
  const prefix = `${body.slice(0, -2)},\n  "manifestChecksum": "`;
  return `${prefix}${createHash('sha256').update(prefix).digest('hex')}"\n}\n`;
}

async function cycle(emu: Emulator, dest: string, level: number, subject: string) {
  for (const c of ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume']) expect((await api(emu, 'POST', '/api/commands', { command: c })).status, c).toBe(200);
  const b = await api(emu, 'POST', '/api/backups?wait=true', { level, dest });
  expect(b.status, JSON.stringify(b.body)).toBe(200);
  expect((await api(emu, 'POST', '/api/mail', { to: 'alice', raw: raw(subject) })).status).toBe(201);
  for (const c of ['tobkweb rm', 'to backup off']) expect((await api(emu, 'POST', '/api/commands', { command: c })).status, c).toBe(200);
  return b.body.manifests[0] as { id: string; level: number };
}

describe('backup verify and restore refusals (issue 12 rows 1, 2, 3, 10)', () => {
  let emu: Emulator;
  const work = tempDir('twemu-trust-');
  /** A pristine L0 -> L1 -> L2 chain; every test works on its own copy. */
  const pristine = join(work.path, 'pristine');
  let ids: string[] = [];
  const copy = (name: string) => {
    const dir = join(work.path, name);
    cpSync(pristine, dir, { recursive: true });
    return dir;
  };

  beforeAll(async () => {
    emu = await startTestSite();
    ids = [(await cycle(emu, pristine, 0, 'after L0')).id, (await cycle(emu, pristine, 1, 'after L1')).id, (await cycle(emu, pristine, 2, 'after L2')).id];
  }, 60_000);
  afterAll(async () => {
    await emu.stop();
    work.remove();
  });

  it('verify passes on an intact chain (exit 0) and checks every file; --server limits it', async () => {
    const r = await runCli(['backup', 'verify', '--from', pristine]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('twsv01: 3 backup(s)');
    expect(r.stdout).toContain('checked out');
    const one = await runCli(['backup', 'verify', '--from', pristine, '--server', 'twsv01', '--json']);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ problems: [], servers: [{ server: 'twsv01', backups: 3, latest: ids[2] }] });
    const none = await runCli(['backup', 'verify', '--from', pristine, '--server', 'nosuch']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no backups of this server');
  });

  it('row 1: restore --from B --data B (or one inside the other) is refused and the backup set is untouched', async () => {
    const bk = copy('row1');
    const before = snapshot(bk);
    for (const [from, data] of [[bk, bk], [bk, join(bk, 'inner')], [join(bk, 'twsv01'), bk]] as const) {
      for (const force of [[], ['--force']]) {
        const r = await runCli(['restore', '--from', from, '--data', data, ...force]);
        expect(r.code, r.stdout).toBe(1);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/same folder|inside/);
        expect(snapshot(bk)).toEqual(before);
      }
    }
    expect(existsSync(join(bk, 'inner'))).toBe(false);
  });

  const tamperings: Array<[string, (dir: string, latest: string) => void, RegExp]> = [
    ['one byte of the latest manifest flipped', (dir, latest) => {
      const f = join(dir, 'twsv01', latest, 'manifest.json');
      const b = readFileSync(f);
      const at = b.indexOf('"bytesCopied"') + 3;
      b[at] = b[at]! ^ 0x01;
      writeFileSync(f, b);
    }, /fails its checksum/],
    ['its time changed', (dir, latest) => {
      const f = join(dir, 'twsv01', latest, 'manifest.json');
      writeFileSync(f, readFileSync(f, 'utf8').replace(/"time": "(\d{4})/, (_m, y) => `"time": "${Number(y) - 1}`));
    }, /fails its checksum/],
    ['its format changed (and re-sealed)', (dir, latest) => {
      const f = join(dir, 'twsv01', latest, 'manifest.json');
      writeFileSync(f, seal({ ...JSON.parse(readFileSync(f, 'utf8')), format: 'twemu-backup/9' }));
    }, /has format "twemu-backup\/9"/],
    ['its manifest deleted', (dir, latest) => unlinkSync(join(dir, 'twsv01', latest, 'manifest.json')), /manifest.json is missing/],
    ['the level 1 manifest deleted (the level 2 loses its base)', (dir) => unlinkSync(join(dir, 'twsv01', ids[1]!, 'manifest.json')), /based on .*missing or unreadable/],
  ];
  for (const [what, tamper, expected] of tamperings) {
    it(`row 2: no silent rollback: ${what} -> verify and restore refuse, nothing is written`, async () => {
      const bk = copy(`row2-${tamperings.findIndex((t) => t[0] === what)}`);
      tamper(bk, ids[2]!);
      const v = await runCli(['backup', 'verify', '--from', bk]);
      expect(v.code).toBe(1);
      expect(v.stderr).toMatch(expected);
      const target = join(work.path, `target-${what.length}-${Date.now()}`);
      const r = await runCli(['restore', '--from', bk, '--data', target]);
      expect(r.code, r.stdout).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('failed verification');
      expect(readdirSync(target)).toEqual([]);
    });
  }

  it('row 3: a manifest path "../../x" (matching file, SHA-256 and re-sealed checksum) is refused: nothing is written outside (or inside) the target', async () => {
    const bk = copy('row3');
    const latest = join(bk, 'twsv01', ids[2]!);
    const payload = Buffer.from('owned\n');
    const m = JSON.parse(readFileSync(join(latest, 'manifest.json'), 'utf8'));
    // The file exists where the path points from the backup folder, with the right size and digest.
    writeFileSync(join(bk, 'x'), payload);
    m.files.push({ path: '../../x', size: payload.length, sha256: createHash('sha256').update(payload).digest('hex'), copied: true, from: ids[2] });
    writeFileSync(join(latest, 'manifest.json'), seal(m));
    const v = await runCli(['backup', 'verify', '--from', bk]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('file path "../../x" has an empty, "." or ".." part');
    const target = join(work.path, 'row3-target', 'a', 'data');
    const r = await runCli(['restore', '--from', bk, '--data', target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('"../../x"');
    expect(existsSync(join(work.path, 'row3-target', 'x'))).toBe(false);
    expect(readdirSync(target)).toEqual([]);
    // An absolute path and a `from` that climbs out are refused the same way.
    m.files.at(-1).path = '/tmp/x';
    writeFileSync(join(latest, 'manifest.json'), seal(m));
    expect((await runCli(['backup', 'verify', '--from', bk])).stderr).toContain('is absolute');
    m.files.at(-1).path = 'x';
    m.files.at(-1).from = '..';
    writeFileSync(join(latest, 'manifest.json'), seal(m));
    expect((await runCli(['backup', 'verify', '--from', bk])).stderr).toContain('is not a backup id');
  });

  it('a corrupted copy found by verify names the file once; restore names it and writes nothing', async () => {
    const bk = copy('corrupt');
    const f = join(bk, 'twsv01', ids[0]!, 'twoffice.db');
    const b = readFileSync(f);
    b[100] = b[100]! ^ 0xff;
    writeFileSync(f, b);
    const v = await runCli(['backup', 'verify', '--from', bk]);
    expect(v.code).toBe(1);
    expect(v.stderr.trim().split('\n')).toEqual([`twemu: twsv01/${ids[0]}/twoffice.db: is corrupted (SHA-256 does not match the manifest)`]);
  });

  it('row 10: restore into a non-empty folder without site.json and without --force deletes nothing', async () => {
    const target = join(work.path, 'row10');
    mkdirSync(join(target, 'twsv01'), { recursive: true });
    writeFileSync(join(target, 'twsv01', 'mine.txt'), 'keep me');
    writeFileSync(join(target, 'notes.txt'), 'keep me too');
    const before = snapshot(target);
    const r = await runCli(['restore', '--from', pristine, '--data', target]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('is not empty and holds no site');
    expect(snapshot(target)).toEqual(before);
  });

  it('an intact chain restores (after the same verification) with owner-only modes (row 11)', async () => {
    const target = join(work.path, 'good-target');
    const r = await runCli(['restore', '--from', pristine, '--data', target, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).servers[0].chain).toEqual(ids);
    expect(statSync(join(target, 'twsv01', 'twoffice.db')).mode & 0o777).toBe(0o600);
    expect(statSync(join(target, 'twsv01')).mode & 0o777).toBe(0o700);
    expect(statSync(target).mode & 0o777).toBe(0o700);
  });

  it('row 11: the database, its WAL, backup copies and manifests are 0600 in 0700 folders', () => {
    const dir = emu.site.servers[0]!.dir;
    for (const f of ['twoffice.db', 'twoffice.db-wal']) expect((statSync(join(dir, f)).mode & 0o777).toString(8), f).toBe('600');
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
    for (const id of ids) {
      const b = join(pristine, 'twsv01', id);
      expect((statSync(b).mode & 0o777).toString(8)).toBe('700');
      expect((statSync(join(b, 'manifest.json')).mode & 0o777).toString(8)).toBe('600');
    }
    expect((statSync(join(pristine, 'twsv01', ids[0]!, 'twoffice.db')).mode & 0o777).toString(8)).toBe('600');
    expect((statSync(join(pristine, 'twsv01')).mode & 0o777).toString(8)).toBe('700');
  });

  it('level 1 on a destination whose chain is damaged is refused (rule intact-base) instead of building on it', async () => {
    const bk = copy('damaged-base');
    unlinkSync(join(bk, 'twsv01', ids[0]!, 'manifest.json'));
    // The listing says so too, instead of leaving that backup out in silence.
    const listed = await api(emu, 'GET', `/api/backups?dest=${encodeURIComponent(bk)}`);
    expect(listed.body.backups.map((m: { id: string }) => m.id)).toEqual(ids.slice(1));
    expect(listed.body.problems).toEqual([`twsv01/${ids[0]}: manifest.json is missing`]);
    for (const c of ['to tran suspend', 'to backup on']) expect((await api(emu, 'POST', '/api/commands', { command: c })).status).toBe(200);
    try {
      const r = await api(emu, 'POST', '/api/backups', { level: 1, dest: bk });
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ error: 'E_BACKUP_INVALID' });
      expect(r.body.message).toContain('manifest.json is missing');
    } finally {
      // Stop the cycle part-way (19.3.4): the order rules do not apply.
      expect((await api(emu, 'POST', '/api/commands', { command: 'to backup off', abort: true })).status).toBe(200);
      expect((await api(emu, 'POST', '/api/commands', { command: 'to tran resume' })).status).toBe(200);
    }
  });

  it('a destination whose server folder is a file is a listed problem (GET /api/backups 200 with problems, verify one line), not an internal error', async () => {
    const odd = join(work.path, 'odd');
    mkdirSync(odd);
    writeFileSync(join(odd, 'twsv01'), 'not a folder');
    const listed = await api(emu, 'GET', `/api/backups?dest=${encodeURIComponent(odd)}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ backups: [], problems: ['twsv01: not a backup folder (a file or link)'] });
    const v = await runCli(['backup', 'verify', '--from', odd, '--server', 'twsv01']);
    expect(v.code).toBe(1);
    expect(v.stderr.trim()).toBe('twemu: twsv01: not a backup folder (a file or link)');
    // At step 5, a backup into it (or into a destination that is a file) is a 400 before any job starts.
    const own = await startTestSite();
    try {
      for (const command of ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume']) expect((await api(own, 'POST', '/api/commands', { command })).status).toBe(200);
      for (const dest of [odd, join(odd, 'twsv01')]) {
        const r = await api(own, 'POST', '/api/backups?wait=true', { level: 0, dest });
        expect(r.status, dest).toBe(400);
        expect(r.body).toMatchObject({ error: 'E_DEST', message: expect.stringContaining('is a file') });
      }
    } finally {
      await own.stop();
    }
  });

  it('a --data or --dest folder that cannot be created (under /proc, where Node\'s recursive mkdir loops for ever) is one line at once; the site keeps serving', async () => {
    const nowhere = '/proc/twemu-no-such-folder';
    for (const [args, what] of [[['restore', '--from', copy('proc'), '--data', nowhere], 'the --data folder'], [['serve', '--data', nowhere, '--port-base', '0'], 'the data folder']] as const) {
      const r = await runCli([...args], { timeoutMs: 20_000 });
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr.trim()).toBe(`twemu: cannot use ${nowhere} as ${what}: the file system at /proc does not take new folders; choose a folder you can write to`);
    }
    const own = await startTestSite();
    try {
      for (const command of ['to tran suspend', 'to backup on', 'tobkweb arc', 'to tran resume']) expect((await api(own, 'POST', '/api/commands', { command })).status).toBe(200);
      const r = await api(own, 'POST', '/api/backups?wait=true', { level: 0, dest: join(nowhere, 'bk') });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: 'E_DEST', message: `cannot use ${join(nowhere, 'bk', 'twsv01')} as the backup destination: the file system at /proc does not take new folders` });
      expect((await api(own, 'GET', '/api/status')).status).toBe(200);
    } finally {
      await own.stop();
    }
  }, 60_000);

  it('a backup destination that is (or holds, or lies in a server folder of) the data folder is refused', async () => {
    for (const c of ['to tran suspend', 'to backup on']) expect((await api(emu, 'POST', '/api/commands', { command: c })).status).toBe(200);
    try {
      for (const dest of [emu.dataDir, join(emu.dataDir, '..'), join(emu.dataDir, 'twsv01', 'bk')]) {
        const r = await api(emu, 'POST', '/api/backups', { level: 0, dest });
        expect(r.status, dest).toBe(400);
        expect(r.body.error).toBe('E_OVERLAP');
      }
    } finally {
      // Stop the cycle part-way (19.3.4): the order rules do not apply.
      expect((await api(emu, 'POST', '/api/commands', { command: 'to backup off', abort: true })).status).toBe(200);
      expect((await api(emu, 'POST', '/api/commands', { command: 'to tran resume' })).status).toBe(200);
    }
  });
});

describe('one owner per data folder (issue 12 row 6)', () => {
  it('a second serve and a restore --force into a running site are refused; after kill -9 the stale lock does not block', async () => {
    const dir = tempDir();
    const bk = tempDir();
    let p = await startServeProcess(['--data', dir.path, '--port-base', '0', '--log-level', 'silent']);
    try {
      const second = await runCli(['serve', '--data', dir.path, '--port-base', '0']);
      expect(second.code).toBe(1);
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toMatch(/is in use by twemu serve \(pid \d+/);
      // A backup to restore from.
      for (const c of [['to', 'tran', 'suspend'], ['to', 'backup', 'on'], ['tobkweb', 'arc'], ['to', 'tran', 'resume']]) expect((await runCli([...c, '--data', dir.path])).code).toBe(0);
      const b = await runCli(['backup', '--level', '0', '--dest', bk.path, '--data', dir.path]);
      expect(b.code, b.stderr).toBe(0);
      const db = join(dir.path, 'twsv01', 'twoffice.db');
      const before = readFileSync(db);
      const r = await runCli(['restore', '--from', bk.path, '--data', dir.path, '--force']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('is in use by twemu serve');
      expect(readFileSync(db).equals(before)).toBe(true);
      // kill -9: the lock stays on disk, its process is gone: the next serve takes it over.
      p.child.kill('SIGKILL');
      await new Promise((res) => p.child.once('exit', res));
      expect(existsSync(join(dir.path, 'twemu.lock'))).toBe(true);
      p = await startServeProcess(['--data', dir.path, '--port-base', '0', '--log-level', 'silent']);
      expect((await runCli(['status', '--data', dir.path])).code).toBe(0);
      await stopProcess(p.child);
      expect(existsSync(join(dir.path, 'twemu.lock'))).toBe(false);
      // Stopped: now the restore may replace it.
      const ok = await runCli(['restore', '--from', bk.path, '--data', dir.path, '--force']);
      expect(ok.code, ok.stderr).toBe(0);
    } finally {
      await stopProcess(p.child, 'SIGKILL');
      dir.remove();
      bk.remove();
      rmSync(dir.path, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a lock file without readable content', () => {
  it('is one being written while it is young: a second serve waits for its content and is refused; an empty one left long ago is stale and taken over', async () => {
    const dir = tempDir();
    const lock = join(dir.path, 'twemu.lock');
    const serveArgs = ['--data', dir.path, '--port-base', '0', '--log-level', 'silent'];
    // The first serve creates its lock, then stalls 2.5 s before filling it (a stalled disk).
    const first = startServeProcess(serveArgs, { env: { TWEMU_FAULT: 'lock-write-pause:2500' }, timeoutMs: 30_000 });
    let p: Awaited<typeof first> | undefined;
    try {
      for (let i = 0; i < 200 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 25));
      expect(readFileSync(lock, 'utf8')).toBe('');
      const second = await runCli(['serve', ...serveArgs], { timeoutMs: 30_000 });
      p = await first;
      expect(second.code).toBe(1);
      expect(second.stderr.trim()).toMatch(new RegExp(`^twemu: ${dir.path} is in use by twemu serve \\(pid ${p.child.pid}, since [^)]+\\); stop that site first, or use another --data folder$`));
      expect((await runCli(['status', '--data', dir.path])).code).toBe(0);
      await stopProcess(p.child);
      p = undefined;
      // An empty lock a minute old: the remains of a crash between creating and writing it.
      writeFileSync(lock, '');
      const old = new Date(statSync(lock).mtimeMs - 60_000); // by the file system's clock (the suite may run under faketime)
      utimesSync(lock, old, old);
      p = await startServeProcess(serveArgs);
      expect(JSON.parse(readFileSync(lock, 'utf8')).pid).toBe(p.child.pid);
    } finally {
      if (p) await stopProcess(p.child, 'SIGKILL');
      await first.then((q) => stopProcess(q.child, 'SIGKILL'), () => undefined);
      dir.remove();
    }
  }, 60_000);
});

describe('a multi-server backup missing one server\'s backups (issue 12 row 2: no silent rollback)', () => {
  it('a server folder left with no backup in it is a problem: verify exits 1 naming it, restore writes nothing', async () => {
    const emu = await startTestSite({ topology: 'multi', appServers: 1 });
    const work = tempDir('twemu-trust-multi-');
    try {
      const bk = join(work.path, 'bk');
      await cycle(emu, bk, 0, 'multi L0');
      const names = emu.site.servers.map((s) => s.name);
      expect(names.length).toBeGreaterThan(1);
      expect((await runCli(['backup', 'verify', '--from', bk])).code).toBe(0);
      // One application server's backups removed, its folder left empty.
      const app = emu.site.applicationServers[0]!.name;
      for (const id of readdirSync(join(bk, app))) rmSync(join(bk, app, id), { recursive: true, force: true });
      const v = await runCli(['backup', 'verify', '--from', bk]);
      expect(v.code).toBe(1);
      expect(v.stderr).toContain(`twemu: ${app}: no backups (part of the multi-server site)`);
      const target = join(work.path, 'target');
      const r = await runCli(['restore', '--from', bk, '--data', target]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('failed verification');
      expect(readdirSync(target)).toEqual([]);
    } finally {
      await emu.stop();
      work.remove();
    }
  }, 60_000);

  it('a server whose latest backup is of an older cycle than the others\' (its later one deleted) is a problem: restore refuses to mix cycles, in one line', async () => {
    const emu = await startTestSite({ topology: 'multi', appServers: 1 });
    const work = tempDir('twemu-trust-cycles-');
    try {
      const bk = join(work.path, 'bk');
      await cycle(emu, bk, 0, 'cycle 1');
      await cycle(emu, bk, 0, 'cycle 2');
      expect((await runCli(['backup', 'verify', '--from', bk])).code).toBe(0);
      const manifest = (server: string, id: string) => JSON.parse(readFileSync(join(bk, server, id, 'manifest.json'), 'utf8'));
      const app = emu.site.applicationServers[0]!.name;
      const dir = emu.site.servers.find((s) => s.name !== app)!.name;
      const [, appLater] = readdirSync(join(bk, app)).sort();
      const [, dirLater] = readdirSync(join(bk, dir)).sort();
      const cycles = [manifest(app, appLater!).cycle, manifest(dir, dirLater!).cycle];
      expect(cycles[0]).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(cycles[1]).toBe(cycles[0]);
      // The application server's backup of cycle 2 deleted: its latest is now of cycle 1.
      rmSync(join(bk, app, appLater!), { recursive: true });
      const [appEarlier] = readdirSync(join(bk, app));
      const older = manifest(app, appEarlier!).cycle;
      expect(older < cycles[0]).toBe(true);
      const line = `${app}: its latest backup ${appEarlier} is of the backup cycle begun ${older}, older than ${dir}'s (${dirLater}, cycle begun ${cycles[0]}): a restore would mix two cycles`;
      const v = await runCli(['backup', 'verify', '--from', bk]);
      expect(v.code).toBe(1);
      expect(v.stderr.trim()).toBe(`twemu: ${line}`);
      const target = join(work.path, 'target');
      const r = await runCli(['restore', '--from', bk, '--data', target]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`twemu: the backup in ${bk} failed verification: ${line}; nothing was restored; \`twemu backup verify --from ${bk}\` lists every problem`);
      expect(readdirSync(target)).toEqual([]);
      // Per server, nothing is mixed: verify --server checks that server's chain alone.
      expect((await runCli(['backup', 'verify', '--from', bk, '--server', app])).code).toBe(0);
    } finally {
      await emu.stop();
      work.remove();
    }
  }, 60_000);
});
