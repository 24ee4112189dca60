import { readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

// A backup's \`.partial\` folder, noted in the server's folder while it is written
// so that the next start removes what a crash left behind (apart from backup.ts:
// SiteServer calls it when it opens, and must not import the backup utility).

export const PARTIAL = '.partial';

/** Where a running backup notes its `.partial` folder, so that the next start removes it after a crash. */
export const IN_PROGRESS = 'backup-in-progress';

/** Removes the `.partial` folder a backup interrupted by a crash left behind (called when a server opens). */
export function removeInterruptedBackup(serverDir: string): void {
  const marker = join(serverDir, IN_PROGRESS);
  let partial: string;
  try {
    partial = readFileSync(marker, 'utf8').trim();
  } catch {
    return;
  }
  if (partial.endsWith(PARTIAL) && isAbsolute(partial)) rmSync(partial, { recursive: true, force: true });
  rmSync(marker, { force: true });
}
