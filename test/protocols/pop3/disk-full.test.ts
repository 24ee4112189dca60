// A full disk at QUIT (issue 12 row 9): the UPDATE state's removal cannot be
// written. The client gets RFC 2449's temporary-failure code, [SYS/TEMP], with
// the folder and what was not done; nothing is lost, and once space is back the
// same DELE + QUIT removes the message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { RawPop3 } from './rawclient.js';

let emu: Emulator;
let port: number;

beforeAll(async () => {
  emu = await startTestSite({ services: { pop3: { failedLoginDelayMs: 0 } } });
  port = emu.endpoints.servers[0]!.pop3!;
});
afterAll(() => emu.stop());

describe('pop3 QUIT on a full disk', () => {
  it('answers -ERR [SYS/TEMP] naming the folder; the message stays; after space is freed the removal goes through', async () => {
    expect((await api(emu, 'POST', '/api/users', { name: 'dora', password: 'pw' })).status).toBe(201);
    expect((await api(emu, 'POST', '/api/mail', { to: 'dora', raw: 'Subject: keep\r\n\r\nbody\r\n' })).status).toBe(201);
    const server = emu.site.servers[0]!;
    const db = server.store.database.db;
    // The database cannot grow, and removing a message now needs a page (a real SQLITE_FULL from SQLite,
    // as when the disk is full).
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    db.exec(`CREATE TEMP TRIGGER disk_full BEFORE DELETE ON main.messages BEGIN
      INSERT INTO main.staged_changes (time, service, operation, object) VALUES (0, 'test', 'fill', hex(zeroblob(1000000))); END`);
    const c = await RawPop3.open(port);
    try {
      expect(await c.login('dora', 'pw')).toMatch(/^\+OK/);
      expect(await c.cmd('DELE 1')).toMatch(/^\+OK/);
      const quit = await c.cmd('QUIT');
      expect(quit).toMatch(new RegExp(`^-ERR \\[SYS/TEMP\\] some deleted messages not removed: no space left in ${server.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      await c.closedPromise;
    } finally {
      c.close();
      db.exec('DROP TRIGGER disk_full');
      db.pragma('max_page_count = 4294967294');
    }
    // Nothing lost; the server keeps serving; with space back the removal succeeds.
    const again = await RawPop3.open(port);
    try {
      expect(await again.login('dora', 'pw')).toMatch(/^\+OK/);
      expect(await again.cmd('STAT')).toMatch(/^\+OK 1 /);
      expect(await again.cmd('DELE 1')).toMatch(/^\+OK/);
      expect(await again.cmd('QUIT')).toMatch(/^\+OK signing off \(1 message removed, 0 left\)/);
    } finally {
      again.close();
    }
  });
});
