import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { copyFile, open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isWithin, lockDataDir, LOCK_FILE, refuseOverlap } from './lock.js';
import { diskFull, makeFolder } from './disk.js';
import { IN_PROGRESS, PARTIAL } from './backup-partial.js';
import { CommandRefused, TwemuError, BadRequest } from './errors.js';
import { DB_FILE } from './store/database.js';
import { fsyncDir, fsyncDirAsync, INITIAL_STATE, saveState, writeFileAtomic } from './state.js';
import { WEB_ARCHIVE_DIR } from './webarchive.js';
import type { Site } from './site.js';
import type { SiteServer } from './server.js';
import { BACKUP_STEP, checkStep } from './procedure.js';
import { digestOf, sha256File } from './digest.js';

export { digestOf, sha256File };
export { PARTIAL };

// The differential backup utility (step 5) and its restore. Section 19.3.1
// only says "差分バックアップユーティリティを使用して、すべてのサーバでバックアップします"
// and points to 19.7.2, which the emulator does not have: the levels and the
// level-0-after-restore rule are emulator defaults. Levels: 0 = everything; 1 = what changed since the last level 0;
// 2 = what changed since the latest level 0 or level 1. Granularity: whole
// files. Every backup's manifest lists every file of the server (path, size,
// SHA-256) and which backup folder holds its bytes (`from`), so restoring a
// level 2 applies its level 0 and level 1 underneath by construction.

export const MANIFEST = 'manifest.json';
export const BACKUP_FORMAT = 'twemu-backup/2';

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
  /**
   * The backup cycle (the site's `cycle.json` id: when its first step ran) the backup was made in, so
   * that a restore never mixes servers of two cycles. Absent in backups made before it was recorded.
   */
  cycle?: string | null;
  site: { topology: string; servers: Array<{ name: string; role: string }> };
  files: ManifestFile[];
  bytesCopied: number;
}

export interface BackupProgress {
  server: string;
  file: string;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  /** Whether this file's bytes were copied (else an unchanged file, listed only). */
  copied: boolean;
}

/** Backup copies and manifests hold what the database holds (passwords): owner only. */
export const PRIVATE_FILE = 0o600;
export const PRIVATE_DIR = 0o700;

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
 * Copies `src` to `target` (created with `mode`) and resolves with the copy open once every byte is
 * written; `sync()` on it makes it durable. The bytes move inside the kernel (libuv's copyFile is
 * copy_file_range on Linux, as `cp`'s, without a process per file) while a second thread
 * fdatasyncs the growing copy, so the disk writes the first bytes while the last are being copied
 * and the final sync has only the tail left to wait for.
 */
async function copyFlushing(src: string, target: string, mode: number): Promise<FileHandle> {
  const fh = await open(target, 'w', mode);
  try {
    let copying = true;
    let wake = () => {};
    const copy = copyFile(src, target).finally(() => {
      copying = false;
      wake();
    });
    // A flush every FLUSH_EVERY_MS while the copy runs (not back to back: each one is a journal commit).
    const flush = (async () => {
      for (;;) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, FLUSH_EVERY_MS);
        });
        if (!copying) return;
        await fh.datasync();
        if (!copying) return;
      }
    })();
    const [copied, flushed] = await Promise.allSettled([copy, flush]);
    if (copied.status === 'rejected') throw copied.reason;
    if (flushed.status === 'rejected') throw flushed.reason;
    // copyFile gives the copy the source's mode.
    await fh.chmod(mode);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/**
 * 64 MB and 256 MB files, copy plus final sync, medians alternated: every 2 or 5 ms 61/73 and 232/223 ms,
 * every 10 to 40 ms 59–69 and 180–187 ms; a plain copyFile (not durable) 59 and 177; copyFile then fsync 82 and 235.
 */
const FLUSH_EVERY_MS = 20;

/** A copy of `src` at `target` (created with `mode`) that is on disk when this resolves. */
async function copyDurably(src: string, target: string, mode: number): Promise<void> {
  const fh = await copyFlushing(src, target, mode);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Runs `task` on every item, at most `limit` at a time; after a failure starts no more, waits for those running, and throws the first error. */
async function eachLimited<T>(items: T[], limit: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | null = null;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await task(items[i]!, i);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw (failed as { err: unknown }).err;
}

/** How many files a backup copies at a time (each copy keeps two of libuv's four threads busy: the copy and its flush). */
const COPIES_AT_ONCE = 2;

/**
 * A manifest's text: JSON whose last field, `manifestChecksum`, is the SHA-256
 * of every byte before its value (as PostgreSQL's backup manifests): a flipped
 * byte anywhere, a changed `time` or `format`, is found.
 */
const CHECKSUM_FIELD = '"manifestChecksum": "';
export function manifestText(m: Manifest): string {
  const body = JSON.stringify(m, null, 2);
  const prefix = `${body.slice(0, -2)},\n  ${CHECKSUM_FIELD}`;
  return `${prefix}${createHash('sha256').update(prefix).digest('hex')}"\n}\n`;
}

/** Parses and checks a manifest's text: the manifest, or why it cannot be trusted. */
export function parseManifest(text: string): Manifest | string {
  const at = text.lastIndexOf(CHECKSUM_FIELD);
  if (at < 0) return 'has no manifestChecksum (not written by this version, or truncated)';
  const prefix = text.slice(0, at + CHECKSUM_FIELD.length);
  const rest = text.slice(prefix.length);
  const expected = createHash('sha256').update(prefix).digest('hex');
  if (rest !== `${expected}"\n}\n`) return 'fails its checksum (the manifest was changed or damaged)';
  let m: Manifest & { manifestChecksum?: string };
  try {
    m = JSON.parse(text) as Manifest & { manifestChecksum?: string };
  } catch {
    return 'is not valid JSON';
  }
  if (m.format !== BACKUP_FORMAT) return `has format ${JSON.stringify(m.format)}, not ${BACKUP_FORMAT}`;
  delete m.manifestChecksum;
  return m;
}

/** The backups of one server under `dest` (oldest first) and every folder that is not a readable, intact one. */
export function readBackups(dest: string, server: string): { manifests: Manifest[]; problems: string[] } {
  const dir = join(dest, server);
  const manifests: Manifest[] = [];
  const problems: string[] = [];
  if (!existsSync(dir)) return { manifests, problems };
  if (!lstatSync(dir).isDirectory()) return { manifests, problems: [`${server}: not a backup folder (a file or link)`] };
  for (const name of readdirSync(dir).sort()) {
    // A backup being written (or one a crash interrupted) is not a backup yet.
    if (name.endsWith(PARTIAL)) continue;
    const where = `${server}/${name}`;
    if (!lstatSync(join(dir, name)).isDirectory()) {
      problems.push(`${where}: not a backup folder (a file or link)`);
      continue;
    }
    const file = join(dir, name, MANIFEST);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      problems.push(`${where}: ${MANIFEST} ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${(err as NodeJS.ErrnoException).code})`}`);
      continue;
    }
    const m = parseManifest(text);
    if (typeof m === 'string') problems.push(`${where}: ${MANIFEST} ${m}`);
    else if (m.id !== name) problems.push(`${where}: ${MANIFEST} names backup ${JSON.stringify(m.id)}, not the folder's name`);
    else if (m.server !== server) problems.push(`${where}: ${MANIFEST} is a backup of ${JSON.stringify(m.server)}, not ${server}`);
    else manifests.push(m);
  }
  manifests.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
  return { manifests, problems };
}

/** Backups of one server under `dest`, oldest first (the intact ones; `readBackups` says what else is there). */
export function listBackups(dest: string, server: string): Manifest[] {
  return readBackups(dest, server).manifests;
}

function newId(level: number, now: number): string {
  return `${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.(\d+)Z$/, '$1Z')}-L${level}`;
}


/** The checks `runBackup` makes before copying anything (the job route runs them before answering). */
export interface Preflight {
  base: Manifest | null;
  /** Order rules of step 5 broken on purpose (lenient mode). */
  warnings: string[];
}

export function backupPreflight(site: Site, server: SiteServer, opts: { level: number; dest: string; lenient?: boolean }): Preflight {
  const level = opts.level;
  if (level !== 0 && level !== 1 && level !== 2) throw new BadRequest('E_LEVEL', `backup level must be 0, 1 or 2, not ${JSON.stringify(level)}`);
  if (server.state.backupMode !== 'on') {
    throw new CommandRefused('E_NOT_BACKUP_ON', `${server.name} is not in backup mode: the copy would not be consistent`, `run \`to tran suspend\` and \`to backup on --server ${server.name}\` first`, 'backup-on-first');
  }
  if (level > 0 && server.state.needsLevel0) {
    throw new CommandRefused('E_LEVEL0_REQUIRED', `${server.name} was restored: the first backup after a restore must be level 0 (an emulator default)`, 'run `twemu backup --level 0`', 'level0-after-restore');
  }
  const dest = resolve(opts.dest);
  // The destination must not be (or hold) the data folder, nor lie in what the site owns there.
  const data = site.config.dataDir;
  if (isWithin(data, dest)) throw new BadRequest('E_OVERLAP', `--dest ${dest} is or holds the site's data folder ${data}`, 'back up into a folder outside the data folder');
  const owned = [...site.servers.map((x) => x.name), 'site.json', 'endpoints.json', 'admin-token', LOCK_FILE];
  if (isWithin(dest, data) && owned.some((n) => isWithin(dest, join(data, n)))) {
    throw new BadRequest('E_OVERLAP', `--dest ${dest} lies inside ${relative(data, dest).split(sep)[0]} of the site's data folder`, 'back up into a folder outside the data folder');
  }
  // The destination and its server folder are folders (or do not exist yet): a file there is bad input, not a failed job.
  for (const dir of [dest, join(dest, server.name)]) {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new BadRequest('E_DEST', `${dir} is a file, not a folder`, 'back up into a folder');
  }
  let base: Manifest | null = null;
  if (level > 0) {
    const { manifests, problems } = readBackups(dest, server.name);
    if (problems.length) {
      throw new CommandRefused('E_BACKUP_INVALID', `cannot build a level ${level} backup on ${join(dest, server.name)}: ${problems[0]}`, `run \`twemu backup verify --from ${dest}\`, or start a new chain with \`twemu backup --level 0\``, 'intact-base');
    }
    const candidates = manifests.filter((m) => (level === 1 ? m.level === 0 : m.level <= 1));
    base = candidates.at(-1) ?? null;
    if (!base) throw new CommandRefused('E_NO_BASE', `no level ${level === 1 ? '0' : '0 or 1'} backup of ${server.name} in ${dest} to build a level ${level} on`, 'run `twemu backup --level 0` first', 'level0-first');
  }
  // Step 5's place in the procedure (after step 4 and step 3 on every server; not while a backup of it runs), as
  // every other step's: procedure.ts. The utility's own refusals above (backup mode, levels) come first, as state rules do.
  const warnings = checkStep(site, server, BACKUP_STEP, { lenient: opts.lenient ?? site.config.lenient });
  return { base, warnings };
}

/** Runs the differential backup of one server into `dest/<server>/<id>/` (files 0600, folders 0700). */
export async function runBackup(site: Site, server: SiteServer, opts: { level: number; dest: string; lenient?: boolean; preflight?: Preflight; onProgress?: (p: BackupProgress) => void }): Promise<Manifest & { warnings: string[] }> {
  const level = opts.level;
  const { base, warnings } = opts.preflight ?? backupPreflight(site, server, opts);
  const dest = resolve(opts.dest);
  const serverDest = join(dest, server.name);
  const id = newId(level, site.clock.now());
  const finalDir = join(serverDest, id);
  const workDir = `${finalDir}${PARTIAL}`;
  const paths = backupFiles(server);
  const sizes = paths.map((p) => statSync(join(server.dir, p)).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const marker = join(server.dir, IN_PROGRESS);
  const handles: FileHandle[] = [];
  try {
    // The folders this backup creates (the first of them is what `mkdirSync` returns) are synced at the end.
    const created = makeFolder(serverDest, PRIVATE_DIR, 'E_DEST', 'the backup destination');
    // Leftovers of an interrupted backup of this server (one backup per server runs at a time).
    for (const name of readdirSync(serverDest)) if (name.endsWith(PARTIAL)) rmSync(join(serverDest, name), { recursive: true, force: true });
    writeFileSync(marker, `${workDir}\n`, { mode: PRIVATE_FILE });
    mkdirSync(workDir, { recursive: true, mode: PRIVATE_DIR });
    const subdirs = [...new Set(paths.map((p) => dirname(p)).filter((d) => d !== '.'))];
    for (const d of subdirs) mkdirSync(join(workDir, d), { recursive: true, mode: PRIVATE_DIR });
    let done = 0;
    let filesDone = 0;
    let bytesCopied = 0;
    const files: ManifestFile[] = [];
    const finished: boolean[] = [];
    const slow = /^backup-slow:(\d+)$/.exec(process.env.TWEMU_FAULT ?? '');
    // Up to COPIES_AT_ONCE files at a time; progress is reported in the files' order.
    let reported = 0;
    await eachLimited(paths, COPIES_AT_ONCE, async (path, i) => {
      const src = join(server.dir, path);
      const prior = base?.files.find((f) => f.path === path);
      const target = join(workDir, path);
      // The digest (often ready: `to backup on` starts it) and the copy run side by side; an
      // unchanged file is not copied, only listed.
      const shaPromise = digestOf(server, src);
      shaPromise.catch(() => undefined);
      let copied = true;
      if (prior && prior.sha256 === (await shaPromise)) copied = false;
      else {
        const fh = await copyFlushing(src, target, PRIVATE_FILE);
        handles.push(fh);
        if ((await fh.stat()).size !== sizes[i]) throw new TwemuError('E_BACKUP_CHANGED', `${path} changed while it was being copied`, { hint: 'the database must not change in backup mode; report this' });
      }
      const sha = await shaPromise;
      files[i] = { path, size: sizes[i]!, sha256: sha, copied, from: copied ? id : prior!.from };
      finished[i] = true;
      if (copied) bytesCopied += sizes[i]!;
      for (; finished[reported]; reported++) {
        done += sizes[reported]!;
        filesDone++;
        opts.onProgress?.({ server: server.name, file: paths[reported]!, bytesDone: done, bytesTotal: total, filesDone, filesTotal: paths.length, copied: files[reported]!.copied });
      }
      if (process.env.TWEMU_FAULT === 'backup-copy') process.kill(process.pid, 'SIGKILL');
      // Fault injection for the tests: a slow copy (ms per file), a full disk.
      if (slow) await new Promise((r) => setTimeout(r, Number(slow[1])));
      if (process.env.TWEMU_FAULT === 'backup-enospc' && copied) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    const manifest: Manifest = {
      format: BACKUP_FORMAT, id, server: server.name, role: server.role, level: level as 0 | 1 | 2, basedOn: base?.id ?? null,
      time: new Date(site.clock.now()).toISOString(), backupOnAt: server.state.backupOnAt, cycle: site.cycle.current?.id ?? null,
      site: { topology: site.topology, servers: site.servers.map((s) => ({ name: s.name, role: s.role })) }, files, bytesCopied,
    };
    // Durable before it is done, in one pass: the copies, the manifest and the folders are synced side
    // by side (a journal commits them together), then the folder gets its final name, then that is synced.
    // The `.partial` folder is the unit: a crash before the rename leaves no backup, after it a whole one.
    const manifestFile = await open(join(workDir, MANIFEST), 'w', PRIVATE_FILE);
    handles.push(manifestFile);
    await manifestFile.writeFile(manifestText(manifest));
    // Folders this backup created above the server's folder: their entries too, in the same pass.
    const parents: string[] = [];
    if (created) {
      for (let d = dirname(serverDest); ; d = dirname(d)) {
        parents.push(d);
        if (d === dirname(created) || d === dirname(d)) break;
      }
    }
    await Promise.all([...handles.map((fh) => fh.sync()), ...[...subdirs.map((d) => join(workDir, d)), ...parents].map(fsyncDirAsync)]);
    await fsyncDirAsync(workDir);
    renameSync(workDir, finalDir);
    fsyncDir(serverDest);
    rmSync(marker, { force: true });
    server.setState({ backupDone: true, needsLevel0: false, lastBackup: { level, dest, time: manifest.time, id } }, `backup level ${level}`);
    site.cycle.record(server, BACKUP_STEP.step, { backup: { id, level, withArchive: files.some((f) => f.path.startsWith(`${WEB_ARCHIVE_DIR}/`)) } });
    site.events.emit({ type: 'backup', server: server.name, operation: `backup --level ${level}`, message: `level ${level} backup ${id} of ${server.name} done (${files.filter((f) => f.copied).length} of ${files.length} file(s) copied, ${bytesCopied} bytes)`, data: { id, level, dest, bytesCopied } });
    return { ...manifest, warnings };
  } catch (err) {
    // Nothing half-written remains.
    rmSync(workDir, { recursive: true, force: true });
    rmSync(marker, { force: true });
    throw diskFull(err, serverDest, total);
  } finally {
    await Promise.allSettled(handles.map((fh) => fh.close()));
  }
}

export interface VerifyResult {
  from: string;
  /** One line per problem; empty when every check held. */
  problems: string[];
  servers: Array<{ server: string; backups: number; files: number; bytes: number; latest: string | null }>;
}

const ID_RE = /^[0-9A-Za-z_-]{1,64}$/;

/** Why a manifest's file path cannot be trusted, or null: relative, no `..` or `.` parts, no empty parts, no backslashes. */
function badPath(path: unknown): string | null {
  if (typeof path !== 'string' || !path) return 'is not a non-empty string';
  if (isAbsolute(path)) return 'is absolute';
  if (path.includes('\\') || path.includes('\0')) return 'contains a backslash or NUL';
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..')) return 'has an empty, "." or ".." part';
  return null;
}

/** Why a backup file does not match its manifest entry, or null. */
async function checkFile(file: string, size: number, sha256: string, shas: Map<string, Promise<string>>): Promise<string | null> {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return 'is missing';
  }
  if (!st.isFile()) return 'is not a regular file';
  if (st.size !== size) return `is corrupted (${st.size} bytes, the manifest says ${size})`;
  let sha = shas.get(file);
  if (!sha) shas.set(file, (sha = sha256File(file)));
  if ((await sha) !== sha256) return 'is corrupted (SHA-256 does not match the manifest)';
  return null;
}

/**
 * `twemu backup verify`: every manifest (checksum, format, id, server), the
 * chain L0 -> L1 -> L2 (every base present and intact, of the right level,
 * older), every file (path relative and inside its server folder, a regular
 * file, size and SHA-256 as listed). Restore runs it first and writes nothing
 * when any problem is found.
 */
export async function verifyBackups(fromDir: string, opts: { server?: string } = {}): Promise<VerifyResult> {
  const from = resolve(fromDir);
  const problems: string[] = [];
  const servers: VerifyResult['servers'] = [];
  if (!existsSync(from) || !statSync(from).isDirectory()) return { from, problems: [`${from}: no such backup folder`], servers };
  const names = opts.server ? [opts.server] : readdirSync(from).filter((n) => lstatSync(join(from, n)).isDirectory()).sort();
  const checked = new Map<string, Promise<string | null>>();
  const reported = new Set<string>();
  const shas = new Map<string, Promise<string>>();
  const layouts: Manifest['site'][] = [];
  /** Each server's latest backup: what a restore would restore. */
  const latests: Manifest[] = [];
  for (const server of names) {
    if (!ID_RE.test(server)) {
      problems.push(`${server}: not a server folder name`);
      continue;
    }
    const serverDir = join(from, server);
    const { manifests, problems: folderProblems } = readBackups(from, server);
    problems.push(...folderProblems);
    const byId = new Map(manifests.map((m) => [m.id, m]));
    let files = 0;
    let bytes = 0;
    for (const m of manifests) {
      const where = `${server}/${m.id}`;
      if (![0, 1, 2].includes(m.level)) problems.push(`${where}: level ${JSON.stringify(m.level)} is not 0, 1 or 2`);
      // The chain: every base present, intact, of a lower level, older.
      const chain = [m.id];
      let chainOk = true;
      if (m.level === 0 && m.basedOn !== null) problems.push(`${where}: a level 0 backup is based on ${JSON.stringify(m.basedOn)}`);
      if (m.level > 0 && m.basedOn === null) problems.push(`${where}: a level ${m.level} backup without a base`);
      for (let cur = m; cur.basedOn !== null && cur.level > 0;) {
        const base = byId.get(cur.basedOn);
        if (!base) {
          problems.push(`${where}: based on ${cur.basedOn}, which is missing or unreadable`);
          chainOk = false;
          break;
        }
        if (chain.includes(base.id) || chain.length > 3) {
          problems.push(`${where}: the chain loops`);
          chainOk = false;
          break;
        }
        const allowed = cur.level === 1 ? [0] : [0, 1];
        if (!allowed.includes(base.level)) problems.push(`${where}: level ${cur.level} backup ${cur.id} is based on level ${base.level} backup ${base.id}`);
        if (!(base.time < cur.time)) problems.push(`${where}: base ${base.id} is not older than ${cur.id}`);
        chain.push(base.id);
        cur = base;
      }
      if (!Array.isArray(m.files) || !m.files.some((f) => f?.path === DB_FILE)) problems.push(`${where}: the manifest lists no ${DB_FILE}`);
      for (const f of Array.isArray(m.files) ? m.files : []) {
        const why = badPath(f?.path);
        if (why) {
          problems.push(`${where}: file path ${JSON.stringify(f?.path)} ${why}`);
          continue;
        }
        if (typeof f.from !== 'string' || !ID_RE.test(f.from)) {
          problems.push(`${where}: ${f.path}: "from" ${JSON.stringify(f.from)} is not a backup id`);
          continue;
        }
        if (f.copied && f.from !== m.id) problems.push(`${where}: ${f.path} is marked copied but held by ${f.from}`);
        if (chainOk && !chain.includes(f.from)) {
          problems.push(`${where}: ${f.path} is held by ${f.from}, which is not in its chain (${[...chain].reverse().join(' -> ')})`);
          continue;
        }
        const file = resolve(serverDir, f.from, f.path);
        if (!file.startsWith(serverDir + sep)) {
          problems.push(`${where}: ${f.path} lies outside the server folder`);
          continue;
        }
        files++;
        bytes += f.size;
        // A file several manifests list is checked (and reported) once.
        const fileWhere = `${server}/${f.from}/${f.path}`;
        const key = `${file}\0${f.size}\0${f.sha256}`;
        let check = checked.get(key);
        if (!check) checked.set(key, (check = checkFile(file, f.size, f.sha256, shas)));
        const why2 = await check;
        if (why2 && !reported.has(key)) {
          reported.add(key);
          problems.push(`${fileWhere}: ${why2}`);
        }
      }
    }
    const latest = manifests.at(-1) ?? null;
    if (latest) {
      layouts.push(latest.site);
      latests.push(latest);
    }
    if (!manifests.length && !folderProblems.length && opts.server) problems.push(`${server}: no backups of this server in ${from}`);
    servers.push({ server, backups: manifests.length, files, bytes, latest: latest?.id ?? null });
  }
  // Without --server: every server of the site's layout must be there.
  if (!opts.server) {
    const layout = layouts[0];
    for (const s of layout?.servers ?? []) {
      // A server of the layout with no intact backup would be restored empty: as much a problem as its folder gone.
      const found = servers.find((x) => x.server === s.name);
      if (!names.includes(s.name)) problems.push(`${s.name}: missing (part of the ${layout!.topology}-server site)`);
      else if (found && found.backups === 0 && !problems.some((p) => p.startsWith(`${s.name}/`))) problems.push(`${s.name}: no backups (part of the ${layout!.topology}-server site)`);
    }
    if (!servers.some((s) => s.backups > 0) && !problems.length) problems.push(`${from}: no backups`);
    // One backup cycle for the whole site: a server whose latest backup is of an older cycle than
    // another's (its backup of that cycle deleted or never made) would come back older than the rest.
    const cycles = latests.filter((m) => typeof m.cycle === 'string');
    const newest = cycles.reduce<Manifest | null>((a, m) => (!a || m.cycle! > a.cycle! ? m : a), null);
    for (const m of cycles) {
      if (m.cycle !== newest!.cycle) problems.push(`${m.server}: its latest backup ${m.id} is of the backup cycle begun ${m.cycle}, older than ${newest!.server}'s (${newest!.id}, cycle begun ${newest!.cycle}): a restore would mix two cycles`);
    }
  }
  return { from, problems, servers };
}

export interface RestoreResult {
  dataDir: string;
  servers: Array<{ server: string; backup: string; level: number; chain: string[]; files: number }>;
}

/**
 * Restores the latest backup of every server found in `from` into `dataDir`.
 * The whole backup folder is verified first (`verifyBackups`); any problem
 * refuses the restore before anything is written. Everything is assembled in a
 * temporary folder and moved into place only when all of it checked out. The
 * target must not overlap the backup folder, must not be in use by a running
 * site, and must be empty (or hold a site and --force).
 */
export async function restore(opts: { from: string; dataDir: string; force?: boolean }): Promise<RestoreResult> {
  const from = resolve(opts.from);
  const dataDir = resolve(opts.dataDir);
  if (!existsSync(from)) throw new TwemuError('E_NO_BACKUP', `no backup folder ${from}`);
  refuseOverlap({ flag: '--from', path: from }, { flag: '--data', path: dataDir });
  makeFolder(dataDir, PRIVATE_DIR, 'E_DATA_FOLDER', 'the --data folder');
  const lock = lockDataDir(dataDir, 'twemu restore');
  try {
    const present = readdirSync(dataDir).filter((n) => n !== LOCK_FILE);
    if (existsSync(join(dataDir, 'site.json'))) {
      if (!opts.force) throw new TwemuError('E_DATA_IN_USE', `${dataDir} already holds a site`, { hint: 'restore into a new folder, or pass --force to replace it (stop the site first)' });
    } else if (present.length) {
      throw new TwemuError('E_DATA_NOT_EMPTY', `${dataDir} is not empty and holds no site (${present.length} entr${present.length === 1 ? 'y' : 'ies'}, e.g. ${present[0]})`, { hint: 'restore into a new or empty folder' });
    }
    const verified = await verifyBackups(from);
    if (verified.problems.length) {
      const more = verified.problems.length - 1;
      throw new TwemuError('E_BACKUP_INVALID', `the backup in ${from} failed verification: ${verified.problems[0]}${more ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : ''}`,
        { hint: `nothing was restored; \`twemu backup verify --from ${from}\` lists every problem` });
    }
    const plans = verified.servers.filter((v) => v.backups > 0).map((v) => {
      const all = listBackups(from, v.server);
      const target = all.at(-1)!;
      const chain: string[] = [];
      for (let m: Manifest | undefined = target; m; m = m.basedOn ? all.find((x) => x.id === m!.basedOn) : undefined) chain.unshift(m.id);
      return { name: v.server, target, chain };
    });
    const layout = plans[0]!.target.site;
    const work = join(dirname(dataDir), `.${basename(dataDir)}.restoring-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true, mode: PRIVATE_DIR });
    try {
      for (const p of plans) {
        const dir = join(work, p.name);
        for (const f of p.target.files) {
          const target = join(dir, f.path);
          mkdirSync(dirname(target), { recursive: true, mode: PRIVATE_DIR });
          await copyDurably(join(from, p.name, f.from, f.path), target, PRIVATE_FILE);
          if ((await sha256File(target)) !== f.sha256) throw new TwemuError('E_RESTORE_COPY', `copy of ${f.path} does not match its SHA-256`);
        }
        // The web-service archive is restored data, not a pending procedure step.
        rmSync(join(dir, WEB_ARCHIVE_DIR), { recursive: true, force: true });
        mkdirSync(join(dir, 'restored-web-archive'), { recursive: true, mode: PRIVATE_DIR });
        for (const f of p.target.files.filter((x) => x.path.startsWith(`${WEB_ARCHIVE_DIR}/`))) {
          await copyDurably(join(from, p.name, f.from, f.path), join(dir, 'restored-web-archive', f.path.slice(WEB_ARCHIVE_DIR.length + 1)), PRIVATE_FILE);
        }
        // The restored files' folders (the server's own by saveState).
        for (const sub of new Set([...p.target.files.map((f) => dirname(join(dir, f.path))), join(dir, 'restored-web-archive')])) if (sub !== dir && existsSync(sub)) fsyncDir(sub);
        saveState(dir, { ...INITIAL_STATE, needsLevel0: true });
      }
      writeFileAtomic(join(work, 'site.json'), `${JSON.stringify({ ...layout, createdAt: new Date().toISOString(), restoredFrom: from }, null, 2)}\n`);
      for (const p of plans) rmSync(join(dataDir, p.name), { recursive: true, force: true });
      for (const f of ['site.json', 'endpoints.json']) rmSync(join(dataDir, f), { force: true });
      for (const name of readdirSync(work)) renameSync(join(work, name), join(dataDir, name));
      chmodSync(dataDir, PRIVATE_DIR);
      fsyncDir(dataDir);
    } catch (err) {
      // Named as the user gave it (the work folder is its sibling and is gone), with what the restore needs.
      throw diskFull(err, dataDir, plans.reduce((sum, p) => sum + p.target.files.reduce((n, f) => n + f.size, 0), 0));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return { dataDir, servers: plans.map((p) => ({ server: p.name, backup: p.target.id, level: p.target.level, chain: p.chain, files: p.target.files.length })) };
  } finally {
    lock.release();
  }
}
