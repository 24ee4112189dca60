import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './state.js';
import type { SiteServer } from './server.js';

export const WEB_ARCHIVE_DIR = 'tobkweb';
const FILES = ['signatures.json', 'memos.json', 'bookmarks.json'] as const;

/**
 * `tobkweb arc` / `tobkweb rm`: the web-service-specific data (mail signatures,
 * personal memos, shared bookmarks) exported to files the differential backup
 * copies (administrator guide 19.3.1, step 3), and removed again (step 6).
 */
export class WebArchive {
  dir(server: SiteServer): string {
    return join(server.dir, WEB_ARCHIVE_DIR);
  }

  /** Writes the files; returns their paths relative to the server's data directory. */
  create(server: SiteServer): string[] {
    const data = server.store.webdata.exportAll();
    const dir = this.dir(server);
    mkdirSync(dir, { recursive: true });
    const content: Record<(typeof FILES)[number], unknown> = {
      'signatures.json': data.signatures, 'memos.json': data.memos, 'bookmarks.json': data.bookmarks,
    };
    for (const file of FILES) writeFileAtomic(join(dir, file), `${JSON.stringify(content[file], null, 2)}\n`);
    return FILES.map((f) => `${WEB_ARCHIVE_DIR}/${f}`);
  }

  /** Removes exactly the files `create` wrote (and the folder when it is then empty). */
  remove(server: SiteServer): string[] {
    const dir = this.dir(server);
    const removed: string[] = [];
    for (const file of FILES) {
      const path = join(dir, file);
      if (existsSync(path)) {
        rmSync(path);
        removed.push(`${WEB_ARCHIVE_DIR}/${file}`);
      }
    }
    if (existsSync(dir) && readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
    return removed;
  }

  files(server: SiteServer): string[] {
    const dir = this.dir(server);
    return FILES.filter((f) => existsSync(join(dir, f))).map((f) => `${WEB_ARCHIVE_DIR}/${f}`);
  }
}
