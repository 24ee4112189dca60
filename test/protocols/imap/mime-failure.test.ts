// No silent degradation: when the MIME splitter cannot be built (a library that fails to load, a
// mis-compiled constructor call), FETCH fails with an internal error the client sees, instead of
// answering every multipart message as one text part. The session goes on serving.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestSite } from '../../helpers.js';
import type { Emulator } from '../../../emulator/index.js';
import { Wire } from './wire.js';

vi.mock('../../../protocols/imap/mimelibs.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../../protocols/imap/mimelibs.js')>()),
  Splitter: function BrokenSplitter() {
    throw new TypeError("Class constructor MessageSplitter cannot be invoked without 'new'");
  },
}));

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestSite();
});
afterAll(() => emu.stop());

describe('IMAP when the MIME splitter cannot be built', () => {
  it('FETCH BODYSTRUCTURE is NO [SERVERBUG], not a one-part structure; the session goes on', async () => {
    const { uid } = emu.site.deliver('alice', [
      'Subject: two parts', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
      '--b', 'Content-Type: text/plain', '', 'one', '--b', 'Content-Type: text/plain', '', 'two', '--b--', '',
    ].join('\r\n'));
    const w = await Wire.open(emu.endpoints.servers[0]!.imap!);
    try {
      await w.until('\r\n');
      expect((await w.cmd('a1', 'LOGIN alice teamware')).at(-1)).toMatch(/^a1 OK/);
      expect((await w.cmd('a2', 'SELECT INBOX')).at(-1)).toMatch(/^a2 OK/);
      const r = await w.cmd('a3', `UID FETCH ${uid} (BODYSTRUCTURE)`);
      expect(r.join('\n')).not.toContain('BODYSTRUCTURE (');
      expect(r.at(-1)).toBe('a3 NO [SERVERBUG] Internal error; the command was not completed');
      expect((await w.cmd('a4', 'NOOP')).at(-1)).toMatch(/^a4 OK/);
    } finally {
      w.socket.destroy();
    }
  });
});
