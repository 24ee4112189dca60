// The sites here are lenient: these figures time staging and copying, not the order of the procedure's steps
// (a strict site refuses `to backup off` before step 5's backup).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { digestOf, runBackup } from '../emulator/backup.js';

const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000)} writes/s`;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
/** Rounds of each copy figure (the machine is shared: one run is noise). */
const ROUNDS = 5;

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
  const backupRuns: number[] = [];
  const cpRuns: number[] = [];
  const cpSyncRuns: number[] = [];
  let coldMs: number;
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
    // Warm the page cache once for all, then time each way of copying, ROUNDS times, in turn
    // (A B C, B C A, C A B, ...) so that a change in the machine's load weighs on all alike.
    execFileSync('cp', ['-r', server.dir, join(dest, 'warm')]);
    const srcFiles = [join(server.dir, 'twoffice.db'), join(server.dir, 'ini', 'twoffice.ini')];
    const ways: Array<[number[], (to: string) => Promise<void>]> = [
      [cpRuns, async (to) => {
        execFileSync('mkdir', ['-p', to]);
        execFileSync('cp', [...srcFiles, to]);
      }],
      // The backup is durable before it is done (every copy fsynced): the same copy made durable
      // with `sync FILE...` is the fair yardstick beside the plain one.
      [cpSyncRuns, async (to) => {
        execFileSync('mkdir', ['-p', to]);
        execFileSync('cp', [...srcFiles, to]);
        execFileSync('sync', [join(to, 'twoffice.db'), join(to, 'twoffice.ini')]);
      }],
      [backupRuns, async (to) => {
        await runBackup(site.site, server, { level: 0, dest: to });
      }],
    ];
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < ways.length; k++) {
        const [runs, way] = ways[(r + k) % ways.length]!;
        const t0 = performance.now();
        await way(join(dest, `round-${r}-${k}`));
        runs.push(performance.now() - t0);
      }
      for (let k = 0; k < ways.length; k++) rmSync(join(dest, `round-${r}-${k}`), { recursive: true, force: true });
    }
    // Again after a restart: no digest in memory, the backup computes it while copying.
    await site.stop();
    site = await startEmulator({ portBase: 0, dataDir, lenient: true });
    server = site.site.servers[0]!;
    const t0 = performance.now();
    await runBackup(site.site, server, { level: 0, dest: join(dest, 'bk2') });
    coldMs = performance.now() - t0;
  } finally {
    await site.stop();
    rmSync(dest, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
  const mb = bytes / 1024 / 1024;
  const size = `${mb.toFixed(0)} MB`;
  const [backupMs, cpMs, cpSyncMs] = [median(backupRuns), median(cpRuns), median(cpSyncRuns)];
  const each = (v: number[]) => v.map((x) => x.toFixed(0)).join(', ');
  const timed = (ms: number, v?: number[]) => `${ms.toFixed(0)} ms (${(mb / (ms / 1000)).toFixed(0)} MB/s)${v ? `; rounds: ${each(v)}` : ''}`;
  return {
    [`${size}: backup level 0, digest computed since to backup on (median of ${ROUNDS})`]: timed(backupMs, backupRuns),
    [`${size}: backup level 0, digest computed during the copy (after a restart)`]: timed(coldMs),
    [`${size}: plain cp of the same files (median of ${ROUNDS})`]: timed(cpMs, cpRuns),
    [`${size}: backup/cp throughput ratio, digest ready (target >= 0.9)`]: (cpMs / backupMs).toFixed(2),
    [`${size}: backup/cp throughput ratio, digest during the copy`]: (cpMs / coldMs).toFixed(2),
    [`${size}: cp then sync of the same files (durable, as the backup is; median of ${ROUNDS})`]: timed(cpSyncMs, cpSyncRuns),
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
