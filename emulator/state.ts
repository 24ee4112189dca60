import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A server's lifecycle, persisted so that a restart (even after kill -9) comes back the same. */
export interface LifecycleState {
  service: 'available' | 'suspended';
  /** `merging`: `to backup off` began and did not finish; finished at the next start. */
  backupMode: 'off' | 'on' | 'merging';
  webArchive: 'absent' | 'present';
  /** Whether this server's differential backup has run since `to backup on`. */
  backupDone: boolean;
  backupOnAt: string | null;
  lastBackup: { level: number; dest: string; time: string; id: string } | null;
  /** After a restore the next backup must be level 0 (an emulator default: 19.3.1 does not say; it points to 19.7.2). */
  needsLevel0: boolean;
}

export const INITIAL_STATE: LifecycleState = {
  service: 'available', backupMode: 'off', webArchive: 'absent', backupDone: false, backupOnAt: null, lastBackup: null, needsLevel0: false,
};

export const STATE_FILE = 'state.json';

/** Writes a file so that a crash leaves either the old or the new content: temp file, fsync, rename, fsync dir. */
export function writeFileAtomic(file: string, content: string, mode = 0o644): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    fchmodSync(fd, mode);
    writeSync(fd, content);
    fsyncSync(fd);
  } catch (err) {
    // Nothing half-written stays behind (a full disk fails here).
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, file);
  fsyncDir(dirname(file));
}

/** Makes a folder's entries (files created, renamed or removed in it) durable: fsync of the folder. */
export function fsyncDir(dir: string): void {
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* directories cannot be fsynced on every platform */
  }
}

export function loadState(dir: string): LifecycleState {
  try {
    const raw = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as Partial<LifecycleState>;
    return { ...INITIAL_STATE, ...raw };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ...INITIAL_STATE };
    throw err;
  }
}

export function saveState(dir: string, state: LifecycleState): void {
  writeFileAtomic(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** `fsyncDir` without blocking the event loop, for several folders and files synced side by side. */
export async function fsyncDirAsync(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch {
    /* directories cannot be fsynced on every platform */
  } finally {
    await fh.close();
  }
}
