import { existsSync, mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TwemuError, type ErrorCode } from './errors.js';

// A full disk (or quota) is a clear answer, never "internal error": the folder
// and the bytes needed, HTTP 507 through the control API.

/** Whether an error is the file system saying it is full (Node's ENOSPC/EDQUOT, SQLite's SQLITE_FULL). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || code === 'E_DISK_FULL';
}

/** Bytes free for an unprivileged writer in `dir` (or its nearest existing parent); null when unknown. */
export function freeBytes(dir: string): number | null {
  for (let d = dir; ; d = dirname(d)) {
    try {
      const st = statfsSync(d);
      return Number(st.bavail) * Number(st.bsize);
    } catch {
      if (dirname(d) === d) return null;
    }
  }
}

export class DiskFull extends TwemuError {
  /** `needed`: the bytes the write needed (`atLeast`: a lower bound, e.g. one database page). */
  constructor(readonly folder: string, readonly needed: number | null, cause?: unknown, atLeast = false) {
    const free = freeBytes(folder);
    super('E_DISK_FULL', `no space left in ${folder}${needed !== null ? `: ${atLeast ? 'at least ' : ''}${needed} bytes needed` : ''}${free !== null ? `, ${free} bytes free` : ''}`,
      { hint: 'free space there (or choose another folder) and try again; nothing half-written was kept', cause });
    this.name = 'DiskFull';
  }
}

/** `err` as a DiskFull naming `folder` when it is a full-disk error, else `err` itself. */
export function diskFull(err: unknown, folder: string, needed: number | null = null, atLeast = false): unknown {
  if (err instanceof DiskFull) return err;
  return isDiskFull(err) ? new DiskFull(folder, needed, err, atLeast) : err;
}

/**
 * `mkdir -p` of a folder the user named (`--data`, `--dest`): returns the topmost folder it created
 * (undefined when there was nothing to create), or throws one clear `code` error (a full disk: DiskFull).
 * Not Node's recursive mkdir, which loops for ever where mkdir answers ENOENT under a parent that
 * exists (/proc, /sys).
 */
export function makeFolder(dir: string, mode: number, code: ErrorCode, what: string): string | undefined {
  const abs = resolve(dir);
  const missing: string[] = [];
  for (let p = abs; !existsSync(p); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  const fail = (why: string, cause?: unknown) => new TwemuError(code, `cannot use ${abs} as ${what}: ${why}`, { hint: 'choose a folder you can write to', cause });
  for (const d of missing) {
    try {
      mkdirSync(d, { mode });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EEXIST' && statSync(d, { throwIfNoEntry: false })?.isDirectory()) continue;
      if (isDiskFull(err)) throw new DiskFull(dirname(d), null, err);
      throw fail(e.code === 'EACCES' || e.code === 'EPERM' ? `no permission to create ${d}`
        : e.code === 'EROFS' ? `${d} is on a read-only file system`
        : e.code === 'ENOENT' ? `the file system at ${dirname(d)} does not take new folders`
        : `${d} cannot be created (${e.code ?? e.message})`, err);
    }
  }
  if (!statSync(abs).isDirectory()) throw fail('it is a file, not a folder');
  return missing[0];
}
