import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join, relative, resolve } from 'node:path';
import { CommandRefused, TwemuError, BadRequest } from './errors.js';
import { DB_FILE } from './store/database.js';
import { INITIAL_STATE, saveState, writeFileAtomic } from './state.js';
import { WEB_ARCHIVE_DIR } from './webarchive.js';
import type { Site } from './site.js';
import type { SiteServer } from './server.js';
import { BACKUP_STEP, checkStep } from './procedure.js';
import { digestOf, sha256File } from './digest.js';

export { digestOf, sha256File };

// The differential backup utility (step 5) and its restore. Section 19.3.1
// only says "差分バックアップユーティリティを使用して、すべてのサーバでバックアップします"
// and points to 19.7.2, which the emulator does not have: the levels and the
// level-0-after-restore rule are emulator defaults. Levels: 0 = everything; 1 = what changed since the last level 0;
// 2 = what changed since the latest level 0 or level 1. Granularity: whole
// files. Every backup's manifest lists every file of the server (path, size,
// SHA-256) and which backup folder holds its bytes (`from`), so restoring a
// level 2 applies its level 0 and level 1 underneath by construction.

const execFileAsync = promisify(execFile);

export const MANIFEST = 'manifest.json';
export const BACKUP_FORMAT = 'twemu-backup/1';

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  /** Whether this backup holds the bytes (else `from` does). */
  copied: boolean;
  from: string;
}

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  id: string;
  server: string;
  role: string;
  level: 0 | 1 | 2;
  basedOn: string | null;
  time: string;
  /** When backup mode started: the data is as of this moment. */
  backupOnAt: string | null;
  site: { topology: string; servers: Array<{ name: string; role: string }> };
  files: ManifestFile[];
  bytesCopied: number;
}

export interface BackupProgress {
  server: string;
  file: string;
  bytesDone: number;
  bytesTotal: number;
}

/** The files the utility copies: the database (never its WAL: that is the staging area), the ini files, the tobkweb files. */
function backupFiles(server: SiteServer): string[] {
  const files = [DB_FILE];
  for (const sub of ['ini', WEB_ARCHIVE_DIR]) {
    const dir = join(server.dir, sub);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (statSync(join(dir, f)).isFile()) files.push(`${sub}/${f}`);
  }
  return files;
}

/**
 * Copies a file with the system's `cp` where there is one: it uses
 * copy_file_range, which moves the bytes inside the kernel about twice as fast
 * as libuv's sendfile-based copyFile; copyFile is the fallback.
 */
async function copyBytes(src: string, target: string): Promise<void> {
  try {
    await execFileAsync('cp', ['--', src, target]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await copyFile(src, target);
  }
}

/** Backups of one server under `dest`, oldest first (only complete ones: they have a manifest). */
export function listBackups(dest: string, server: string): Manifest[] {
  const dir = join(dest, server);
  if (!existsSync(dir)) return [];
  const out: Manifest[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = join(dir, name, MANIFEST);
    if (!existsSync(file)) continue;
    try {
      const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
      if (m.format === BACKUP_FORMAT) out.push(m);
    } catch {
      /* an unreadable manifest is not a backup to build on */
    }
  }
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
}

function newId(level: number, now: number): string {
  return `${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.(\d+)Z$/, '$1Z')}-L${level}`;
}

/** Runs the differential backup of one server into `dest/<server>/<id>/`. */
export async function runBackup(site: Site, server: SiteServer, opts: { level: number; dest: string; lenient?: boolean; onProgress?: (p: BackupProgress) => void }): Promise<Manifest & { warnings: string[] }> {
  const level = opts.level;
  if (level !== 0 && level !== 1 && level !== 2) throw new BadRequest('E_LEVEL', `backup level must be 0, 1 or 2, not ${JSON.stringify(level)}`);
  if (server.state.backupMode !== 'on') {
    throw new CommandRefused('E_NOT_BACKUP_ON', `${server.name} is not in backup mode: the copy would not be consistent`, `run \`to tran suspend\` and \`to backup on --server ${server.name}\` first`, 'backup-on-first');
  }
  if (level > 0 && server.state.needsLevel0) {
    throw new CommandRefused('E_LEVEL0_REQUIRED', `${server.name} was restored: the first backup after a restore must be level 0 (an emulator default)`, 'run `twemu backup --level 0`', 'level0-after-restore');
  }
  const dest = resolve(opts.dest);
  const previous = listBackups(dest, server.name);
  let base: Manifest | null = null;
  if (level > 0) {
    const candidates = previous.filter((m) => (level === 1 ? m.level === 0 : m.level <= 1));
    base = candidates.at(-1) ?? null;
    if (!base) throw new CommandRefused('E_NO_BASE', `no level ${level === 1 ? '0' : '0 or 1'} backup of ${server.name} in ${dest} to build a level ${level} on`, 'run `twemu backup --level 0` first', 'level0-first');
  }
  // Step 5's place in the procedure (after step 4 and step 3 on every server), as every other step's: procedure.ts.
  // The utility's own refusals above (backup mode, levels) come first, as state rules do.
  const warnings = checkStep(site, server, BACKUP_STEP, { lenient: opts.lenient ?? site.config.lenient });
  const id = newId(level, site.clock.now());
  const finalDir = join(dest, server.name, id);
  const workDir = `${finalDir}.partial`;
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const paths = backupFiles(server);
  const sizes = paths.map((p) => statSync(join(server.dir, p)).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  let bytesCopied = 0;
  const files: ManifestFile[] = [];
  for (const [i, path] of paths.entries()) {
    const src = join(server.dir, path);
    const prior = base?.files.find((f) => f.path === path);
    const target = join(workDir, path);
    mkdirSync(dirname(target), { recursive: true });
    // The digest and the copy run side by side (the copy in libuv's thread pool, as
    // `cp` would do it); an unchanged file is not copied, only listed.
    const shaPromise = digestOf(server, src);
    if (prior) {
      const sha = await shaPromise;
      if (prior.sha256 === sha) {
        files.push({ path, size: sizes[i]!, sha256: sha, copied: false, from: prior.from });
        continue;
      }
      await copyBytes(src, target);
    } else {
      await Promise.all([shaPromise, copyBytes(src, target)]);
    }
    const sha = await shaPromise;
    if (statSync(target).size !== sizes[i]) throw new TwemuError('E_BACKUP_CHANGED', `${path} changed while it was being copied`, { hint: 'the database must not change in backup mode; report this' });
    done += sizes[i]!;
    opts.onProgress?.({ server: server.name, file: path, bytesDone: done, bytesTotal: total });
    files.push({ path, size: sizes[i]!, sha256: sha, copied: true, from: id });
    bytesCopied += sizes[i]!;
    if (process.env.TWEMU_FAULT === 'backup-copy') process.kill(process.pid, 'SIGKILL');
  }
  const manifest: Manifest = {
    format: BACKUP_FORMAT, id, server: server.name, role: server.role, level: level as 0 | 1 | 2, basedOn: base?.id ?? null,
    time: new Date(site.clock.now()).toISOString(), backupOnAt: server.state.backupOnAt,
    site: { topology: site.topology, servers: site.servers.map((s) => ({ name: s.name, role: s.role })) }, files, bytesCopied,
  };
  writeFileAtomic(join(workDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(workDir, finalDir);
  server.setState({ backupDone: true, needsLevel0: false, lastBackup: { level, dest, time: manifest.time, id } }, `backup level ${level}`);
  site.cycle.record(server, BACKUP_STEP.step, { backup: { id, level, withArchive: files.some((f) => f.path.startsWith(`${WEB_ARCHIVE_DIR}/`)) } });
  site.events.emit({ type: 'backup', server: server.name, operation: `backup --level ${level}`, message: `level ${level} backup ${id} of ${server.name} done (${files.filter((f) => f.copied).length} of ${files.length} file(s) copied, ${bytesCopied} bytes)`, data: { id, level, dest, bytesCopied } });
  return { ...manifest, warnings };
}

export interface RestoreResult {
  dataDir: string;
  servers: Array<{ server: string; backup: string; level: number; chain: string[]; files: number }>;
}

/**
 * Restores the latest backup of every server found in `from` into `dataDir`,
 * verifying every file's SHA-256 first. Everything is assembled in a temporary
 * folder and moved into place only when all of it checked out: a missing or
 * corrupted file leaves `dataDir` untouched.
 */
export async function restore(opts: { from: string; dataDir: string; force?: boolean }): Promise<RestoreResult> {
  const from = resolve(opts.from);
  const dataDir = resolve(opts.dataDir);
  if (!existsSync(from)) throw new TwemuError('E_NO_BACKUP', `no backup folder ${from}`);
  const serverNames = readdirSync(from).filter((n) => statSync(join(from, n)).isDirectory() && listBackups(from, n).length > 0);
  if (!serverNames.length) throw new TwemuError('E_NO_BACKUP', `no backups in ${from}`, { hint: 'point --from at the --dest folder of `twemu backup`' });
  if (existsSync(join(dataDir, 'site.json')) && !opts.force) {
    throw new TwemuError('E_DATA_IN_USE', `${dataDir} already holds a site`, { hint: 'restore into a new folder, or pass --force to replace it (stop the site first)' });
  }
  const plans = serverNames.map((name) => {
    const all = listBackups(from, name);
    const target = all.at(-1)!;
    const chain: string[] = [];
    for (let m: Manifest | undefined = target; m; m = m.basedOn ? all.find((x) => x.id === m!.basedOn) : undefined) {
      chain.unshift(m.id);
      if (m.basedOn && !all.some((x) => x.id === m!.basedOn)) throw new TwemuError('E_BACKUP_CHAIN', `backup ${m.id} of ${name} is based on ${m.basedOn}, which is missing from ${from}`);
    }
    return { name, target, chain };
  });
  const layout = plans[0]!.target.site;
  for (const s of layout.servers) {
    if (!plans.some((p) => p.name === s.name)) throw new TwemuError('E_BACKUP_INCOMPLETE', `the backup of server ${s.name} (part of the ${layout.topology}-server site) is missing from ${from}`);
  }
  // Verify everything before writing anything.
  for (const p of plans) {
    for (const f of p.target.files) {
      const src = join(from, p.name, f.from, f.path);
      if (!existsSync(src)) throw new TwemuError('E_BACKUP_MISSING_FILE', `${relative(from, src)} is missing`, { hint: 'the backup is incomplete; restore from another one' });
      const sha = await sha256File(src);
      if (sha !== f.sha256) throw new TwemuError('E_BACKUP_CORRUPT', `${relative(from, src)} is corrupted (SHA-256 does not match the manifest)`, { hint: 'restore from another backup' });
    }
  }
  const work = `${dataDir}.restoring-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    for (const p of plans) {
      const dir = join(work, p.name);
      for (const f of p.target.files) {
        const target = join(dir, f.path);
        mkdirSync(dirname(target), { recursive: true });
        await copyFile(join(from, p.name, f.from, f.path), target);
        if ((await sha256File(target)) !== f.sha256) throw new TwemuError('E_RESTORE_COPY', `copy of ${f.path} does not match its SHA-256`);
      }
      // The web-service archive is restored data, not a pending procedure step.
      rmSync(join(dir, WEB_ARCHIVE_DIR), { recursive: true, force: true });
      mkdirSync(join(dir, 'restored-web-archive'), { recursive: true });
      for (const f of p.target.files.filter((x) => x.path.startsWith(`${WEB_ARCHIVE_DIR}/`))) {
        await copyFile(join(from, p.name, f.from, f.path), join(dir, 'restored-web-archive', f.path.slice(WEB_ARCHIVE_DIR.length + 1)));
      }
      saveState(dir, { ...INITIAL_STATE, needsLevel0: true });
    }
    writeFileAtomic(join(work, 'site.json'), `${JSON.stringify({ ...layout, createdAt: new Date().toISOString(), restoredFrom: from }, null, 2)}\n`);
    mkdirSync(dataDir, { recursive: true });
    for (const p of plans) rmSync(join(dataDir, p.name), { recursive: true, force: true });
    for (const f of ['site.json', 'endpoints.json']) rmSync(join(dataDir, f), { force: true });
    for (const name of readdirSync(work)) renameSync(join(work, name), join(dataDir, name));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { dataDir, servers: plans.map((p) => ({ server: p.name, backup: p.target.id, level: p.target.level, chain: p.chain, files: p.target.files.length })) };
}
