import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';

// SHA-256 of the files a backup copies. `to backup on` starts the digest of the
// pinned database file in the background (procedure.ts) and the backup utility
// (backup.ts) takes it from here, so neither module needs the other for it.

/**
 * SHA-256 of a file, remembered per (size, mtime): in backup mode the database
 * file is pinned and does not change, so a level 1/2 or a repeated backup does
 * not hash it again.
 */
/** Per server (any object standing for it: a restored copy in the same process has its own). */
const digests = new WeakMap<object, Map<string, { size: number; mtimeMs: number; sha: Promise<string> }>>();
export function digestOf(server: object, file: string): Promise<string> {
  let cache = digests.get(server);
  if (!cache) digests.set(server, (cache = new Map()));
  const st = statSync(file);
  const hit = cache.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.sha;
  const sha = sha256File(file);
  cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, sha });
  sha.catch(() => cache!.delete(file));
  return sha;
}

/** Read in 1 MB pieces, the next read under way while one is hashed (a stream's 64 KB chunks took twice as long). */
const PIECE = 1 << 20;

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(file, 'r');
  try {
    const bufs = [Buffer.allocUnsafe(PIECE), Buffer.allocUnsafe(PIECE)];
    let i = 0;
    let reading = fh.read(bufs[0]!, 0, PIECE, null);
    for (;;) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) break;
      i ^= 1;
      reading = fh.read(bufs[i]!, 0, PIECE, null);
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

