import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { TwemuError } from './errors.js';

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
