import { closeSync, existsSync, openSync, readFileSync, realpathSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve, sep, basename } from 'node:path';
import { TwemuError } from './errors.js';

// Exclusive ownership of a data folder: a running site (and a restore into
// it) holds DIR/twemu.lock, created with O_EXCL and naming its process. A lock
// whose process is gone (kill -9) is stale and taken over; a live one refuses
// the second owner with one line. One without readable content is watched while
// it is young (its owner may be between creating and writing it) and stale only
// when it stays so, or is old.

export const LOCK_FILE = 'twemu.lock';

interface LockInfo {
  pid: number;
  /** The process's start time (Linux /proc/PID/stat field 22), so a reused pid is not mistaken for the owner. */
  start: string | null;
  what: string;
  since: string;
}

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (info.start === null) return true;
  const start = processStart(info.pid);
  // Without /proc the pid is all there is to go by.
  if (start === null) return !existsSync('/proc/self/stat');
  return start === info.start;
}

function readLock(file: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    return Number.isInteger(info.pid) ? info : null;
  } catch {
    return null;
  }
}

/**
 * How long a lock without readable content may be one whose owner is writing it (created with
 * O_EXCL, then written: an instant apart, longer on a stalled disk) before it is taken for the
 * remains of a crash between the two. A lock whose file is older than this is stale at once.
 */
const WRITING_GRACE_MS = 5000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The file's age by the file system's clock: against the time stamp of a probe written now, not
 * Date.now(), which may be another clock (a wall clock faked or set apart from the kernel's).
 */
function ageMs(file: string): number | null {
  const probe = `${file}.now-${process.pid}`;
  try {
    writeFileSync(probe, '', { mode: 0o600 });
    return statSync(probe).mtimeMs - statSync(file).mtimeMs;
  } catch {
    return null;
  } finally {
    rmSync(probe, { force: true });
  }
}

/** Who holds the data folder now (a live owner), or null. */
export function lockHolder(dir: string): LockInfo | null {
  const info = readLock(join(dir, LOCK_FILE));
  return info && alive(info) ? info : null;
}

export interface DataLock {
  release(): void;
}

/** Takes the data folder's lock or throws E_DATA_LOCKED naming the owner. `what`: e.g. `twemu serve`, `twemu restore`. */
export function lockDataDir(dir: string, what: string): DataLock {
  const file = join(dir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, start: processStart(process.pid), what, since: new Date().toISOString() };
  let unreadableSince: number | null = null;
  for (let attempt = 0; attempt < 3;) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(file);
      if (holder && alive(holder)) {
        throw new TwemuError('E_DATA_LOCKED', `${dir} is in use by ${holder.what} (pid ${holder.pid}, since ${holder.since})`,
          { hint: holder.what === 'twemu serve' ? 'stop that site first, or use another --data folder' : 'wait for it to finish, or use another folder' });
      }
      if (!holder) {
        // No readable content: its owner may be writing it at this instant. A young one is watched
        // until it says who holds it or stays unreadable past the grace (a crash between create and write).
        const age = ageMs(file);
        unreadableSince ??= performance.now();
        if (age !== null && age < WRITING_GRACE_MS && performance.now() - unreadableSince < WRITING_GRACE_MS) {
          sleepSync(50);
          continue;
        }
      }
      // Stale (its process is gone) or unreadable for good: take it over.
      attempt++;
      try {
        unlinkSync(file);
      } catch {
        /* someone else took it over first: try again */
      }
      continue;
    }
    try {
      // Fault injection for the tests: a stalled write between creating the lock and filling it.
      const pause = /^lock-write-pause:(\d+)$/.exec(process.env.TWEMU_FAULT ?? '');
      if (pause) sleepSync(Number(pause[1]));
      writeSync(fd, `${JSON.stringify(mine)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        const now = readLock(file);
        if (now && now.pid === mine.pid && now.since === mine.since) {
          try {
            unlinkSync(file);
          } catch {
            /* already gone */
          }
        }
      },
    };
  }
  throw new TwemuError('E_DATA_LOCKED', `could not take the lock ${file}`, { hint: 'another twemu is starting on this folder; try again' });
}

/** The path with symbolic links of its existing part resolved (the rest appended), for comparing folders. */
export function realPath(path: string): string {
  const abs = resolve(path);
  const rest: string[] = [];
  let p = abs;
  for (;;) {
    try {
      return join(realpathSync(p), ...rest.reverse());
    } catch {
      const parent = dirname(p);
      if (parent === p) return abs;
      rest.push(basename(p));
      p = parent;
    }
  }
}

/** Whether `inner` is `outer` or lies inside it. */
export function isWithin(inner: string, outer: string): boolean {
  const a = realPath(inner);
  const b = realPath(outer);
  return a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
}

/** Refuses two folders that are the same or one inside the other (`--from` / `--data` / `--dest`). */
export function refuseOverlap(a: { flag: string; path: string }, b: { flag: string; path: string }): void {
  const pa = realPath(a.path);
  const pb = realPath(b.path);
  const why = pa === pb ? 'are the same folder' : isWithin(pa, pb) ? `: ${a.flag} is inside ${b.flag}` : isWithin(pb, pa) ? `: ${b.flag} is inside ${a.flag}` : null;
  if (why) {
    throw new TwemuError('E_OVERLAP', `${a.flag} ${pa} and ${b.flag} ${pb} ${why.startsWith(':') ? `overlap${why}` : why}`,
      { hint: 'use separate folders (neither inside the other)' });
  }
}
