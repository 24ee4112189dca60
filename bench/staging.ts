// The sites here are lenient: these figures time staging and copying, not the order of the procedure's steps
// (a strict site refuses `to backup off` before step 5's backup).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { digestOf, runBackup } from '../emulator/backup.js';

const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000)} writes/s`;

/** Domain writes through the store, as a client's would go (each its own transaction). */
function writes(emu: Emulator, n: number, tag: string): number {
  const store = emu.site.homeStore('alice');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) store.webdata.createMemo('alice', { title: `${tag} ${i}`, body: 'x'.repeat(200) });
  return performance.now() - t0;
}

async function stagedMerge(n: number): Promise<number> {
  const emu = await startEmulator({ portBase: 0, lenient: true });
  try {
    await emu.command('to tran suspend');
    await emu.command('to backup on');
    writes(emu, n, 'merge');
    const t0 = performance.now();
    await emu.command('to backup off');
    return performance.now() - t0;
  } finally {
    await emu.stop();
  }
}

/** Backup copy throughput against a plain `cp` of the same files, for a database of `messages` x 256 KB. */
async function backupFigures(messages: number): Promise<Record<string, string>> {
  const dest = mkdtempSync(join(tmpdir(), 'twemu-bench-bk-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'twemu-bench-data-'));
  let site = await startEmulator({ portBase: 0, dataDir, lenient: true });
  let backupMs: number;
  let coldMs: number;
  let cpMs: number;
  let cpSyncMs: number;
  let bytes: number;
  try {
    const body = Buffer.alloc(256 * 1024, 'a');
    for (let i = 0; i < messages; i++) site.site.deliver('alice', Buffer.concat([Buffer.from(`Subject: big ${i}\r\n\r\n`), body]));
    await site.command('to tran suspend');
    await site.command('to backup on');
    let server = site.site.servers[0]!;
    // The digest `to backup on` starts in the background; let it finish as it would before step 5.
    await digestOf(server, join(server.dir, 'twoffice.db'));
    bytes = statSync(join(server.dir, 'twoffice.db')).size;
    const cpDest = join(dest, 'cp');
    execFileSync('mkdir', ['-p', cpDest]);
    // Warm the page cache once for both, then time each.
    execFileSync('cp', ['-r', server.dir, join(dest, 'warm')]);
    let t0 = performance.now();
    execFileSync('cp', [join(server.dir, 'twoffice.db'), join(server.dir, 'ini', 'twoffice.ini'), cpDest]);
    cpMs = performance.now() - t0;
    // The backup ends by writing its manifest durably (fsync), which on ext4 also waits for the
    // copied data: the same copy made durable is the fair yardstick beside the plain one.
    const cpSyncDest = join(dest, 'cpsync');
    execFileSync('mkdir', ['-p', cpSyncDest]);
    t0 = performance.now();
    execFileSync('cp', [join(server.dir, 'twoffice.db'), join(server.dir, 'ini', 'twoffice.ini'), cpSyncDest]);
    execFileSync('sync', [join(cpSyncDest, 'twoffice.db'), join(cpSyncDest, 'twoffice.ini')]);
    cpSyncMs = performance.now() - t0;
    t0 = performance.now();
    await runBackup(site.site, server, { level: 0, dest: join(dest, 'bk') });
    backupMs = performance.now() - t0;
    // Again after a restart: no digest in memory, the backup computes it while copying.
    await site.stop();
    site = await startEmulator({ portBase: 0, dataDir, lenient: true });
    server = site.site.servers[0]!;
    t0 = performance.now();
    await runBackup(site.site, server, { level: 0, dest: join(dest, 'bk2') });
    coldMs = performance.now() - t0;
  } finally {
    await site.stop();
    rmSync(dest, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
  const mb = bytes / 1024 / 1024;
  const size = `${mb.toFixed(0)} MB`;
  return {
    [`${size}: backup level 0, digest computed since to backup on`]: `${backupMs.toFixed(0)} ms (${(mb / (backupMs / 1000)).toFixed(0)} MB/s)`,
    [`${size}: backup level 0, digest computed during the copy (after a restart)`]: `${coldMs.toFixed(0)} ms (${(mb / (coldMs / 1000)).toFixed(0)} MB/s)`,
    [`${size}: plain cp of the same files`]: `${cpMs.toFixed(0)} ms (${(mb / (cpMs / 1000)).toFixed(0)} MB/s)`,
    [`${size}: backup/cp throughput ratio, digest ready (target >= 0.8)`]: (cpMs / backupMs).toFixed(2),
    [`${size}: backup/cp throughput ratio, digest during the copy`]: (cpMs / coldMs).toFixed(2),
    [`${size}: cp then sync of the same files (durable, as the backup is)`]: `${cpSyncMs.toFixed(0)} ms (${(mb / (cpSyncMs / 1000)).toFixed(0)} MB/s)`,
    [`${size}: backup/(cp+sync) throughput ratio, digest ready`]: (cpSyncMs / backupMs).toFixed(2),
  };
}

export async function run(): Promise<Record<string, string | number>> {
  const N = 20_000;
  const emu = await startEmulator({ portBase: 0, lenient: true });
  let off: number;
  let on: number;
  try {
    writes(emu, 2000, 'warm');
    off = writes(emu, N, 'off');
    await emu.command('to tran suspend');
    await emu.command('to backup on');
    await emu.command('tobkweb arc');
    await emu.command('to tran resume');
    on = writes(emu, N, 'on');
  } finally {
    await emu.stop();
  }
  const merge10k = await stagedMerge(10_000);
  const merge100k = await stagedMerge(100_000);

  const small = await backupFigures(256);
  const large = await backupFigures(1024);
  return {
    [`write throughput, backup mode off (${N} memo writes)`]: rate(N, off),
    [`write throughput, backup mode on (${N} memo writes, staged)`]: rate(N, on),
    'throughput ratio on/off (target >= 0.9)': (off / on).toFixed(2),
    'to backup off merge, 10,000 staged writes': `${merge10k.toFixed(0)} ms`,
    'to backup off merge, 100,000 staged writes (target < 2000 ms)': `${merge100k.toFixed(0)} ms`,
    ...small,
    ...large,
  };
}
